"""How a sync cycle feeds the operator's view: facts per PO, alerts and notifications after the cycle.

`OperatorHooks` is the engine's `CycleHooks`: it buffers what each planned check saw, builds and saves
the fact rows in the engine's batch flush, and after the cycle evaluates alerts and sends notifications.
`live_engine` builds the engine of a live cycle with them attached; `QuietHooks` is the variant that
records facts and tells nobody (backfill, replay).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from orderbridge.alerts.evaluate import AlertOutcome, evaluate_alerts
from orderbridge.config import Settings
from orderbridge.core.domain import DistributorOrder, Plan, PurchaseOrder, ShipmentMethod
from orderbridge.core.redaction import redact
from orderbridge.notify.send import NotifyResult, notify
from orderbridge.reach.cycle import Reach, ReachResult
from orderbridge.reports.facts import facts_row
from orderbridge.store import EventRecord, Store
from orderbridge.store.facts import FactsRow, load_facts, save_facts
from orderbridge.sync.duplicates import DuplicateNumbers
from orderbridge.sync.engine import Discover, Engine, Fence
from orderbridge.sync.tenant import Tenant

log = logging.getLogger("orderbridge.alerts")


# The only events `notify` reads (notify/messages.py: a stage reached, with its shipments' tracking).
NOTIFY_EVENT_KINDS = frozenset({"stage_changed", "shipment"})


class OperatorHooks:
    """Buffers one cycle's observations; `flush` turns them into fact rows, `after_cycle` evaluates
    alerts and notifies.

    A fact row builds on the PO's previous one, so building waits for the engine's batch flush: one query
    then loads the previous rows of the batch's planned POs. Priming every listed PO instead, as the
    payload recorder does, loaded ten rows for every one used, since quiet checks (sync/quiet.py) build
    no row. What it holds is bounded by the engine's batches, not by the tenant's size: the observations
    not flushed yet and, for notifications, the POs that reached a stage in this cycle.
    """

    def __init__(self, settings: Settings, store: Store, tenant: str, *, reach: Reach | None = None) -> None:
        self.settings = settings
        self.store = store
        self.tenant = tenant
        self.reach = reach  # the people outside the MSP (issue 17); None: staff Apprise only
        self.shipment_methods: Sequence[ShipmentMethod] = ()
        self._observations: list[_Observation] = []
        self._events: list[EventRecord] = []
        self._stage_facts: dict[int, FactsRow] = {}
        self.last_alerts = AlertOutcome()
        self.last_notify = NotifyResult()
        self.last_reach = ReachResult()

    def begin_cycle(self, shipment_methods: Sequence[ShipmentMethod]) -> None:
        self.shipment_methods = tuple(shipment_methods)
        self._stage_facts.clear()
        if self.reach is not None:
            try:  # before this cycle records events, so turning reach on tells only of what comes next
                self.reach.begin(datetime.now(UTC))
            except Exception as exc:  # the cursor is retried by after_cycle's run
                log.error("reach not started for tenant %s: %s", self.tenant, redact(f"{type(exc).__name__}: {exc}"))

    def observed(
        self,
        po: PurchaseOrder,
        order: DistributorOrder | None,
        plan: Plan | None,
        now: datetime,
        *,
        error: str | None = None,
        events: Sequence[EventRecord] = (),
    ) -> None:
        kept = tuple(event for event in events if event.kind in NOTIFY_EVENT_KINDS)
        if self.reach is not None:
            self.reach.observed(po, plan, now)
        self._observations.append(_Observation(po, order, plan, now, error, kept))
        self._events.extend(kept)

    def flush(self) -> list[FactsRow]:
        """Build and save the buffered observations' facts (call in the engine's batch flush, after
        `save_results`); returns the rows saved."""
        observations, self._observations = self._observations, []
        if not observations:
            return []
        previous = load_facts(self.store, self.tenant, {o.po.id for o in observations})
        rows: list[FactsRow] = []
        for o in observations:
            # In order, so a PO observed twice in one batch builds on its newer row.
            row = facts_row(
                self.tenant,
                o.po,
                o.order,
                o.plan,
                o.now,
                previous.get(o.po.id),
                shipment_methods=self.shipment_methods,
                error=o.error,
                tdsynnex_zone=ZoneInfo(self.settings.tdsynnex.timezone),
            )
            previous[o.po.id] = row
            rows.append(row)
            if any(event.kind == "stage_changed" for event in o.events) or o.po.id in self._stage_facts:
                self._stage_facts[o.po.id] = row
        save_facts(self.store, rows)
        return rows

    async def after_cycle(self, now: datetime) -> tuple[AlertOutcome, NotifyResult]:
        """Save what is left, evaluate the alerts, notify. Never raises: the cycle's writes are done,
        and an alert evaluated one cycle late is better than a cycle reported as failed."""
        try:
            self.flush()
            outcome = evaluate_alerts(self.store, self.settings, self.tenant, now)
        except Exception as exc:  # a store hiccup here must not fail a cycle that already wrote
            log.error("alerts not evaluated for tenant %s: %s", self.tenant, redact(f"{type(exc).__name__}: {exc}"))
            outcome = AlertOutcome()
        events, self._events = self._events, []
        facts, self._stage_facts = self._stage_facts, {}
        sent = await notify(self.settings, outcome, events, facts=facts, store=self.store, now=now)
        self.last_alerts, self.last_notify = outcome, sent
        if self.reach is not None:
            try:
                self.last_reach = await self.reach.run(now, self.shipment_methods)
            except Exception as exc:  # decided messages stay in the outbox for the next cycle
                text = redact(f"{type(exc).__name__}: {exc}")
                log.error("reach stopped for tenant %s: %s", self.tenant, text)
                self.last_reach = ReachResult(problems=[text])
        return outcome, sent


@dataclass(frozen=True, slots=True)
class _Observation:
    """What `observed` was told about one check, until the flush builds its fact row."""

    po: PurchaseOrder
    order: DistributorOrder | None
    plan: Plan | None
    now: datetime
    error: str | None
    events: tuple[EventRecord, ...]


class QuietHooks(OperatorHooks):
    """The operator hooks minus everything that reaches a person: facts are saved, nothing is sent
    (backfill and replay: their events were news when they first happened)."""

    async def after_cycle(self, now: datetime) -> Any:
        self.flush()
        return None


def live_engine(
    tenant: Tenant,
    *,
    discover: Discover | None = None,
    rng: random.Random | None = None,
    fence: Fence | None = None,
    duplicates: DuplicateNumbers | None = None,
) -> Engine:
    """The engine of a live cycle: TD SYNNEX's answers, and the operator's view (facts, alerts, notifications).
    `fence` is the writer lease the runner holds (runners/writer.py). Its listing is of tracked POs (the
    default one, or the daemon's incremental one), so an empty one checks the tracking custom field exists."""
    reach = Reach(tenant.settings, tenant.store, tenant.name, tenant.connectwise, fence=fence)
    hooks = OperatorHooks(tenant.settings, tenant.store, tenant.name, reach=reach)
    return Engine(
        tenant,
        discover=discover,
        hooks=hooks,
        rng=rng,
        fence=fence,
        duplicates=duplicates,
        check_tracking_field=True,
    )
