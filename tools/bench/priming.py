"""The "synced before" step of the benchmark, run outside the measured process.

Priming is one ordinary sync cycle: `run_setup`, then `Engine.run_cycle` with no latency and no rate
limit, so the planner, apply, the ledger, `Store.save_results`, invoices, payloads and facts decide
every store row and every ConnectWise write, exactly as in the measured cycles. The only difference
from `--prime cycle` (the same cycle run by the parent over loopback sockets) is the transport: here
the engine's clients are mounted on the simulator apps with `httpx.ASGITransport`, the seam the
integration tests use, so no request is serialised through a socket and a second process. The
cycle writes the same SQLite file the parent opens afterwards, and the same base URLs are used, so
even the recorded payloads name the same hosts.

`--prime subprocess` (`python -m tools.bench.priming`, started by the bench) runs the same cycle
in a process of its own over the loopback sockets, with the transports production builds: the
simulators and the engine then use one core each, which on this machine is faster than sharing one.

Either way priming stays out of the parent's peak RSS: what the parent reports is the measured cycles
alone.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import httpx

from orderbridge.config import Settings
from orderbridge.core.clock import SystemClock
from orderbridge.runners.setup import run_setup
from orderbridge.store import Store
from orderbridge.sync.tenant import Transports, open_tenant
from tools.bench.engine import bench_engine


async def prime_in_process(
    cw_app: Any, tds_app: Any, carriers_app: Any, settings_data: dict[str, Any], *, operator_view: bool
) -> dict[str, Any]:
    """One setup and one unmeasured cycle against the apps in this process; returns its figures."""
    transports = Transports(
        connectwise=httpx.ASGITransport(app=cw_app),
        tdsynnex=httpx.ASGITransport(app=tds_app),
        carriers=httpx.ASGITransport(app=carriers_app),
    )
    return await prime(settings_data, transports, operator_view=operator_view)


async def prime(settings_data: dict[str, Any], transports: Transports | None, *, operator_view: bool) -> dict[str, Any]:
    """Setup and one cycle, writing the store the settings name; no transports: production's sockets."""
    settings = Settings(**settings_data)
    store = Store.open(settings.store.url)
    try:
        async with open_tenant(settings, store=store, transports=transports, clock=SystemClock()) as tenant:
            await run_setup(settings, tenant.connectwise)
            began = time.perf_counter()
            summary = await bench_engine(tenant, operator_view=operator_view).run_cycle()
            elapsed = time.perf_counter() - began
    finally:
        # The parent opens the file next; nothing of ours may hold it open (or keep a WAL unmerged).
        store.close()
    return {"seen": summary.seen, "writes": summary.writes, "failed": summary.failed, "prime_s": round(elapsed, 2)}


def main() -> None:
    """`python -m tools.bench.priming`: settings as one JSON line on stdin, figures on stdout."""
    command = json.loads(sys.stdin.readline())
    result = asyncio.run(prime(command["settings"], None, operator_view=command["operator_view"]))
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
