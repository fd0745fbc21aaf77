"""How a sync cycle feeds the operator's view: facts per PO, alerts and notifications after the cycle.

`OperatorHooks` is the engine's `CycleHooks`: it buffers one fact row per PO checked, saves them in the
engine's batch flush, and after the cycle evaluates alerts and sends notifications. `ObservedEngine`
is an engine with them attached (the screenshots, the web tests, `orderbridge web`'s demo data).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from orderbridge.alerts.evaluate import AlertOutcome, evaluate_alerts
from orderbridge.config import Settings
from orderbridge.domain import DistributorOrder, Plan, PurchaseOrder, ShipmentMethod
from orderbridge.errors import redact
from orderbridge.notify.send import NotifyResult, notify
from orderbridge.pagewindow import PageWindow
from orderbridge.reports.facts import facts_row
from orderbridge.store import EventRecord, Store
from orderbridge.store.facts import FactsRow, load_facts, save_facts
from orderbridge.sync.engine import Engine

log = logging.getLogger("orderbridge.alerts")


# The only events `notify` reads (notify/messages.py: a stage reached, with its shipments' tracking).
NOTIFY_EVENT_KINDS = frozenset({"stage_changed", "shipment"})


class OperatorHooks:
    """Buffers one cycle's facts and events; `after_cycle` saves them, evaluates alerts and notifies.

    What it holds is bounded by the engine's pages and batches, not by the tenant's size: previous facts
    of the last few pages listed (those not observed yet), the rows not yet flushed, and for
    notifications only the POs that reached a stage in this cycle (their new facts, stage and shipment
    events).
    """

    def __init__(self, settings: Settings, store: Store, tenant: str) -> None:
        self.settings = settings
        self.store = store
        self.tenant = tenant
        self.shipment_methods: Sequence[ShipmentMethod] = ()
        # Loaded a page at a time by `prime`, dropped when the PO is observed or its page is old.
        self._previous: dict[int, FactsRow] = {}
        # Previous facts of the last few pages only (pagewindow.py). A PO still in flight whose row went
        # loads its own (one query) in `observed`, which gives the same row: the store still holds it.
        self._pages = PageWindow()
        # Rows built but not saved yet, by PO: a PO observed twice before a flush builds on its newest row.
        self._pending: dict[int, FactsRow] = {}
        self._rows: list[FactsRow] = []
        self._events: list[EventRecord] = []
        self._stage_facts: dict[int, FactsRow] = {}
        self.last_alerts = AlertOutcome()
        self.last_notify = NotifyResult()

    def begin_cycle(self, shipment_methods: Sequence[ShipmentMethod]) -> None:
        self.shipment_methods = tuple(shipment_methods)
        self._previous.clear()
        self._pages.clear()
        self._stage_facts.clear()

    def prime(self, po_ids: Iterable[int]) -> None:
        """Load the previous facts of a page of POs in one query (call beside `load_tracked`)."""
        ids = list(po_ids)
        self._previous.update(load_facts(self.store, self.tenant, ids))
        for po_id in self._pages.admit(ids):
            self._previous.pop(po_id, None)

    def observed(
        self,
        po: PurchaseOrder,
        order: DistributorOrder | None,
        plan: Plan | None,
        now: datetime,
        *,
        error: str | None = None,
        events: Sequence[EventRecord] = (),
    ) -> FactsRow:
        primed = self._previous.pop(po.id, None)
        previous = self._pending.get(po.id) or primed
        if previous is None:
            previous = load_facts(self.store, self.tenant, [po.id]).get(po.id)
        row = facts_row(
            self.tenant, po, order, plan, now, previous, shipment_methods=self.shipment_methods, error=error
        )
        self._pending[po.id] = row
        self._rows.append(row)
        kept = [event for event in events if event.kind in NOTIFY_EVENT_KINDS]
        if kept:
            self._events.extend(kept)
        if any(event.kind == "stage_changed" for event in kept) or po.id in self._stage_facts:
            self._stage_facts[po.id] = row
        return row

    def flush(self) -> None:
        """Save the buffered facts (call in the engine's batch flush, after `save_results`)."""
        rows, self._rows = self._rows, []
        save_facts(self.store, rows)
        # Saved: a later observation of the same PO finds its row in the store.
        self._pending.clear()

    async def after_cycle(self, now: datetime) -> tuple[AlertOutcome, NotifyResult]:
        """Save what is left, evaluate the alerts, notify. Never raises: the cycle's writes are done,
        and an alert evaluated one cycle late is better than a cycle reported as failed."""
        events, self._events = self._events, []
        facts, self._stage_facts = self._stage_facts, {}
        self._previous.clear()
        self._pages.clear()
        try:
            self.flush()
            outcome = evaluate_alerts(self.store, self.settings, self.tenant, now)
        except Exception as exc:  # a store hiccup here must not fail a cycle that already wrote
            log.error("alerts not evaluated for tenant %s: %s", self.tenant, redact(f"{type(exc).__name__}: {exc}"))
            outcome = AlertOutcome()
        sent = await notify(self.settings, outcome, events, facts=facts, store=self.store, now=now)
        self.last_alerts, self.last_notify = outcome, sent
        return outcome, sent


class ObservedEngine(Engine):
    """An engine with the operator hooks attached, and the last cycle's alert and notification results."""

    def __init__(self, settings: Settings, *, store: Store, tenant: str = "default", **kwargs: Any) -> None:
        self.operator = OperatorHooks(settings, store, tenant)
        super().__init__(settings, store=store, tenant=tenant, hooks=self.operator, **kwargs)

    @property
    def last_alerts(self) -> AlertOutcome:
        return self.operator.last_alerts

    @property
    def last_notify(self) -> NotifyResult:
        return self.operator.last_notify
