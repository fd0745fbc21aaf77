"""`orderbridge run`: the daemon command. Wiring only: tenants from the config, one store per URL,
signals to a graceful stop, and an optional `/metrics` + `/healthz` listener.

The loop itself lives in `orderbridge.runners.daemon`, so tests drive it in-process on simulated time
and this module stays what differs in production: real signals, real sockets, real time.

Exit codes (cli/common.py): with `--cycles N`, 1 when the last cycle of any tenant failed as a whole
(it raised, stopped early, or a service answered for none of its POs), else 0; stopped by SIGTERM or
Ctrl-C, 0 (a graceful stop is not a failure; /healthz and the log report failing cycles while it
runs); 2 for a config or usage error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Iterator, Sequence

import click
import uvicorn

from orderbridge.cli.common import EXIT_FAILED, config_of, err_console, guard, shown, warn_old_expat
from orderbridge.config.tenants import TenantConfig
from orderbridge.core.clock import SystemClock
from orderbridge.core.runtime import tune_for_sync
from orderbridge.runners.daemon import Daemon
from orderbridge.runners.metrics import DaemonMetrics, metrics_app
from orderbridge.store import Store
from orderbridge.sync.tenant import open_tenant


@click.command("run")
@click.option("--tenant", "names", multiple=True, help="Only this tenant (repeatable; default: every tenant).")
@click.option("--metrics-port", type=click.IntRange(0, 65535), default=None, help="Serve /metrics and /healthz.")
@click.option("--metrics-host", default="127.0.0.1", show_default=True, help="Loopback unless you mean it.")
@click.option("--cycles", type=click.IntRange(min=1), default=None, help="Stop after N cycles of each tenant.")
@click.pass_context
def run(
    ctx: click.Context, names: tuple[str, ...], metrics_port: int | None, metrics_host: str, cycles: int | None
) -> None:
    """Run the sync daemon: due-only cycles for every tenant until SIGTERM or Ctrl-C."""

    @guard
    def go() -> None:
        config = config_of(ctx)
        tenants = config.select(names)
        warn_old_expat(config.shared)
        _configure_logging()
        tune_for_sync()
        failed = asyncio.run(serve(tenants, metrics_host=metrics_host, metrics_port=metrics_port, max_cycles=cycles))
        if failed and cycles is not None:
            for name, why in failed.items():
                err_console.print(shown(f"error: tenant {name}: the last cycle failed: {why}"), soft_wrap=True)
            sys.exit(EXIT_FAILED)

    go()


async def serve(
    tenants: Sequence[TenantConfig],
    *,
    metrics_host: str = "127.0.0.1",
    metrics_port: int | None = None,
    max_cycles: int | None = None,
) -> dict[str, str]:
    """Run the daemon until stopped (or `max_cycles`); returns the tenants whose last cycle failed, and why."""
    clock = SystemClock()
    with _stores(tenants) as stores:
        async with contextlib.AsyncExitStack() as stack:
            opened = [
                await stack.enter_async_context(
                    open_tenant(t.settings, store=stores[t.settings.store.url], clock=clock, name=t.name)
                )
                for t in tenants
            ]
            metrics = DaemonMetrics()
            daemon = Daemon(opened, clock=clock, metrics=metrics, max_cycles=max_cycles)
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, daemon.stop)
            server = None
            if metrics_port is not None:
                config = uvicorn.Config(
                    metrics_app(metrics, daemon.health),
                    host=metrics_host,
                    port=metrics_port,
                    log_level="warning",
                    lifespan="off",
                    access_log=False,
                )
                server = _QuietServer(config)
                stack.push_async_callback(_stop_server, server, asyncio.create_task(server.serve()))
            logging.getLogger(__name__).info(
                "orderbridge run: %d tenant(s): %s", len(opened), ", ".join(t.name for t in opened)
            )
            try:
                await daemon.run()
            finally:
                for sig in (signal.SIGTERM, signal.SIGINT):
                    loop.remove_signal_handler(sig)
            return daemon.failed_tenants()


class _QuietServer(uvicorn.Server):
    """uvicorn, minus its own SIGTERM/SIGINT handling: the daemon owns the signals and stops uvicorn itself."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def _stop_server(server: uvicorn.Server, task: asyncio.Task[None]) -> None:
    server.should_exit = True
    await task


@contextlib.contextmanager
def _stores(tenants: Sequence[TenantConfig]) -> Iterator[dict[str, Store]]:
    """One Store (one pool, one migration run) per distinct URL; rows are keyed by tenant inside it."""
    stores: dict[str, Store] = {}
    try:
        for tenant in tenants:
            url = tenant.settings.store.url
            if url not in stores:
                stores[url] = Store.open(url)
        yield stores
    finally:
        for store in stores.values():
            store.close()


def _configure_logging() -> None:
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL at INFO; the query strings hold PO numbers, which are fine, but the
    # volume drowns the daemon's own lines.
    logging.getLogger("httpx").setLevel(logging.WARNING)
