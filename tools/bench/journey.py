"""The benchmark's carrier journey phase: simulated days of daemon-style cycles, counting carrier calls.

After the measured cycles, the engine's clock becomes a SimClock in step with the simulators' (TD SYNNEX
and the carriers share one), both move `step` at a time for `days`, and after each step one `due_only`
cycle runs, as the daemon's would: due parcel polls first, then the POs that are due. Latency and
ConnectWise's rate limit are off (the phase counts calls, its time is not a figure). What the minimum
is, and why, is in carriers.py.

It follows the packages of the first `orders` POs of the book (all of them when the book is no larger):
the rounds cost about as much as a cycle over the whole book, and 65 of them at N=10,000 would take most
of an hour, while the calls per package do not depend on how many POs share the tenant. The other POs'
packages are parked for the phase (their next poll cleared in the bench's own store) and their POs left
out of its listing, so they cost no carrier call and are not counted.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import update

from orderbridge.config import Settings
from orderbridge.core.clock import SimClock, SystemClock
from orderbridge.core.delivery import TrackedParcel
from orderbridge.core.domain import PurchaseOrder
from orderbridge.runners.operator import live_engine
from orderbridge.store import Store
from orderbridge.store.parcels import ParcelFilter, iter_parcels, parcels
from orderbridge.sync.duplicates import DuplicateNumbers
from orderbridge.sync.listing import tracked_listing
from orderbridge.sync.tenant import Tenant, Transports, open_tenant

from .carriers import figures, key_of, minimum_by_provider
from .counting import CountingTransport

if TYPE_CHECKING:
    from .run import SimProcess

UNLIMITED = 1_000_000
FIRST_PO_ID = 1001  # the simulator numbers POs from 1001 in seeding order


def _sample_listing(tenant: Tenant, last_id: int) -> Callable[[], AsyncIterator[PurchaseOrder]]:
    """The product's listing of tracked POs, passing on only the sample's."""
    duplicates = DuplicateNumbers()

    async def listed() -> AsyncIterator[PurchaseOrder]:
        pos = tracked_listing(
            tenant.settings,
            tenant=tenant.name,
            connectwise=tenant.connectwise,
            store=tenant.store,
            clock=tenant.clock,
            duplicates=duplicates,
        )
        async for po in pos:
            if po.id <= last_id:
                yield po

    return listed


async def run_journey(
    settings: Settings, store: Store, sim: SimProcess, *, days: float, step: timedelta, orders: int
) -> dict[str, Any]:
    sim.ask("faults", spec="")
    sim.ask("ratelimit", per_minute=UNLIMITED)
    tds_now = datetime.fromisoformat(sim.ask("advance", seconds=0)["now"])
    wall = SystemClock().now()
    if wall > tds_now:  # the engine's records are on the wall clock: never let the simulators lag behind it
        tds_now = datetime.fromisoformat(sim.ask("advance", seconds=(wall - tds_now).total_seconds())["now"])
    clock = SimClock(tds_now)
    last_id = FIRST_PO_ID + orders - 1
    with store.transaction() as connection:  # the sample's packages only (module docstring)
        connection.execute(update(parcels).where(parcels.c.po_id > last_id).values(next_poll_at=None))
    sampled = ParcelFilter(po_ids=range(FIRST_PO_ID, last_id + 1))
    seen_until = {key_of(p): p.last_polled_at for p in iter_parcels(store, sampled) if p.provider}
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
        engine = live_engine(tenant, discover=_sample_listing(tenant, last_id))
        while True:
            rounds.append(clock.now())
            await engine.run_cycle(due_only=True)
            if clock.now() + step > end:
                break
            sim.ask("advance", seconds=step.total_seconds())
            clock.advance(step)
    followed = [p for p in iter_parcels(store, sampled) if p.provider]
    minimum, packages = minimum_by_provider(followed, rounds, seen_until)
    delivered = sum(1 for p in followed if p.delivered)
    return {
        "pos_followed": orders,
        **figures(counts, minimum, packages),
        "rounds": len(rounds),
        "step_hours": step.total_seconds() / 3600,
        "days": days,
        "delivered": delivered,
        "still_polled": sum(1 for p in followed if p.next_poll_at is not None),
        "stopped": dict(Counter(p.stopped for p in followed if p.stopped)),
        "polls_by_state": _polls_by_state(followed),
        "wall_s": round(time.perf_counter() - began, 1),
    }


def _polls_by_state(parcels: list[TrackedParcel]) -> dict[str, Any]:
    """Where the polls went: packages and mean answers asked per package, by provider and final state."""
    found: dict[str, list[int]] = {}
    for parcel in parcels:
        found.setdefault(f"{parcel.provider}:{parcel.state.value}", []).append(parcel.polls)
    return {key: [len(polls), round(sum(polls) / len(polls), 1)] for key, polls in sorted(found.items())}
