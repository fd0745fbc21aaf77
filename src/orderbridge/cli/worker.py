"""`orderbridge worker`: one scale-out worker process (procrastinate on the PostgreSQL store).

Run as many as you like, on any machines, against the same database: the periodic task queues one
job per due tenant, a per-tenant lock keeps two workers off the same tenant, and a worker that dies
has its jobs retried once its heartbeat is overdue. `--schema` installs procrastinate's tables once.
"""

from __future__ import annotations

import asyncio
import logging
import os

import click
from rich.console import Console

from orderbridge.cli.common import console, guard, shown, warn_old_expat
from orderbridge.config.directory import worker_tenants
from orderbridge.core.errors import SetupError
from orderbridge.core.runtime import tune_for_sync
from orderbridge.runners.worker.app import apply_schema, build_app, schema_installed
from orderbridge.runners.worker.jobs import WorkerRuntime
from orderbridge.store import Store


async def run_worker(
    config_path: str | os.PathLike[str] | None,
    *,
    concurrency: int | None,
    name: str | None,
    schema_only: bool,
    console: Console,
) -> None:
    settings, tenants = worker_tenants(config_path)
    if not schema_only:
        warn_old_expat(settings)
    store = Store.open(settings.store.url)
    try:
        runtime = WorkerRuntime(settings=settings, tenants=tenants, store=store)
        app = build_app(runtime)
        async with app.open_async():
            if schema_only:
                created = await apply_schema(app)
                console.print("procrastinate schema " + ("installed" if created else "already installed"))
                return
            if not await schema_installed(app):
                raise SetupError("the job queue is not installed in this database; run `orderbridge worker --schema`")
            names = ", ".join(runtime.tenants.names())
            console.print(shown(f"worker started for tenant(s) {names}; Ctrl+C to stop"))
            await app.run_worker_async(name=name or "worker", concurrency=concurrency or settings.worker.concurrency)
    finally:
        store.close()


@click.command("worker")
@click.option("--concurrency", type=click.IntRange(1, 256), help="Tenant jobs run at once ([worker] concurrency).")
@click.option("--name", help="Worker name in procrastinate's tables and logs (default: 'worker').")
@click.option("--schema", "schema_only", is_flag=True, help="Install procrastinate's schema in the store and exit.")
@click.pass_context
def worker(ctx: click.Context, concurrency: int | None, name: str | None, schema_only: bool) -> None:
    """Scale-out worker: sync due tenants from the shared PostgreSQL queue until stopped."""
    # Imported here: cli.py imports this module at its end, so a module-level import would be circular.

    config_path = ctx.ensure_object(dict).get("config_path")

    @guard
    def go() -> None:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        # httpx logs every URL at INFO; ours are not secret, but the worker's log is about jobs.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        work = run_worker(config_path, concurrency=concurrency, name=name, schema_only=schema_only, console=console)
        tune_for_sync()
        asyncio.run(work)

    go()
