"""The procrastinate app: three tasks, their locks and schedules, on the store's PostgreSQL database.

- `orderbridge.sync_tenant(tenant)`: one cycle for one tenant. Deferred with `lock="tenant:<name>"`
  (procrastinate never starts a job while another with the same lock is running, on any worker) and
  the same `queueing_lock` (at most one waiting job per tenant, however often it is asked for).
- `orderbridge.queue_due_tenants`: periodic; defers `sync_tenant` for each due tenant (`due.py`).
  procrastinate deduplicates periodic deferrals in the database, so N workers still tick once.
- `orderbridge.retry_stalled_jobs`: periodic; jobs of a worker whose heartbeat stopped go back to
  the queue (procrastinate's documented stalled-jobs recipe).

procrastinate's own tables are installed by `apply_schema` (`orderbridge worker --schema`).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from procrastinate import App, PsycopgConnector, RetryStrategy
from procrastinate import exceptions as pq_errors
from procrastinate.jobs import Status
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from orderbridge.core.errors import ConfigError, Retriable
from orderbridge.runners.worker.due import due_tenants
from orderbridge.runners.worker.jobs import WorkerRuntime, sync_tenant_once

SYNC_TASK = "orderbridge.sync_tenant"
# Any fixed 64-bit number shared by every worker ("queueschm" folded into ASCII).
_SCHEMA_LOCK = 0x7175657565736368
TICK_TASK = "orderbridge.queue_due_tenants"
STALLED_TASK = "orderbridge.retry_stalled_jobs"
_log = logging.getLogger(__name__)


def tenant_lock(tenant: str) -> str:
    return f"tenant:{tenant}"


def libpq_url(store_url: str) -> str:
    """`postgresql+psycopg://…` (SQLAlchemy) → `postgresql://…` (libpq), query options kept."""
    url = make_url(store_url)
    if url.get_backend_name() != "postgresql":
        raise ConfigError(
            "store.url", "orderbridge worker needs PostgreSQL (postgresql+psycopg://…); SQLite serves `run` only"
        )
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def cron_for(seconds: int) -> str:
    """A cron line for "every `seconds`": procrastinate takes a 6th, seconds, column."""
    if seconds < 60:
        return f"* * * * * */{seconds}"
    minutes = seconds // 60
    return "* * * * *" if minutes == 1 else f"*/{minutes} * * * *"


def build_app(runtime: WorkerRuntime, *, connector: PsycopgConnector | None = None, periodic: bool = True) -> App:
    """The app with its tasks bound to `runtime`. Every worker process builds its own.

    `periodic=False` leaves the two periodic tasks out (they can still be called directly), for a
    process that should only work the queue, and for tests that queue jobs themselves."""
    options = runtime.settings.worker
    app = App(
        connector=connector or PsycopgConnector(conninfo=libpq_url(runtime.settings.store.url)),
        worker_defaults={
            "concurrency": options.concurrency,
            "stalled_worker_timeout": options.stalled_after_seconds,
            "update_heartbeat_interval": max(1.0, min(10.0, options.stalled_after_seconds / 4)),
            # A job per tenant per tick adds up; the cycles table keeps the history that matters.
            "delete_jobs": "successful",
        },
    )
    retry = RetryStrategy(
        max_attempts=options.max_attempts,
        wait=options.retry_wait_seconds,
        # Worth another try: an API that is down or throttling, a database that blinked. Not a Fatal
        # error (bad credentials, missing setup): those wait for the operator, and the tick re-queues.
        retry_exceptions=[Retriable, OperationalError, OSError],
    )

    @app.task(name=SYNC_TASK, retry=retry)
    async def sync_tenant(tenant: str) -> None:
        await sync_tenant_once(runtime, tenant)

    if periodic:
        _add_periodic(app, runtime)
    return app


def _add_periodic(app: App, runtime: WorkerRuntime) -> None:
    cron = cron_for(runtime.settings.worker.interval_seconds)

    @app.periodic(cron=cron, periodic_id="due")
    @app.task(name=TICK_TASK, queueing_lock=TICK_TASK)
    async def queue_due(timestamp: int) -> None:
        await queue_due_tenants(app, runtime)

    @app.periodic(cron=cron, periodic_id="stalled")
    @app.task(name=STALLED_TASK, queueing_lock=STALLED_TASK)
    async def retry_stalled(timestamp: int) -> None:
        await retry_stalled_jobs(app, runtime.settings.worker.stalled_after_seconds)


async def defer_tenant(app: App, tenant: str) -> bool:
    """Queue one sync of `tenant`; False when a job for it is already waiting."""
    task = app.tasks[SYNC_TASK]
    lock = tenant_lock(tenant)
    try:
        await task.configure(lock=lock, queueing_lock=lock).defer_async(tenant=tenant)
    except pq_errors.AlreadyEnqueued:
        return False
    return True


async def queue_due_tenants(app: App, runtime: WorkerRuntime) -> list[str]:
    """Defer a job for every due tenant not already running; returns the tenants queued."""
    names = list(runtime.tenants.names())
    due = due_tenants(
        runtime.store,
        names,
        runtime.clock.now(),
        discover_after=timedelta(minutes=runtime.settings.worker.discover_minutes),
    )
    # A running tenant is skipped rather than queued behind its lock: its job may be retried by
    # procrastinate, and a retry must not collide with a fresh waiting job on the queueing lock.
    running = {lock["name"] for lock in await app.job_manager.list_locks_async(task=SYNC_TASK, status="doing")}
    queued = []
    for tenant in due:
        if tenant_lock(tenant.name) in running:
            continue
        if await defer_tenant(app, tenant.name):
            queued.append(tenant.name)
    if queued:
        _log.info("queued %d tenant job(s): %s", len(queued), ", ".join(queued[:20]))
    return queued


async def retry_stalled_jobs(app: App, seconds: float) -> int:
    """Put the jobs of workers silent for `seconds` back in the queue; returns how many."""
    manager = app.job_manager
    recovered = 0
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=seconds):
        try:
            await manager.retry_job(job)
            recovered += 1
        except pq_errors.UniqueViolation:
            # A newer job for the same tenant is already waiting: it does the work; close this one.
            await manager.finish_job(job, status=Status.FAILED, delete_job=False)
        _log.warning("stalled job %s (%s) of a silent worker handled", job.id, job.call_string)
    return recovered


async def schema_installed(app: App) -> bool:
    row = await app.connector.execute_query_one_async(
        "SELECT to_regclass('procrastinate_jobs') IS NOT NULL AS installed"
    )
    return bool(row["installed"])


async def apply_schema(app: App) -> bool:
    """Install procrastinate's schema unless it is there; True when this call installed it.

    Its SQL script fails when run twice, so the check and the apply sit under an advisory lock: two
    operators running `--schema` at once cannot collide. Upgrading procrastinate itself needs its
    versioned migrations (`procrastinate schema --migrations`).
    """
    await app.connector.execute_query_async("SELECT pg_advisory_lock(%(key)s)", key=_SCHEMA_LOCK)
    try:
        if await schema_installed(app):
            return False
        await app.schema_manager.apply_schema_async()
        return True
    finally:
        await app.connector.execute_query_async("SELECT pg_advisory_unlock(%(key)s)", key=_SCHEMA_LOCK)
