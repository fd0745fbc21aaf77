"""A scale-out harness: N tenants (each with its own simulators) on one PostgreSQL store, procrastinate
apps standing in for worker processes, and a way to run them until the queue is empty.

Each `app()` has its own connector (its own connection pool), as a separate process would.
`JobWatch` is a procrastinate worker middleware, the library's hook around every job, used to see
which worker ran which tenant and how many jobs of one tenant ran at the same moment.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from callback_world import Fleet
from procrastinate import App
from sqlalchemy import select
from world import no_sleep, world_settings

from orderbridge.core.clock import SimClock
from orderbridge.runners.setup import run_setup
from orderbridge.runners.worker.app import SYNC_TASK, apply_schema, build_app
from orderbridge.runners.worker.jobs import WorkerRuntime
from orderbridge.store import Store
from orderbridge.store.tables import cycles
from orderbridge.sync.tenant import open_tenant

IDLE_TIMEOUT_S = 60.0  # a guard against a hung test, not a performance assertion


@dataclass
class JobWatch:
    running: Counter[str] = field(default_factory=Counter)
    most_at_once: Counter[str] = field(default_factory=Counter)
    runs: list[tuple[str, str]] = field(default_factory=list)  # (worker, tenant) in start order
    before: Callable[[str], Awaitable[None]] | None = None

    async def __call__(self, call_next: Callable[[], Awaitable[Any]], context: Any, worker: Any) -> Any:
        if context.job.task_name != SYNC_TASK:
            return await call_next()
        tenant = str(context.job.task_kwargs["tenant"])
        self.running[tenant] += 1
        self.most_at_once[tenant] = max(self.most_at_once[tenant], self.running[tenant])
        self.runs.append((context.worker_name, tenant))
        try:
            if self.before is not None:
                await self.before(tenant)
            return await call_next()
        finally:
            self.running[tenant] -= 1


@dataclass
class ScaleOut:
    fleet: Fleet
    runtime: WorkerRuntime
    stack: AsyncExitStack

    async def app(self, *, periodic: bool = False) -> App:
        app = build_app(self.runtime, periodic=periodic)
        await self.stack.enter_async_context(app.open_async())
        return app

    def cycles(self, tenant: str) -> list[str]:
        with self.fleet.store.reading() as connection:
            query = select(cycles.c.status).where(cycles.c.tenant == tenant).order_by(cycles.c.id)
            return [status for (status,) in connection.execute(query)]


@asynccontextmanager
async def scale_out(pg_url: str, tenants: int, *, orders: int = 2, **worker: Any) -> AsyncIterator[ScaleOut]:
    store = Store.open(pg_url)
    fleet = Fleet(SimClock(), store)
    for index in range(tenants):
        site = fleet.add_site(f"t{index:02d}")
        for number in range(orders):
            site.add(f"PO-{index}-{number}", fleet.clock, order_number=f"41{index:03d}{number:03d}")
        async with open_tenant(site.settings, store=store, transports=site.transports(), clock=fleet.clock) as t:
            await run_setup(t.settings, t.connectwise)
    settings = world_settings(pg_url, worker={"retry_wait_seconds": 0, **worker})
    runtime = WorkerRuntime(
        settings=settings,
        tenants=fleet.directory,
        store=store,
        clock=fleet.clock,
        transports=fleet.transports_for,
        sleep=no_sleep,
    )
    async with AsyncExitStack() as stack:
        harness = ScaleOut(fleet, runtime, stack)
        await apply_schema(await harness.app())
        try:
            yield harness
        finally:
            await stack.aclose()
            store.close()


async def run_until_idle(apps: Sequence[App], *, watch: JobWatch | None = None, concurrency: int = 1) -> None:
    """Run one worker per app until no job is waiting or running, then stop them gracefully."""
    middleware = [watch] if watch is not None else []
    workers = [
        asyncio.create_task(
            app.run_worker_async(
                name=f"w{index}",
                concurrency=concurrency,
                wait=True,
                install_signal_handlers=False,
                listen_notify=False,
                fetch_job_polling_interval=0.05,
                worker_middleware=middleware,
                delete_jobs="never",  # keep finished jobs, so tests can read their status and attempts
            )
        )
        for index, app in enumerate(apps)
    ]
    try:
        async with asyncio.timeout(IDLE_TIMEOUT_S):
            while True:
                await asyncio.sleep(0.05)
                jobs = await apps[0].job_manager.list_jobs_async()
                if all(str(job.status) not in ("todo", "doing") for job in jobs):
                    break
    finally:
        for task in workers:
            task.cancel()
        for task in workers:
            with suppress(asyncio.CancelledError):
                await task
