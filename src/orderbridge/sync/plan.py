"""The planner: one ConnectWise PO + its TD SYNNEX order + what we knew before -> a Plan. Pure.

No I/O, no clock, no logging, so `--dry-run` can print a plan and tests can table-drive it. The plan is
built by a list of rule functions over one `Situation`; header rules live here, and a later `lines.py`
adds its rules (FieldChange(line_id=...)) to `RULES` without touching these.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from orderbridge.config import StatusNames
from orderbridge.domain import (
    DistributorOrder,
    Event,
    FieldChange,
    Plan,
    PurchaseOrder,
    PurchaseOrderStatus,
    ShipmentMethod,
    Stage,
)
from orderbridge.sync.shipping import (
    CW_TEXT_LIMIT,
    cw_datetime,
    describe_ship_method,
    latest_ship_datetime,
    latest_shipped_line,
    latest_tracking_number,
    match_shipment_method,
    shipments,
    vendor_order_text,
)
from orderbridge.sync.stages import StageVerdict, derive_stage


@dataclass(frozen=True)
class PriorState:
    """What the store knew about this PO before this observation."""

    stage: Stage | None = None
    written_status: str | None = None
    person_status: bool = False
    event_keys: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PlanContext:
    status_names: StatusNames
    statuses: Mapping[str, PurchaseOrderStatus]
    shipment_methods: Sequence[ShipmentMethod]
    now: datetime
    release_on_fees: bool = True


@dataclass(frozen=True)
class Situation:
    """Everything a rule may look at, decided once so no two rules disagree about the stage."""

    po: PurchaseOrder
    order: DistributorOrder
    ctx: PlanContext
    prior: PriorState
    verdict: StageVerdict
    stage: Stage
    stale: bool
    person_owns_status: bool

    def stage_name(self, stage: Stage) -> str:
        return stage_status_name(self.ctx.status_names, stage)


@dataclass(frozen=True)
class Outcome:
    changes: tuple[FieldChange, ...] = ()
    events: tuple[Event, ...] = ()
    problems: tuple[str, ...] = ()


Rule = Callable[[Situation], Outcome]
NOTHING = Outcome()


def stage_status_name(names: StatusNames, stage: Stage) -> str:
    return str(getattr(names, stage.name.lower()))


def _stage_of_status(names: StatusNames, status_name: str | None) -> Stage | None:
    for stage in Stage:
        if status_name is not None and stage_status_name(names, stage).casefold() == status_name.casefold():
            return stage
    return None


def _person_owns(po: PurchaseOrder, ctx: PlanContext, prior: PriorState) -> bool:
    if prior.person_status:
        return True
    current = po.status.name if po.status else None
    if current is None or prior.written_status is None:
        # First sight: "On Order", "New"... is where every PO starts, so we take it over.
        return False
    ours = {name.casefold() for name in ctx.status_names.all()}
    return current.casefold() not in ours and current.casefold() != prior.written_status.casefold()


# --- header rules (one real situation per comment) ---------------------------------------------------


def status_rule(s: Situation) -> Outcome:
    # A person set "Cancelled" (or any non-TDS status) after we wrote one: the status is theirs now.
    if s.person_owns_status:
        if "status_taken_over" in s.prior.event_keys:
            return NOTHING
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
        return Outcome(problems=(f"ConnectWise has no PO status '{target}'; run `orderbridge setup`",))
    if status.inactive_flag:
        return Outcome(problems=(f"ConnectWise PO status '{target}' is inactive; reactivate it or run setup",))
    if s.po.status is not None and s.po.status.id == status.id:
        return NOTHING
    old = s.po.status.name if s.po.status else None
    return Outcome(changes=(FieldChange("status", old, {"id": status.id}, s.verdict.rule),))


def tracking_rule(s: Situation) -> Outcome:
    number = latest_tracking_number(s.order)
    # Nothing shipped yet, or the latest carton is already on the PO.
    if s.stale or number is None or number == s.po.tracking_number:
        return NOTHING
    # LTL / forwarder references can outgrow ConnectWise's 50 characters: never truncate; the full list
    # goes to a note in a later issue, so keep the field and record the number.
    if len(number) > CW_TEXT_LIMIT:
        key = f"tracking_too_long:{number}"
        if key in s.prior.event_keys:
            return NOTHING
        summary = f"Tracking number longer than {CW_TEXT_LIMIT} characters, not written: {number}"
        return Outcome(events=(Event("tracking_too_long", summary, s.stage, key, {"tracking_number": number}),))
    return Outcome(changes=(FieldChange("trackingNumber", s.po.tracking_number, number, "latest package"),))


def shipment_date_rule(s: Situation) -> Outcome:
    # Partial shipments weeks apart: the header carries the latest one.
    latest = latest_ship_datetime(s.order)
    if s.stale or latest is None:
        return NOTHING
    new = cw_datetime(latest)
    old = cw_datetime(s.po.shipment_date) if s.po.shipment_date else None
    if new == old:
        return NOTHING
    return Outcome(changes=(FieldChange("shipmentDate", old, new, "latest ShipDatetime"),))


def shipment_method_rule(s: Situation) -> Outcome:
    line = latest_shipped_line(s.order)
    if s.stale or line is None or not (line.ship_method or line.ship_method_description):
        return NOTHING
    method = match_shipment_method(line.ship_method, line.ship_method_description, s.ctx.shipment_methods)
    # A code the tenant's table cannot place (drop-ship UPSN, a new code): say it verbatim, write nothing.
    if method is None:
        key = f"unknown_carrier:{line.ship_method or line.ship_method_description}"
        if key in s.prior.event_keys:
            return NOTHING
        summary = (
            f"Ship method '{line.ship_method or ''}' ('{line.ship_method_description or ''}') "
            "matches no ConnectWise shipment method; shipment method not written"
        )
        details = {"code": line.ship_method, "description": line.ship_method_description}
        return Outcome(events=(Event("unknown_carrier", summary, s.stage, key, details),))
    current = s.po.shipment_method
    if current is not None and current.id == method.id:
        return NOTHING
    old = current.name if current else None
    reason = f"ship method {describe_ship_method(line.ship_method, line.ship_method_description)}"
    return Outcome(changes=(FieldChange("shipmentMethod", old, {"id": method.id}, reason),))


def vendor_order_rule(s: Situation) -> Outcome:
    # One PO fans out into several sales orders (splits, back-orders); cancelled (deleted) ones are left out.
    text = vendor_order_text([line.order_number or "" for line in s.order.live_lines])
    if s.stale or text is None or text == s.po.vendor_order_number:
        return NOTHING
    return Outcome(changes=(FieldChange("vendorOrderNumber", s.po.vendor_order_number, text, "sales orders"),))


def stage_event_rule(s: Situation) -> Outcome:
    # The stage moved forward since the last observation (first sight included).
    key = f"stage:{s.stage.name}"
    if s.stale or s.prior.stage == s.stage or key in s.prior.event_keys:
        return NOTHING
    summary = f"{s.stage_name(s.stage)}: {_stage_detail(s.stage, s.verdict)}"
    details = {"rule": s.verdict.rule, "observed_at": cw_datetime(s.ctx.now)}
    return Outcome(events=(Event("stage_changed", summary, s.stage, key, details),))


def shipment_event_rule(s: Situation) -> Outcome:
    # Each new shipment is news ("2 of 5 lines shipped"), also when the stage stays SHIPPED.
    if s.stale:
        return NOTHING
    events = []
    for shipment in shipments(s.order):
        if shipment.key in s.prior.event_keys:
            continue
        first = shipment.lines[0]
        method = describe_ship_method(first.ship_method, first.ship_method_description)
        tracking = ", ".join(shipment.tracking_numbers) or "no tracking number"
        summary = (
            f"Shipped {len({line.line_number for line in shipment.lines})} of {_lines(s.verdict.live_lines)} "
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


def _stage_detail(stage: Stage, verdict: StageVerdict) -> str:
    if stage is Stage.ACCEPTED:
        back = f" ({verdict.back_ordered_lines} back-ordered)" if verdict.back_ordered_lines else ""
        return f"{_lines(verdict.live_lines)} accepted{back}"
    if stage is Stage.RELEASED:
        return "released to ship (fee details present)"
    if stage is Stage.INVOICED:
        return "the line invoiced" if verdict.live_lines == 1 else f"all {verdict.live_lines} lines invoiced"
    return f"{verdict.shipped_lines} of {_lines(verdict.live_lines)} shipped"


def _lines(count: int) -> str:
    return f"{count} line" if count == 1 else f"{count} lines"


RULES: tuple[Rule, ...] = (
    status_rule,
    tracking_rule,
    shipment_date_rule,
    shipment_method_rule,
    vendor_order_rule,
    stage_event_rule,
    shipment_event_rule,
)


def plan_purchase_order(
    po: PurchaseOrder, order: DistributorOrder, ctx: PlanContext, prior: PriorState = PriorState()
) -> Plan:
    """Decide what this PO needs. A plan with any problem has no changes and no events (fail closed)."""

    def refuse(*problems: str) -> Plan:
        return Plan(
            po.id,
            po.po_number,
            problems=problems,
            stage=prior.stage,
            previous_stage=prior.stage,
            status_owned_by_person=prior.person_status,
        )

    # The engine rejects POs without a number before asking TD SYNNEX; guard anyway, nothing to key on.
    if not po.po_number:
        return refuse(f"ConnectWise PO {po.id} has no PO number; TD SYNNEX orders are keyed by it")
    verdict = derive_stage(order, release_on_fees=ctx.release_on_fees)
    # notFound, rejected, every line deleted, or codes we cannot read: we do not understand the order.
    if verdict.problem is not None or verdict.stage is None:
        return refuse(verdict.problem or f"no stage could be derived for PO {po.po_number} ({verdict.rule})")
    current = _stage_of_status(ctx.status_names, po.status.name if po.status else None)
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
    )
    outcomes = [rule(situation) for rule in RULES]
    problems = tuple(p for o in outcomes for p in o.problems)
    if problems:
        return refuse(*problems)
    return Plan(
        po_id=po.id,
        po_number=po.po_number,
        changes=tuple(c for o in outcomes for c in o.changes),
        events=tuple(e for o in outcomes for e in o.events),
        stage=situation.stage,
        previous_stage=prior.stage,
        status_owned_by_person=situation.person_owns_status,
    )
