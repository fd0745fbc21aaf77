"""Drive one benchmark: start the simulator process, prime the book, then time two measured cycles.

Priming is the "synced before" part of the story: one cycle with no latency and no rate limit brings
ConnectWise in step with TD SYNNEX, as a tenant that has run orderbridge for a while would be. Then
TD SYNNEX's clock moves on (`advance`), so the orders whose script has an event in that window
changed; latency and ConnectWise's rate limit are switched on, and the first measured cycle picks up
exactly those changes. A second cycle with the clock standing still must write nothing.

Three priming routes run that same cycle (the planner, apply, the ledger, the store: product code
decides every row) and leave the same book and the same store (tests/bench prove it on a small book):
`subprocess` (the default) in a process of its own over the loopback sockets (priming.py);
`inprocess` inside the simulator process, the clients mounted on the apps with `httpx.ASGITransport`;
`cycle` here, as before. Measured at N=2,000 on this machine: 13.7 s, 17.6 s and about the same as
`subprocess` respectively; `subprocess` wins because simulators and engine get a core each. With
either of the first two the parent's peak RSS covers the measured cycles alone.
"""

from __future__ import annotations

import contextlib
import cProfile
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from orderbridge.config import Settings
from orderbridge.core.clock import SystemClock
from orderbridge.runners.operator import OperatorHooks
from orderbridge.runners.setup import run_setup
from orderbridge.simulators.serve import carriers_demo_table
from orderbridge.store import Store
from orderbridge.store.parcels import ParcelFilter, iter_parcels
from orderbridge.sync.summary import CycleSummary
from orderbridge.sync.tenant import Transports, open_tenant
from tools.bench.engine import bench_engine

from .carriers import first_poll_minimum
from .counting import CountingTransport
from .journey import run_journey
from .marks import read_marks
from .memory import traced
from .model import Changes, ServiceLimits, bound_s, lognormal_mean, minimum_calls

DEMO_CW = {"company": "demo", "public_key": "demopublic", "private_key": "demoprivate"}
DEMO_TDS = {"user_id": "demo@example.com", "password": "demo", "customer_number": "100001"}
CLIENT_ID = "00000000-0000-4000-8000-000000000000"
UNLIMITED = 1_000_000


@dataclass(frozen=True)
class BenchOptions:
    orders: int = 10_000
    advance: timedelta = timedelta(hours=2)
    tds_latency: tuple[float, float] = (0.200, 1.0)  # median, p99 (seconds)
    cw_latency: tuple[float, float] = (0.080, 0.300)
    tds_concurrency: int = 64
    tds_per_minute: int = 12_000
    cw_concurrency: int = 8
    cw_per_minute: int = 1_000  # the service's limit
    cw_client_per_minute: int = 985  # ours: the GCRA burst (per_minute // 60 - 1) must fit under it
    operator_view: bool = True
    prime: str = "subprocess"  # or "inprocess" or "cycle": see the module docstring
    start: datetime | None = None  # TD SYNNEX's "now" at seeding; fixed, two runs can be compared
    journey_days: float = 8.0  # the carrier journey phase (carriers.py); 0: none
    journey_step: timedelta = timedelta(hours=3)
    journey_orders: int = 2_000  # the POs whose packages the journey follows (journey.py says why)


PRIME_ROUTES = ("subprocess", "inprocess", "cycle")


class SimProcess:
    """The child process holding both simulators; one JSON line each way per command."""

    def __init__(self, orders: int, start: datetime | None = None) -> None:
        args = [str(orders)] + ([start.isoformat()] if start is not None else [])
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "tools.bench.simproc", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.hello = self._read()

    def _read(self) -> dict[str, Any]:
        out: IO[str] | None = self.proc.stdout
        assert out is not None
        line = out.readline()
        if not line:
            raise RuntimeError(f"simulator process ended (exit {self.proc.wait()})")
        result: dict[str, Any] = json.loads(line)
        return result

    def ask(self, cmd: str, **args: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"cmd": cmd, **args}) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(OSError, RuntimeError, ValueError):  # it may already be gone
                self.ask("quit")
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def _settings(sim: SimProcess, store_url: str, opts: BenchOptions, *, primed: bool) -> Settings:
    return Settings(**_settings_data(sim, store_url, opts, primed=primed))


def _settings_data(sim: SimProcess, store_url: str, opts: BenchOptions, *, primed: bool) -> dict[str, Any]:
    """The tenant's settings as plain data, so the simulator process can build the same ones."""
    cw_rate = opts.cw_client_per_minute if primed else UNLIMITED
    tds_rate = opts.tds_per_minute if primed else UNLIMITED
    data: dict[str, Any] = {
        "connectwise": {
            **DEMO_CW,
            "client_id": CLIENT_ID,
            "base_url": sim.hello["cw_base_url"],
            "concurrency": opts.cw_concurrency,
            "requests_per_minute": cw_rate,
        },
        "tdsynnex": {
            **DEMO_TDS,
            "url": sim.hello["tds_url"],
            "invoice_url": sim.hello["invoice_url"],
            "concurrency": opts.tds_concurrency,
            "requests_per_minute": tds_rate,
        },
        "http": {"allow_insecure_loopback": True, "backoff_base_s": 0.05},
        "store": {"url": store_url},
        # Every provider on the carrier simulators, as `orderbridge sim` offers them (UPS, FedEx on their
        # own APIs; USPS and DHL through EasyPost), with rate limits that never wait: the bench counts calls.
        "carriers": carriers_demo_table(sim.hello["carriers_url"], enabled=True),
    }
    return data


@dataclass
class CycleFigures:
    summary: CycleSummary
    wall_s: float
    cpu_s: float
    calls: Counter[str]
    diff: dict[str, Any]
    alerts_open: int | None = None  # after the cycle's evaluation; they are part of the working set
    sys_s: float = 0.0  # the part of cpu_s spent in the kernel (sockets, epoll, SQLite's writes)


async def _measured_cycle(
    settings: Settings, store: Store, sim: SimProcess, opts: BenchOptions, label: str
) -> CycleFigures:
    counts: Counter[str] = Counter()
    transports = Transports(
        connectwise=CountingTransport(counts, connections=opts.cw_concurrency),
        tdsynnex=CountingTransport(counts, connections=opts.tds_concurrency),
        carriers=CountingTransport(counts, connections=16),
    )
    sim.ask("snapshot")
    async with open_tenant(settings, store=store, transports=transports, clock=SystemClock()) as tenant:
        engine = bench_engine(tenant, operator_view=opts.operator_view)
        profile = os.environ.get("ORDERBRIDGE_BENCH_PROFILE")
        # CPU time, not wall time: on a shared machine a wall-clock profile charges a descheduled
        # socket send with the other process's run (N=10,000: 0.5 ms a send by the wall, ~0 by the CPU).
        profiler = cProfile.Profile(time.process_time) if profile else None
        cpu0, wall0 = time.process_time(), time.perf_counter()
        sys0 = resource.getrusage(resource.RUSAGE_SELF).ru_stime
        if profiler is not None:
            profiler.enable()
        async with traced(label):
            summary = await engine.run_cycle()
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        kernel = resource.getrusage(resource.RUSAGE_SELF).ru_stime - sys0
        if profiler is not None and profile:
            profiler.disable()
            profiler.dump_stats(f"{profile}.{label}")  # one file per measured cycle
        hooks = engine.hooks
        alerts = hooks.last_alerts if isinstance(hooks, OperatorHooks) else None
    open_now = None if alerts is None else len(alerts.opened) + len(alerts.still_open)
    return CycleFigures(summary, wall, cpu, counts, sim.ask("diff"), open_now, kernel)


async def run_bench(opts: BenchOptions, log: IO[str] = sys.stdout) -> dict[str, Any]:
    if opts.prime not in PRIME_ROUTES:
        raise ValueError(f"prime must be one of {', '.join(PRIME_ROUTES)}, not {opts.prime!r}")
    sim = SimProcess(opts.orders, opts.start)
    log.write(f"seeded {opts.orders} POs ({sim.hello['lines']} lines) in {sim.hello['seed_s']} s\n")
    try:
        with tempfile.TemporaryDirectory(prefix="orderbridge-bench-") as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            primed: dict[str, Any] | None = None
            # Before the parent opens the file: the child creates the schema and writes every row.
            data = _settings_data(sim, url, opts, primed=False)
            if opts.prime == "inprocess":
                primed = sim.ask("prime", settings=data, operator_view=opts.operator_view)
            elif opts.prime == "subprocess":
                primed = _prime_in_subprocess(data, opts)
            store = Store.open(url)
            try:
                if primed is None:
                    primed = await _prime_here(opts, sim, store, url)
                log.write(
                    f"primed ({opts.prime}): {primed['seen']} POs, {primed['writes']} writes in {primed['prime_s']} s\n"
                )
                figures = await _run(opts, sim, store, url)
                figures["detail"]["priming"] = {"route": opts.prime, "seed_s": sim.hello["seed_s"], **primed}
                return figures
            finally:
                store.close()
    finally:
        sim.close()


def _prime_in_subprocess(data: dict[str, Any], opts: BenchOptions) -> dict[str, Any]:
    """`--prime subprocess`: the priming cycle in a process of its own, over the loopback sockets."""
    done = subprocess.run(
        [sys.executable, "-m", "tools.bench.priming"],
        input=json.dumps({"settings": data, "operator_view": opts.operator_view}) + "\n",
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"priming process failed (exit {done.returncode}): {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


async def _prime_here(opts: BenchOptions, sim: SimProcess, store: Store, url: str) -> dict[str, Any]:
    """`--prime cycle`: the priming cycle in this process, over the loopback sockets."""
    prime_settings = _settings(sim, url, opts, primed=False)
    async with open_tenant(prime_settings, store=store, clock=SystemClock()) as t:
        await run_setup(prime_settings, t.connectwise)
        began = time.perf_counter()
        primed = await bench_engine(t, operator_view=opts.operator_view).run_cycle()
    elapsed = round(time.perf_counter() - began, 2)
    return {"seen": primed.seen, "writes": primed.writes, "failed": primed.failed, "prime_s": elapsed}


async def _run(opts: BenchOptions, sim: SimProcess, store: Store, url: str) -> dict[str, Any]:
    ids = range(1001, 1001 + opts.orders)  # the simulator numbers POs from 1001 in seeding order
    before = read_marks(store, ids)
    primed = {**sim.ask("digest"), "store": before.digest()}
    sim.ask("advance", seconds=opts.advance.total_seconds())
    tds_lat, cw_lat = opts.tds_latency, opts.cw_latency
    spec = f"tds:latency={tds_lat[0]}s~p99:{tds_lat[1]}s;cw:latency={cw_lat[0]}s~p99:{cw_lat[1]}s"
    sim.ask("faults", spec=spec)
    sim.ask("ratelimit", per_minute=opts.cw_per_minute)
    settings = _settings(sim, url, opts, primed=True)
    first_began = SystemClock().now()
    first = await _measured_cycle(settings, store, sim, opts, "first")
    after = read_marks(store, ids)
    second = await _measured_cycle(settings, store, sim, opts, "second")
    carrier_min, carrier_packages = first_poll_minimum(iter_parcels(store, ParcelFilter()), first_began)
    changes = Changes(
        listed=first.summary.seen,
        answers_changed=before.answers_changed(after),
        headers_changed=first.diff["headers_changed"],
        lines_changed=first.diff["lines_changed"],
        pos_with_new_notes=first.diff["pos_with_new_notes"],
        notes_added=first.diff["notes_added"],
        pos_with_new_invoices=before.pos_with_new_invoices(after),
    )
    page = settings.connectwise.page_size
    cw_limits = ServiceLimits(lognormal_mean(*cw_lat), opts.cw_concurrency, opts.cw_per_minute)
    tds_limits = ServiceLimits(lognormal_mean(*tds_lat), opts.tds_concurrency, opts.tds_per_minute)
    minimum = minimum_calls(changes, page_size=page)
    for provider, count in carrier_min.items():  # token calls are overhead here: the client is new
        minimum[f"carrier_{provider}"] = count
    calls = dict(first.calls)
    bound = bound_s(minimum, cw=cw_limits, tds=tds_limits)
    total, total_min = sum(calls.values()), sum(minimum.values())
    second_writes = second.diff["writes_logged"] - first.diff["writes_logged"]
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    covers = (
        "priming and both measured cycles"
        if opts.prime == "cycle"
        else f"both measured cycles (priming ran in another process: --prime {opts.prime})"
    )
    journey = None
    if opts.journey_days > 0:
        journey = await run_journey(
            _settings(sim, url, opts, primed=False),
            store,
            sim,
            days=opts.journey_days,
            step=opts.journey_step,
            orders=min(opts.orders, opts.journey_orders),
        )
    return {
        "detail": {
            "changes": changes.__dict__,
            "carrier_packages_first_cycle": dict(carrier_packages),
            "calls_by_kind": calls,
            "min_by_kind": minimum,
            "first_cycle": _cycle_line(first),
            "second_cycle": {**_cycle_line(second), "calls_by_kind": dict(second.calls)},
            "bound_by_service": {
                "connectwise": cw_limits.bound_s(sum(v for k, v in minimum.items() if k.startswith("cw_"))),
                "tdsynnex": tds_limits.bound_s(minimum["tds_status"] + minimum["tds_invoice"]),
            },
            "primed": primed,
            "peak_rss": {"mb": round(peak_kb / 1024, 1), "covers": covers},
            **({"carrier_journey": journey} if journey is not None else {}),
        },
        "result": {
            "n_orders": opts.orders,
            "wall_s": round(first.wall_s, 2),
            "bound_s": round(bound, 2),
            "ratio_to_bound": round(first.wall_s / bound, 3) if bound else None,
            "calls": total,
            "min_calls": total_min,
            "calls_ratio": round(total / total_min, 3) if total_min else None,
            "cpu_s_per_1000": round(first.cpu_s * 1000 / opts.orders, 3),
            "peak_rss_mb": round(peak_kb / 1024, 1),
            "second_cycle_writes": second_writes,
            **(
                {
                    "carrier_packages": journey["packages"],
                    "carrier_calls_per_package": journey["calls_per_package"],
                    "carrier_min_per_package": journey["min_per_package"],
                    "carrier_calls_ratio": journey["calls_ratio"],
                }
                if journey is not None
                else {}
            ),
        },
    }


def _cycle_line(figures: CycleFigures) -> dict[str, Any]:
    s = figures.summary
    return {
        "wall_s": round(figures.wall_s, 2),
        "cpu_s": round(figures.cpu_s, 2),
        "sys_s": round(figures.sys_s, 2),
        "seen": s.seen,
        "changed": s.changed,
        "quiet": s.quiet,
        "failed": s.failed,
        "writes": s.writes,
        "alerts_open": figures.alerts_open,
        "failures": [f"{po}: {message}" for po, message in s.failures[:3]],
    }
