"""One in-process run of the real engine against both simulators under a fault spec, on simulated time.

`faultreport` runs this twice (without faults, then with them) and compares. Everything real: the
engine, both clients through `ServiceHTTP`, both simulator apps through `httpx.ASGITransport`, and a
store. Every wait (retry backoff, Retry-After, simulator latency) moves the SimClock instead of the
wall clock, so a faulty day costs milliseconds and 429 bursts end the way they do in production.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from orderbridge.config import Settings
from orderbridge.core.clock import SimClock
from orderbridge.core.errors import Retriable, Skippable
from orderbridge.http import JITTER
from orderbridge.runners.operator import live_engine
from orderbridge.runners.setup import run_setup
from orderbridge.simulators.book import cw_lines_for
from orderbridge.simulators.connectwise.app import create_app as create_cw_app
from orderbridge.simulators.connectwise.seed import seed_defaults
from orderbridge.simulators.connectwise.state import ConnectWiseState
from orderbridge.simulators.fault_spec import apply_fault_spec
from orderbridge.simulators.tdsynnex.app import create_app as create_tds_app
from orderbridge.simulators.tdsynnex.lifecycle import generate_order
from orderbridge.simulators.tdsynnex.state import DEMO_ACCOUNT, TDSynnexState
from orderbridge.store import Store
from orderbridge.sync.tenant import Transports, open_tenant

START = datetime.fromisoformat("2026-01-05T08:00:00+00:00")
Snapshot = dict[str, Any]
# Fields the simulator stamps with its own clock when a write lands: they say when, not what.
_WHEN_FIELDS = frozenset({"_info", "dateClosed", "closedBy"})
# Line fields that depend on which moments a PO was observed, not on where its order ended up: the
# expected ship date is written while a line waits and kept after it ships, so a PO first seen
# shipped (its earlier cycles failed) never gets one. A fact of the planner, reported, not hidden.
PATH_DEPENDENT_LINE_FIELDS = frozenset({"expectedShipDate"})


def sim_sleep(clock: SimClock) -> Callable[[float], Awaitable[None]]:
    """A sleep that moves simulated time. It yields once first, so waits that begin together (eight
    workers meeting one 429 burst) end together instead of adding up."""

    async def sleep(seconds: float) -> None:
        wake = clock.now() + timedelta(seconds=max(0.0, seconds))
        await asyncio.sleep(0)
        if clock.now() < wake:
            clock.set(wake)

    return sleep


def run_settings(**sync: Any) -> Settings:
    return Settings(
        connectwise={
            "company": "demo",
            "public_key": "demopublic",
            "private_key": "demoprivate",
            "client_id": "fault-run",
            "base_url": "https://cw.sim/v4_6_release/apis/3.0",
            "requests_per_minute": 1_000_000,  # the simulators' own limits are what is under test
        },
        tdsynnex={
            "user_id": DEMO_ACCOUNT.user_id,
            "password": DEMO_ACCOUNT.password,
            "customer_number": DEMO_ACCOUNT.customer_number,
            "url": "https://tds.sim/SynnexXML/POStatus",
            "invoice_url": None,
            "requests_per_minute": 1_000_000,
        },
        sync=sync,
        store={"url": "sqlite://"},
    )


@dataclass
class RunResult:
    cycles: int = 0
    failed_cycles: int = 0  # cycles that ended early (e.g. the PO list itself failed)
    early_endings: list[str] = field(default_factory=list)
    converged_at: int | None = None  # 1-based cycle after which ConnectWise matched the target
    writes_attempted: int = 0
    writes_applied: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    retries: Counter[str] = field(default_factory=Counter)
    snapshot: Snapshot = field(default_factory=dict)
    stages: list[dict[str, int | None]] = field(default_factory=list)  # per cycle: PO -> stage after it
    synced: list[set[str]] = field(default_factory=list)  # per cycle: POs that synced without error
    backwards: int = 0  # stage_changed events that moved a PO back (must be 0)
    duplicate_notes: int = 0


def seed_orders(cw: ConnectWiseState, tds: TDSynnexState, *, orders: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    numbers = []
    for index in range(orders):
        number = f"PO-{10_000 + index}"
        script = generate_order(
            rng,
            customer_number=DEMO_ACCOUNT.customer_number,
            po_number=number,
            placed_at=START - timedelta(hours=rng.randint(1, 30)),
            n_lines=rng.randint(1, 3),
            profile="fast",
        )
        tds.add_order(script)
        cw.add_purchase_order(po_number=number, status_name="Sent to Vendor", lines=cw_lines_for(script))
        numbers.append(number)
    return numbers


def snapshot(cw: ConnectWiseState) -> Snapshot:
    """What ConnectWise holds, per PO number: header fields, lines and note texts, minus write times."""
    state: Snapshot = {}
    for record in cw.purchase_orders.scan():
        po = cw.get_purchase_order(record["id"])
        lines = [{k: v for k, v in line.items() if k not in _WHEN_FIELDS} for line in cw.line_items(po["id"])]
        notes = sorted(note.get("text", "") for note in cw.notes(po["id"]))
        header = {k: v for k, v in po.items() if k not in _WHEN_FIELDS}
        state[str(po.get("poNumber"))] = {"header": header, "lines": lines, "notes": notes}
    return state


def comparable(state: Snapshot) -> Snapshot:
    """The part of a snapshot a faulty run must reproduce exactly: headers and lines (minus the
    path-dependent fields). Notes are compared separately, since a skipped stage has no note."""
    return {
        po: {
            "header": record["header"],
            "lines": [
                {k: v for k, v in line.items() if k not in PATH_DEPENDENT_LINE_FIELDS} for line in record["lines"]
            ],
        }
        for po, record in state.items()
    }


def _count_writes(cw: ConnectWiseState, result: RunResult) -> None:
    writes = cw.request_log.writes()
    result.writes_attempted = len(writes)
    result.writes_applied = sum(1 for w in writes if w.status < 300 and not w.fault)


async def run_world(
    *,
    orders: int,
    seed: int,
    faults: str | None,
    cycles: int,
    step: timedelta,
    target: Snapshot | None = None,
    max_extra: int = 10,
) -> RunResult:
    """`cycles` scheduled cycles, then (with a target) up to `max_extra` more until ConnectWise matches."""
    clock = SimClock(START)
    cw, tds = ConnectWiseState(clock), TDSynnexState(clock)
    seed_defaults(cw)
    numbers = seed_orders(cw, tds, orders=orders, seed=seed)
    sleep = sim_sleep(clock)
    cw.faults.sleep = sleep
    tds.latency.sleep = sleep
    transports = Transports(
        connectwise=httpx.ASGITransport(app=create_cw_app(cw)), tdsynnex=httpx.ASGITransport(app=create_tds_app(tds))
    )
    settings = run_settings()
    result = RunResult()
    JITTER.seed(seed)  # backoff jitter moves simulated time, so it is seeded too
    store = Store.open("sqlite://")
    try:
        async with open_tenant(settings, store=store, transports=transports, clock=clock, sleep=sleep) as tenant:
            engine = live_engine(tenant, rng=random.Random(seed))  # schedule jitter seeded too
            await run_setup(settings, tenant.connectwise)
            if faults:
                apply_fault_spec(faults, cw, tds)
            ids = {str(r["poNumber"]): r["id"] for r in cw.purchase_orders.scan()}
            for index in range(cycles + (max_extra if target is not None else 0)):
                due = START + step * index
                if clock.now() < due:
                    clock.set(due)
                result.cycles += 1
                failed: set[str] = set(numbers)
                try:
                    summary = await engine.run_cycle()
                    failed = {label for label, _ in summary.failures}
                    if summary.aborted:
                        # A PO-list page failed: the cycle is incomplete and the POs after that page
                        # were not checked, so none of this cycle's POs count as synced.
                        result.failed_cycles += 1
                        result.early_endings.append(f"cycle {index + 1}: {summary.aborted}")
                        failed = set(numbers)
                except* (Retriable, Skippable) as group:
                    result.failed_cycles += 1
                    result.early_endings.append(f"cycle {index + 1}: {group.exceptions[0]}")
                tracked = store.load_tracked(tenant.name, ids.values())
                result.stages.append(
                    {n: (int(t.stage) if t.stage else None) for n, i in ids.items() if (t := tracked.get(i))}
                )
                result.synced.append({n for n in numbers if n not in failed})
                settled = index + 1 >= cycles and target is not None
                if settled and comparable(snapshot(cw)) == comparable(target or {}):
                    result.converged_at = index + 1
                    break
            for dice, name in ((cw.faults.random, "cw"), (tds.faults.random, "tds")):
                if dice is not None:
                    result.faults.update({f"{name}:{kind}": count for kind, count in dice.counts.items()})
            for client, name in ((tenant.connectwise, "cw"), (tenant.tdsynnex, "tds")):
                result.retries.update({f"{name}:{why}": count for why, count in client.stats.retried.items()})
            for po_id in ids.values():
                stages = [e.stage for e in store.events_for(tenant.name, po_id) if e.kind == "stage_changed"]
                known = [int(s) for s in stages if s is not None]
                result.backwards += sum(1 for a, b in itertools.pairwise(known) if b <= a)
                texts = [note.get("text") for note in cw.notes(po_id)]
                result.duplicate_notes += len(texts) - len(set(texts))
    finally:
        store.close()
    result.snapshot = snapshot(cw)
    _count_writes(cw, result)
    return result
