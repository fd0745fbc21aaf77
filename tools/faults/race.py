"""Two writers racing on one tenant under faults: the writer lease must keep every note single.

What the lease exists for (runners/writer.py): two processes syncing one tenant at once, as a cron
`sync --once` next to the daemon, each read "no note yet" and both wrote it. Here two writers, each with
its own clients as a second process would have, share the simulators and the store, and at every
scheduled moment both start a cycle under the writer lease, in a seeded order a few loop turns apart.
Whoever gets the lease syncs. The other either gives up at once (TenantBusy, as `sync --once` does by
default) or, in a seeded half of the rounds, waits for the lease and then syncs too, right after: the
second cycle must find every note of the first in place. Faults, retries and simulated waits interleave
them as they do in production. The figure that matters is the duplicate notes: 0.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import timedelta

import httpx

from orderbridge.config import LeaseSettings
from orderbridge.core.clock import SimClock
from orderbridge.core.errors import LeaseLost, Retriable, Skippable, TenantBusy
from orderbridge.http import JITTER
from orderbridge.runners.operator import live_engine
from orderbridge.runners.setup import run_setup
from orderbridge.runners.writer import WriterLease
from orderbridge.simulators.connectwise.app import create_app as create_cw_app
from orderbridge.simulators.connectwise.seed import seed_defaults
from orderbridge.simulators.connectwise.state import ConnectWiseState
from orderbridge.simulators.fault_spec import (
    FaultSpec,
    Latency,
    ServiceFaults,
    apply_fault_spec,
    parse_fault_spec,
)
from orderbridge.simulators.tdsynnex.app import create_app as create_tds_app
from orderbridge.simulators.tdsynnex.state import TDSynnexState
from orderbridge.store import Store
from orderbridge.sync.tenant import Tenant, Transports, open_tenant
from tools.faults.run import START, run_settings, seed_orders, sim_sleep

WRITERS = ("orderbridge run", "orderbridge sync --once")
# Two processes interleave on ConnectWise's latency. In one event loop, writers on a latency-free
# ConnectWise take turns too neatly ever to read "no note yet" together; with this latency and without
# the lease they do (40 POs, seed 3, the default mix: 48 duplicate notes), so a spec without ConnectWise
# latency gets this one.
CW_LATENCY = Latency(0.005, 0.05)


def race_spec(faults: str) -> FaultSpec:
    parsed = parse_fault_spec(faults)
    cw = parsed.cw or ServiceFaults()
    return parsed if cw.latency is not None else replace(parsed, cw=replace(cw, latency=CW_LATENCY))


@dataclass
class RaceResult:
    rounds: int = 0
    synced: Counter[str] = field(default_factory=Counter)  # cycles each writer completed
    refused: int = 0  # attempts that found the tenant busy and gave up
    waited: int = 0  # attempts that found it busy, waited for the lease and then synced
    lease_lost: int = 0  # cycles stopped by the fence
    failed: int = 0  # cycles that failed for other reasons (faults)
    notes: int = 0
    duplicate_notes: int = 0


async def race_two_writers(*, orders: int, seed: int, faults: str, cycles: int, step: timedelta) -> RaceResult:
    clock = SimClock(START)
    cw, tds = ConnectWiseState(clock), TDSynnexState(clock)
    seed_defaults(cw)
    seed_orders(cw, tds, orders=orders, seed=seed)
    sleep = sim_sleep(clock)
    cw.faults.sleep = sleep
    tds.latency.sleep = sleep
    settings = run_settings()
    rng = random.Random(seed)
    JITTER.seed(seed)
    result = RaceResult()
    store = Store.open("sqlite://")

    def transports() -> Transports:
        # One set per writer: each has its own clients and connection pools, as a second process would.
        return Transports(
            connectwise=httpx.ASGITransport(app=create_cw_app(cw)),
            tdsynnex=httpx.ASGITransport(app=create_tds_app(tds)),
        )

    async def attempt(tenant: Tenant, role: str, head_start: int, *, wait: bool) -> None:
        for _ in range(head_start):
            await asyncio.sleep(0)
        # The lease keeps real time (its clock is the system's): a waiting writer polls it every second.
        lease_settings = LeaseSettings(wait_seconds=3600 if wait else 0)
        lease = WriterLease(store, tenant.name, lease_settings, role=role)
        try:
            try:
                async with lease.held():
                    await live_engine(tenant, fence=lease, rng=random.Random(rng.random())).run_cycle()
                result.synced[role] += 1
                result.waited += int(lease.waited)
            except TenantBusy:
                result.refused += 1
            except LeaseLost:
                result.lease_lost += 1
        except* (Retriable, Skippable):  # the cycle's own faults: its PO list failed after its retries
            result.failed += 1

    try:
        async with (
            open_tenant(settings, store=store, transports=transports(), clock=clock, sleep=sleep) as first,
            open_tenant(settings, store=store, transports=transports(), clock=clock, sleep=sleep) as second,
        ):
            await run_setup(settings, first.connectwise)
            apply_fault_spec(race_spec(faults), cw, tds)
            for index in range(cycles):
                due = START + step * index
                if clock.now() < due:
                    clock.set(due)
                result.rounds += 1
                pair = [(first, WRITERS[0]), (second, WRITERS[1])]
                rng.shuffle(pair)
                wait = rng.random() < 0.5
                await asyncio.gather(
                    *(attempt(t, role, rng.randint(0, 20) * n, wait=wait) for n, (t, role) in enumerate(pair))
                )
    finally:
        store.close()
    for record in cw.purchase_orders.scan():
        texts = Counter(note.get("text") for note in cw.notes(record["id"]))
        result.notes += sum(texts.values())
        result.duplicate_notes += sum(count - 1 for count in texts.values())
    return result
