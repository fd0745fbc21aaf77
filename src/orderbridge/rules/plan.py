"""The planner: one ConnectWise PO + its TD SYNNEX order + invoices + what we knew before -> a Plan. Pure.

No I/O, no clock, no logging, so `--dry-run` can print a plan and tests can table-drive it. The stage is
decided once (`stages.py`, lifted to CLOSED by `closing.py`) into a `Situation`; then every rule module
adds its changes and events: status and stage events here, header fields in `header.py`, lines in
`lines.py`, invoices in `invoices.py`, custom fields in `custom_fields.py`. Notes are written last, from
the events that survived de-duplication, so a note exists exactly when its event is new.
"""

from __future__ import annotations

from collections.abc import Sequence

from orderbridge.core.delivery import TrackedParcel
from orderbridge.core.domain import (
    DistributorOrder,
    Event,
    FieldChange,
    Invoice,
    Note,
    Plan,
    PurchaseOrder,
    Reference,
    Stage,
)
from orderbridge.rules.admission import admit
from orderbridge.rules.carriers import resolve_shipment_method, tracking_link
from orderbridge.rules.cartons import current as current_parcels
from orderbridge.rules.closing import close_verdict
from orderbridge.rules.custom_fields import custom_fields_rule
from orderbridge.rules.delivery import NOTE_KINDS, delivery_note_text, delivery_rule, delivery_verdict
from orderbridge.rules.header import shipment_date_rule, shipment_method_rule, tracking_rule, vendor_order_rule
from orderbridge.rules.invoice_fields import distinct_invoices, invoice_rule
from orderbridge.rules.lines import line_rule
from orderbridge.rules.notes import (
    ShipmentFacts,
    TrackedPackage,
    invoice_note,
    note_marker,
    shipment_note,
    stage_note,
)
from orderbridge.rules.shipping import Shipment, cw_datetime, describe_ship_method, local_date, shipments
from orderbridge.rules.situation import (
    FIRST_SIGHT,
    NOTHING,
    Outcome,
    PlanContext,
    PriorState,
    Rule,
    Situation,
    lines_text,
    stage_status_name,
)
from orderbridge.rules.stages import INVOICED_BY_SERVICE, RELEASED_BY_PARTNER, StageVerdict, derive_stage

__all__ = ["RULES", "PlanContext", "PriorState", "Situation", "plan_purchase_order", "stage_status_name"]


def _stage_of_status(ctx: PlanContext, status: Reference | None) -> Stage | None:
    """The stage a PO's status stands for: by id first (a status a person renamed is still ours, see
    rules/statuses.py), then by name (a second status that carries one of our names)."""
    if status is None:
        return None
    names = ctx.status_names
    for stage in Stage:
        ours = ctx.statuses.get(stage_status_name(names, stage).casefold())
        if ours is not None and ours.id == status.id:
            return stage
    for stage in Stage:
        if status.name is not None and stage_status_name(names, stage).casefold() == status.name.casefold():
            return stage
    return None


def _person_owns(po: PurchaseOrder, ctx: PlanContext, prior: PriorState) -> bool:
    if prior.person_status:
        return True
    if po.status is None or po.status.name is None or prior.written_status is None:
        # First sight: "On Order", "New"... is where every PO starts, so we take it over.
        return False
    if _stage_of_status(ctx, po.status) is not None:
        return False
    return po.status.name.casefold() != prior.written_status.casefold()


def status_rule(s: Situation) -> Outcome:
    # A person set "Cancelled" (or any non-TDS status) after we wrote one: the status is theirs now.
    if s.person_owns_status:
        current = s.po.status.name if s.po.status else None
        summary = f"Status set to '{current}' by a person; orderbridge no longer writes this PO's status"
        return Outcome(events=(Event("status_taken_over", summary, s.stage, "status_taken_over"),))
    # An older answer (shipped, then accepted again) must not move the PO back: write nothing.
    if s.stale:
        return NOTHING
    target = s.stage_name(s.stage)
    status = s.ctx.statuses.get(target.casefold())
    # The tenant never ran setup, or someone deleted our status: say how to fix it, write nothing.
    if status is None:
        problem = f"ConnectWise has no PO status '{target}'; run `orderbridge setup`"
        return Outcome(problems=(problem,), needs_setup=True)
    if status.inactive_flag:
        problem = f"ConnectWise PO status '{target}' is inactive; reactivate it or run setup"
        return Outcome(problems=(problem,), needs_setup=True)
    if s.po.status is not None and s.po.status.id == status.id:
        return NOTHING
    old = s.po.status.name if s.po.status else None
    return Outcome(changes=(FieldChange("status", old, {"id": status.id}, s.verdict.rule, new_name=status.name),))


def stage_event_rule(s: Situation) -> Outcome:
    # The stage moved forward since the last observation (first sight included).
    if s.stale or s.prior.stage == s.stage:
        return NOTHING
    summary = f"{s.stage_name(s.stage)}: {_stage_detail(s)}"
    details = {"rule": s.verdict.rule, "observed_at": cw_datetime(s.ctx.now)}
    return Outcome(events=(Event("stage_changed", summary, s.stage, f"stage:{s.stage.name}", details),))


def shipment_event_rule(s: Situation) -> Outcome:
    # Each new shipment is news ("2 of 5 lines shipped"), also when the stage stays SHIPPED.
    if s.stale:
        return NOTHING
    events = []
    for shipment in shipments(s.order):
        first = shipment.lines[0]
        method = describe_ship_method(first.ship_method, first.ship_method_description)
        tracking = ", ".join(shipment.tracking_numbers) or "no tracking number"
        summary = (
            f"Shipped {len({line.line_number for line in shipment.lines})} of {lines_text(s.verdict.live_lines)} "
            f"(sales order {shipment.order_number or 'unknown'}, {method} {tracking})"
        )
        details = {
            "sales_order": shipment.order_number,
            "tracking_numbers": list(shipment.tracking_numbers),
            "ship_datetime": cw_datetime(shipment.ship_datetime) if shipment.ship_datetime else None,
            "ship_method": first.ship_method,
            "ship_method_description": first.ship_method_description,
            "lines": [line.line_number for line in shipment.lines],
        }
        events.append(Event("shipment", summary, s.stage, shipment.key, details))
    return Outcome(events=tuple(events))


def _stage_detail(s: Situation) -> str:
    verdict, stage = s.verdict, s.stage
    if stage is Stage.ACCEPTED:
        back = f" ({verdict.back_ordered_lines} back-ordered)" if verdict.back_ordered_lines else ""
        return f"{lines_text(verdict.live_lines)} accepted{back}"
    if stage is Stage.RELEASED:
        return (
            "released to ship (Partner API)"
            if verdict.rule == RELEASED_BY_PARTNER
            else "released to ship (fee details present)"
        )
    if stage is Stage.INVOICED and verdict.rule == INVOICED_BY_SERVICE:
        count = len(distinct_invoices(s.invoices))
        return f"every sales order invoiced ({count} invoice{'' if count == 1 else 's'})"
    if stage is Stage.INVOICED:
        return "the line invoiced" if verdict.live_lines == 1 else f"all {verdict.live_lines} lines invoiced"
    if stage is Stage.CLOSED:
        return verdict.rule if verdict.stage is Stage.CLOSED else "closed"
    return f"{verdict.shipped_lines} of {lines_text(verdict.live_lines)} shipped"


def _packages(s: Situation, shipment: Shipment) -> tuple[TrackedPackage, ...]:
    first = shipment.lines[0]
    code, description = first.ship_method, first.ship_method_description
    verdict = resolve_shipment_method(code, description, shipment.tracking_numbers, s.ctx.shipment_methods)
    # A link only where the carrier is agreed; a contradicted number gets none rather than a wrong one.
    return tuple(
        TrackedPackage(n, None if verdict.contradicted else tracking_link(n, verdict.method, verdict.carrier))
        for n in shipment.tracking_numbers
    )


def _notes(s: Situation, events: Sequence[Event]) -> tuple[Note, ...]:
    if not s.ctx.sync.notes:
        return ()
    found = {shipment.key: shipment for shipment in shipments(s.order)}
    invoices = distinct_invoices(s.invoices)
    packages = tuple(dict.fromkeys(p for shipment in found.values() for p in _packages(s, shipment)))
    shipped = f"{s.stage_name(Stage.SHIPPED)}: {s.verdict.shipped_lines} of {lines_text(s.verdict.live_lines)} shipped"
    billed_in_stage_note = s.stage >= Stage.INVOICED and any(e.kind == "stage_changed" for e in events)
    live_orders = tuple(dict.fromkeys(line.order_number for line in s.order.live_lines if line.order_number))
    notes: list[Note] = []
    for event in events:
        if event.kind == "stage_changed":
            orders = live_orders if s.stage <= Stage.RELEASED else ()
            shown = packages if s.stage >= Stage.SHIPPED else ()
            billed = invoices if s.stage >= Stage.INVOICED else ()
            notes.append(stage_note(event.key, event.summary, sales_orders=orders, packages=shown, invoices=billed))
        elif event.kind == "shipment" and event.key in found:
            shipment = found[event.key]
            first = shipment.lines[0]
            facts = ShipmentFacts(
                order_number=shipment.order_number,
                shipped_on=local_date(shipment.ship_datetime, s.ctx.tdsynnex_zone) if shipment.ship_datetime else None,
                method=describe_ship_method(first.ship_method, first.ship_method_description),
                lines=tuple(line.line_number for line in shipment.lines),
                packages=_packages(s, shipment),
            )
            notes.append(shipment_note(event.key, shipped, facts))
        elif event.kind == "invoice" and not billed_in_stage_note:
            invoice = next(i for i in invoices if f"invoice:{i.invoice_number}" == event.key)
            notes.append(invoice_note(event.key, invoice, invoices))
        elif event.kind in NOTE_KINDS and (text := delivery_note_text(s, event)) is not None:
            # One note per delivery, found again by its marker after a crash like every other note.
            notes.append(Note(event.key, f"{text} {note_marker(event.key)}"))
    return tuple(notes)


RULES: tuple[Rule, ...] = (
    status_rule,
    tracking_rule,
    shipment_date_rule,
    shipment_method_rule,
    vendor_order_rule,
    invoice_rule,
    custom_fields_rule,
    line_rule,
    stage_event_rule,
    shipment_event_rule,
    delivery_rule,
)


def _verdict(
    order: DistributorOrder, ctx: PlanContext, invoices: Sequence[Invoice], delivered: bool | None
) -> StageVerdict:
    billed = frozenset(invoice.order_number for invoice in invoices if invoice.order_number)
    verdict = derive_stage(order, release_on_fees=ctx.release_on_fees, invoiced_orders=billed)
    return close_verdict(verdict, order, now=ctx.now, close_after_days=ctx.sync.close_after_days, delivered=delivered)


def plan_purchase_order(
    po: PurchaseOrder,
    order: DistributorOrder,
    ctx: PlanContext,
    prior: PriorState = FIRST_SIGHT,
    *,
    invoices: Sequence[Invoice] = (),
    delivered: bool | None = None,
    parcels: Sequence[TrackedParcel] = (),
) -> Plan:
    """Decide what this PO needs. A plan with any problem has no changes, events or notes (fail closed).

    `invoices` come from the invoice query service; `parcels` are the PO's packages as the carriers last
    told us (rules/delivery.py decides from them whether the PO is delivered). Without parcels,
    `delivered` says it directly (None: unknown, so CLOSED waits `sync.close_after_days` after the last
    ship date).
    """

    def refuse(*problems: str, needs_setup: bool = False) -> Plan:
        return Plan(
            po.id,
            po.po_number,
            problems=problems,
            stage=prior.stage,
            previous_stage=prior.stage,
            status_owned_by_person=prior.person_status,
            needs_setup=needs_setup,
        )

    # The engine rejects POs without a number before asking TD SYNNEX; guard anyway, nothing to key on.
    if not po.po_number:
        return refuse(f"ConnectWise PO {po.id} has no PO number; TD SYNNEX orders are keyed by it")
    # A value ConnectWise must not receive (an identifier with a control or bidi character, a year-9999
    # date, a negative quantity): refuse the whole PO and say which value. Free text comes back cleaned.
    admitted = admit(order, invoices, now=ctx.now)
    if admitted.problems:
        return refuse(*admitted.problems)
    order, invoices = admitted.order, admitted.invoices
    mine = tuple(current_parcels(order, parcels))
    if parcels:
        delivered = delivery_verdict(order, mine)
    verdict = _verdict(order, ctx, invoices, delivered)
    # notFound, rejected, every line deleted, or codes we cannot read: we do not understand the order.
    if verdict.problem is not None or verdict.stage is None:
        return refuse(verdict.problem or f"no stage could be derived for PO {po.po_number} ({verdict.rule})")
    current = _stage_of_status(ctx, po.status)
    floor = max((st for st in (prior.stage, current) if st is not None), default=verdict.stage)
    situation = Situation(
        po=po,
        order=order,
        ctx=ctx,
        prior=prior,
        verdict=verdict,
        stage=max(verdict.stage, floor),
        stale=verdict.stage < floor,
        person_owns_status=_person_owns(po, ctx, prior),
        invoices=tuple(invoices),
        parcels=mine,
    )
    outcomes = [rule(situation) for rule in RULES]
    problems = tuple(p for o in outcomes for p in o.problems)
    if problems:
        return refuse(*problems, needs_setup=any(o.needs_setup for o in outcomes if o.problems))
    # Several rules can report one fact (the header and a line both meet a 60-character number): an event
    # key is announced once per PO, ever, so the store's keys and this plan's own keys both filter.
    seen = set(prior.event_keys)
    events: list[Event] = []
    for event in (e for o in outcomes for e in o.events):
        if event.key not in seen:
            seen.add(event.key)
            events.append(event)
    return Plan(
        po_id=po.id,
        po_number=po.po_number,
        changes=tuple(c for o in outcomes for c in o.changes),
        events=tuple(events),
        stage=situation.stage,
        previous_stage=prior.stage,
        status_owned_by_person=situation.person_owns_status,
        notes=_notes(situation, events),
    )
