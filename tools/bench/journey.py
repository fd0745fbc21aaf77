"""The benchmark's carrier journey phase: simulated days of daemon-style cycles, counting carrier calls.

After the measured cycles, the engine's clock becomes a SimClock in step with the simulators' (TD SYNNEX
and the carriers share one), both move `step` at a time for `days`, and after each step one `due_only`
cycle runs, as the daemon's would: due parcel polls first, then the POs that are due. Latency and
ConnectWise's rate limit are off (the phase counts calls, its time is not a figure). What the minimum
is, and why, is in carriers.py.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from orderbridge.config import Settings
from orderbridge.core.clock import SimClock, SystemClock
from orderbridge.core.delivery import TrackedParcel
from orderbridge.store import Store
from orderbridge.store.parcels import ParcelFilter, iter_parcels
from orderbridge.sync.tenant import Transports, open_tenant
from tools.bench.engine import bench_engine

from .carriers import figures, key_of, minimum_by_provider
from .counting import CountingTransport

if TYPE_CHECKING:
    from .run import SimProcess

UNLIMITED = 1_000_000


async def run_journey(
    settings: Settings, store: Store, sim: SimProcess, *, days: float, step: timedelta
) -> dict[str, Any]:
    sim.ask("faults", spec="")
    sim.ask("ratelimit", per_minute=UNLIMITED)
    tds_now = datetime.fromisoformat(sim.ask("advance", seconds=0)["now"])
    wall = SystemClock().now()
    if wall > tds_now:  # the engine's records are on the wall clock: never let the simulators lag behind it
        tds_now = datetime.fromisoformat(sim.ask("advance", seconds=(wall - tds_now).total_seconds())["now"])
    clock = SimClock(tds_now)
    seen_until = {key_of(p): p.last_polled_at for p in iter_parcels(store, ParcelFilter()) if p.provider}
    counts: Counter[str] = Counter()
    transports = Transports(
        connectwise=CountingTransport(Counter(), connections=settings.connectwise.concurrency),
        tdsynnex=CountingTransport(Counter(), connections=settings.tdsynnex.concurrency),
        carriers=CountingTransport(counts, connections=16),
    )
    rounds: list[datetime] = []
    began = time.perf_counter()
    end = clock.now() + timedelta(days=days)
    async with open_tenant(settings, store=store, transports=transports, clock=clock) as tenant:
        engine = bench_engine(tenant, operator_view=True)
        while True:
            rounds.append(clock.now())
            await engine.run_cycle(due_only=True)
            if clock.now() + step > end:
                break
            sim.ask("advance", seconds=step.total_seconds())
            clock.advance(step)
    parcels = [p for p in iter_parcels(store, ParcelFilter()) if p.provider]
    minimum, packages = minimum_by_provider(parcels, rounds, seen_until)
    delivered = sum(1 for p in parcels if p.delivered)
    return {
        **figures(counts, minimum, packages),
        "rounds": len(rounds),
        "step_hours": step.total_seconds() / 3600,
        "days": days,
        "delivered": delivered,
        "still_polled": sum(1 for p in parcels if p.next_poll_at is not None),
        "stopped": dict(Counter(p.stopped for p in parcels if p.stopped)),
        "polls_by_state": _polls_by_state(parcels),
        "wall_s": round(time.perf_counter() - began, 1),
    }


def _polls_by_state(parcels: list[TrackedParcel]) -> dict[str, Any]:
    """Where the polls went: packages and mean answers asked per package, by provider and final state."""
    found: dict[str, list[int]] = {}
    for parcel in parcels:
        found.setdefault(f"{parcel.provider}:{parcel.state.value}", []).append(parcel.polls)
    return {key: [len(polls), round(sum(polls) / len(polls), 1)] for key, polls in sorted(found.items())}
