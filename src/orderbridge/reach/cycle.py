"""One cycle of reach: turn the recorded events into decided messages, then send what is decided.

Deciding reads the `events` table past the tenant's reach cursor (store/outbox.py), not the cycle's
memory: an event is recorded by the engine before anyone is told, so a crash anywhere after that is
picked up by the next cycle. For each event the PO's ConnectWise context is read once per cycle
(connectwise/context.py), the audience rules applied (audience.py), each message rendered (compose.py)
and the messages recorded as "decided" in the same transaction that moves the cursor past the event.
Sending (deliver.py) then works through every decided message, this cycle's and any a crash left behind.

The one event reach derives itself is "back-ordered" (the engine has no event for it): a plan that ticks
a line's `backorderedFlag` is recorded as a `back_ordered` event after the cycle. It is the only one
a crash can lose: the flag is written, and the next cycle sees no change to derive it from again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from orderbridge.config import Settings
from orderbridge.connectwise.client import ConnectWiseClient
from orderbridge.connectwise.context import PoContext, load_context
from orderbridge.core.domain import Plan, PurchaseOrder, ShipmentMethod
from orderbridge.core.errors import Retriable, Skippable
from orderbridge.core.redaction import redact
from orderbridge.reach.audience import REACH_KINDS, Decision, ReachEvent, decide, phase_overdue, reach_event
from orderbridge.reach.audience import shipped_lines as lines_of
from orderbridge.reach.compose import render, values
from orderbridge.reach.deliver import Delivered, Deliverer, SmtpSend, smtp_send, staff_destinations
from orderbridge.store import EventRecord, Store
from orderbridge.store.outbox import OutboxMessage, message_key, messages_for, open_messages
from orderbridge.store.outbox import decide as record_decisions
from orderbridge.store.parcels import load_parcels
from orderbridge.store.reach_events import event_cursor, events_after, record_events, shipment_lines, start_cursor
from orderbridge.sync.apply import Fence

log = logging.getLogger("orderbridge.reach")


@dataclass
class ReachResult:
    decided: int = 0
    delivered: Delivered = field(default_factory=Delivered)
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Preview:
    """One message as `orderbridge reach preview` and `sync --dry-run` show it."""

    decision: Decision
    subject: str
    content: dict[str, Any]
    state: str  # "would send", "skipped: <why>", or the outbox state when already decided


def back_order_events(tenant: str, po: PurchaseOrder, plan: Plan | None, now: datetime) -> list[EventRecord]:
    """A `back_ordered` event when the plan ticks a line's backorderedFlag (the engine has none)."""
    if plan is None:
        return []
    numbers = {line.id: line.line_number for line in po.lines or ()}
    lines = sorted(
        {
            numbers.get(c.line_id) or 0
            for c in plan.changes
            if c.line_id is not None and c.field == "backorderedFlag" and c.new is True
        }
    )
    if not lines:
        return []
    text = ", ".join(str(n) for n in lines)
    summary = f"Line{'s' if len(lines) > 1 else ''} {text} back-ordered by the distributor"
    return [EventRecord(tenant, po.id, f"back_ordered:{text}", "back_ordered", summary, now, details={"lines": lines})]


class Reach:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        tenant: str,
        cw: ConnectWiseClient,
        *,
        fence: Fence | None = None,
        send_email: SmtpSend = smtp_send,
    ) -> None:
        self.settings, self.store, self.tenant, self.cw = settings, store, tenant, cw
        self.config = settings.reach
        self.deliverer = Deliverer(settings, store, tenant, cw, fence=fence, send_email=send_email)
        self._derived: list[EventRecord] = []

    @property
    def enabled(self) -> bool:
        return self.config.enabled

    def begin(self, now: datetime) -> None:
        if self.enabled:
            start_cursor(self.store, self.tenant, now)

    def observed(self, po: PurchaseOrder, plan: Plan | None, now: datetime) -> None:
        if self.enabled:
            self._derived.extend(back_order_events(self.tenant, po, plan, now))

    async def run(self, now: datetime, methods: Sequence[ShipmentMethod] = ()) -> ReachResult:
        """Decide, then deliver. Never raises except Fatal (a lost lease): one bad PO or a mail server
        that is down is recorded and retried next cycle, and the sync's own writes are already done."""
        result = ReachResult()
        if not self.enabled:
            return result
        derived, self._derived = self._derived, []
        record_events(self.store, derived)
        result.decided = await self.decide_new(now, methods, result.problems)
        result.delivered = await self.deliverer.deliver_open(now)
        for problem in result.problems + result.delivered.errors:
            log.warning("reach, tenant %s: %s", self.tenant, problem)
        return result

    async def decide_new(self, now: datetime, methods: Sequence[ShipmentMethod], problems: list[str]) -> int:
        cursor = start_cursor(self.store, self.tenant, now)
        contexts: dict[int, PoContext | None] = {}
        decided = 0
        for row in events_after(self.store, self.tenant, cursor, REACH_KINDS):
            if row.po_id not in contexts:
                try:
                    contexts[row.po_id] = await load_context(self.cw, row.po_id)
                except Skippable as exc:  # the PO is gone or unreadable: nobody can be told about it
                    problems.append(redact(f"PO id {row.po_id}: context not read: {exc}"))
                    contexts[row.po_id] = None
                except Retriable as exc:  # ConnectWise is busy: this event and the rest wait for next cycle
                    problems.append(redact(f"PO id {row.po_id}: context not read, retried next cycle: {exc}"))
                    break
            context = contexts[row.po_id]
            messages = self.messages(row, context, methods, now) if context is not None else []
            new = record_decisions(self.store, self.tenant, messages, now, cursor=row.id)
            decided += len(new)
            skipped = [m for m in new if m.state == "skipped"]
            if skipped:  # nobody to send to: the log says so now, as it says "notified" when one is sent
                self.store.append_activity(
                    [self.deliverer.entry(m, now, "notify_skipped", m.error or "") for m in skipped]
                )
        return decided

    def _event(self, row: Any, context: PoContext) -> ReachEvent | None:
        complete = False
        if row.kind == "shipment":
            shipped = lines_of(shipment_lines(self.store, self.tenant, row.po_id, row.id))
            live = {item.line_number for item in context.items if not item.canceled and item.line_number}
            complete = bool(live) and live <= shipped
        return reach_event(row.kind, row.key, row.summary, dict(row.details or {}), complete=complete)

    def decisions(self, row: Any, context: PoContext, now: datetime) -> list[Decision]:
        event = self._event(row, context)
        if event is None:
            return []
        late = False
        if event.name == "delay" and self.config.phase_delay:
            estimate = event.details.get("estimate")
            expected = datetime.fromisoformat(estimate).date() if isinstance(estimate, str) else None
            late = phase_overdue(context, expected, now.date())
        extra = ("project_manager",) if late else ()
        decisions = decide(self.config, event, context, staff_destinations(self.settings), extra_audiences=extra)
        if late and context.ticket_id is not None and not any(d.channel == "ticket_note" for d in decisions):
            # A phase about to be missed is also written on the project's ticket, whatever the channels say.
            ticket = f"ticket:{context.ticket_id}"
            decisions.append(Decision(event, "project_manager", "ticket_note", ticket, context.ticket_summary))
        return decisions

    def messages(
        self, row: Any, context: PoContext, methods: Sequence[ShipmentMethod], now: datetime
    ) -> list[OutboxMessage]:
        out = []
        row = self._with_estimate(row)
        for decision in self.decisions(row, context, now):
            out.append(self._message(decision, row.po_id, context, methods, now))
        return out

    def _with_estimate(self, row: Any) -> Any:
        """A shipment event carries no delivery estimate: the carriers' (else TD SYNNEX's) latest one for its
        packages, from the parcels table, so "has shipped" emails can say when to expect them."""
        details = dict(row.details or {})
        numbers = set(details.get("tracking_numbers") or ())
        if row.kind != "shipment" or not numbers or details.get("estimate"):
            return row
        parcels = load_parcels(self.store, self.tenant, [row.po_id]).get(row.po_id, ())
        dates = [p.estimate or p.tds_estimate for p in parcels if p.tracking_number in numbers]
        known = [d for d in dates if d is not None]
        if not known:
            return row
        details["estimate"] = max(known).isoformat()
        return _Row(row.id, row.po_id, row.key, row.kind, row.summary, details)

    def _message(
        self, decision: Decision, po_id: int, context: PoContext, methods: Sequence[ShipmentMethod], now: datetime
    ) -> OutboxMessage:
        po_number = context.po_number or str(po_id)
        key = message_key(
            self.tenant, po_id, decision.event.key, decision.audience, decision.channel, decision.recipient
        )
        if decision.skip is not None:
            subject, content = f"{decision.event.name}: not sent", {}
        else:
            data = values(decision, context, po_number, methods, today=now.date(), links=self.config.tracking_links)
            content = render(decision, data, key, templates_dir=self.config.templates_dir)
            subject = str(content.get("subject") or decision.event.name)
        return OutboxMessage(
            tenant=self.tenant,
            po_id=po_id,
            po_number=po_number,
            event_key=decision.event.key,
            event=decision.event.name,
            audience=decision.audience,
            channel=decision.channel,
            recipient=decision.recipient,
            recipient_name=decision.recipient_name,
            subject=subject,
            content=content,
            state="skipped" if decision.skip else "decided",
            error=decision.skip,
        )

    async def pending(self, now: datetime, methods: Sequence[ShipmentMethod] = ()) -> list[Preview]:
        """What the next live cycle would send, writing nothing (`sync --dry-run`): messages decided and not
        sent yet, and the messages of events recorded past the cursor. A dry-run cycle records no events,
        so its own news shows here only after a live cycle has recorded it."""
        if not self.enabled:
            return []
        previews = [
            Preview(
                Decision(ReachEvent(m.event, m.event_key, m.subject), m.audience, m.channel, m.recipient),
                m.subject,
                m.content,
                "would send" if m.state == "decided" else "would resend (interrupted)",
            )
            for m in open_messages(self.store, self.tenant, now)
        ]
        cursor = event_cursor(self.store, self.tenant)
        if cursor is None:
            return previews
        contexts: dict[int, PoContext] = {}
        for row in events_after(self.store, self.tenant, cursor, REACH_KINDS):
            if row.po_id not in contexts:
                contexts[row.po_id] = await load_context(self.cw, row.po_id)
            for message in self.messages(row, contexts[row.po_id], methods, now):
                state = f"skipped: {message.error}" if message.state == "skipped" else "would send"
                decision = Decision(
                    ReachEvent(message.event, message.event_key, row.summary),
                    message.audience,
                    message.channel,
                    message.recipient,
                    message.recipient_name,
                )
                previews.append(Preview(decision, message.subject, message.content, state))
        return previews

    async def preview(self, po_id: int, methods: Sequence[ShipmentMethod] = (), *, now: datetime) -> list[Preview]:
        """Every message the PO's recorded events call for, rendered, with what became of each. Reads
        ConnectWise, writes nothing."""
        context = await load_context(self.cw, po_id)
        known = {m.key: m for m in messages_for(self.store, self.tenant, po_id)}
        previews = []
        for record in self.store.events_for(self.tenant, po_id):
            if record.kind not in REACH_KINDS:
                continue
            row = _Row(record.id or 0, po_id, record.dedup_key, record.kind, record.summary, dict(record.details))
            for message in self.messages(row, context, methods, now):
                stored = known.get(message.key)
                state = stored.state if stored else ("would send" if message.state == "decided" else "skipped")
                if state == "skipped" and message.error:
                    state = f"skipped: {message.error}"
                decision = Decision(
                    ReachEvent(message.event, message.event_key, record.summary),
                    message.audience,
                    message.channel,
                    message.recipient,
                    message.recipient_name,
                    message.error,
                )
                previews.append(Preview(decision, message.subject, message.content, state))
        return previews


@dataclass(frozen=True, slots=True)
class _Row:
    """An event as `decide_new` reads it from the table, for the preview of already recorded events."""

    id: int
    po_id: int
    key: str
    kind: str
    summary: str
    details: dict[str, Any]
