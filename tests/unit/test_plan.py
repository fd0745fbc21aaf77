"""Table-driven planner cases, each named for the real situation it protects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from plan_builders import STATUSES, apply, ctx, item, order, po, remember

from orderbridge.core.domain import DistributorOrder, Plan, PurchaseOrder, Reference, Stage
from orderbridge.rules.plan import PlanContext, PriorState, plan_purchase_order

MAR4 = datetime(2025, 3, 4, 10, 30)  # naive: the codec would attach Pacific time; naive is taken as UTC
MAR9 = datetime(2025, 3, 9, 8, 0)
FEDEX = "123456789012"
SHIPPED_PRIOR = PriorState(Stage.SHIPPED, "TDS Shipped", event_keys=frozenset({"stage:SHIPPED"}))
ACCEPTED_PRIOR = PriorState(Stage.ACCEPTED, "TDS Accepted", event_keys=frozenset({"stage:ACCEPTED"}))


def five_lines(shipped: int, *, code: str = "shipped", when: datetime = MAR4) -> DistributorOrder:
    done = [item(n, code, shipped_at=when, tracking=(FEDEX,)) for n in range(1, shipped + 1)]
    return order(*done, *(item(n) for n in range(shipped + 1, 6)))


@dataclass
class Case:
    po: PurchaseOrder
    order: DistributorOrder
    prior: PriorState = field(default_factory=PriorState)
    changes: dict[str, Any] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)
    stage: Stage | None = None
    problem: str | None = None
    person: bool = False
    missing_status: str | None = None

    def context(self) -> PlanContext:
        return ctx(statuses=tuple(s for s in STATUSES if s.name != self.missing_status))


SHIPPED_PO = po(
    "TDS Shipped",
    tracking_number=FEDEX,
    shipment_date=datetime.fromisoformat("2025-03-04T10:30:00+00:00"),
    shipment_method=Reference(21, "FedEx Ground"),
    vendor_order_number="41000001",
)

CASES = {
    "first sight: accepted order on an 'On Order' PO is taken over": Case(
        po(), five_lines(0),
        changes={"status": {"id": 1}, "vendorOrderNumber": "41000001"},
        events=["stage_changed"], stage=Stage.ACCEPTED),
    "back-order split into its own sales order": Case(
        po(), order(item(1), item(2, order_type="BO", so="41000002")),
        changes={"status": {"id": 1}, "vendorOrderNumber": "41000001, 41000002"},
        events=["stage_changed"], stage=Stage.ACCEPTED),
    "released: fee details appear on the unshipped SO line": Case(
        po("TDS Accepted", vendor_order_number="41000001"), order(item(1, fees=True)), ACCEPTED_PRIOR,
        changes={"status": {"id": 2}}, events=["stage_changed"], stage=Stage.RELEASED),
    "partial shipment: 2 of 5 lines leave by FedEx Ground": Case(
        po("TDS Accepted", vendor_order_number="41000001"), five_lines(2), ACCEPTED_PRIOR,
        changes={"status": {"id": 3}, "trackingNumber": FEDEX, "shipmentDate": "2025-03-04T10:30:00Z",
                 "shipmentMethod": {"id": 21}},
        events=["stage_changed", "shipment"], stage=Stage.SHIPPED),
    "full shipment: the rest follows by UPS a week later": Case(
        SHIPPED_PO,
        order(*five_lines(2).lines[:2],
              *(item(n, "shipped", shipped_at=MAR9, tracking=("1Z999AA10123456784",), method=("UP", "UPS Ground"))
                for n in range(3, 6))),
        PriorState(Stage.SHIPPED, "TDS Shipped",
                   event_keys=frozenset({"stage:SHIPPED", f"shipment:41000001|{FEDEX}|2025-03-04T10:30:00Z"})),
        changes={"trackingNumber": "1Z999AA10123456784", "shipmentDate": "2025-03-09T08:00:00Z",
                 "shipmentMethod": {"id": 23}},
        events=["shipment"], stage=Stage.SHIPPED),
    "invoiced: every live line billed": Case(
        SHIPPED_PO, five_lines(5, code="invoiced"), SHIPPED_PRIOR,
        changes={"status": {"id": 4}}, events=["stage_changed", "shipment"], stage=Stage.INVOICED),
    "stale observation: accepted again after we saw it shipped": Case(
        SHIPPED_PO, five_lines(0), SHIPPED_PRIOR, stage=Stage.SHIPPED),
    "stale observation: the PO already shows a later TDS status": Case(
        po("TDS Invoiced", vendor_order_number="41000001"), five_lines(0), stage=Stage.INVOICED),
    "person set 'Cancelled' after we wrote TDS Accepted: status is theirs": Case(
        po("Cancelled", vendor_order_number="41000001"), five_lines(2), ACCEPTED_PRIOR,
        changes={"trackingNumber": FEDEX, "shipmentDate": "2025-03-04T10:30:00Z", "shipmentMethod": {"id": 21}},
        events=["status_taken_over", "stage_changed", "shipment"], stage=Stage.SHIPPED, person=True),
    "person-owned status stays theirs on later cycles": Case(
        po("TDS Accepted", vendor_order_number="41000001"), five_lines(0),
        PriorState(Stage.ACCEPTED, "TDS Accepted", person_status=True,
                   event_keys=frozenset({"stage:ACCEPTED", "status_taken_over"})),
        stage=Stage.ACCEPTED, person=True),
    "tenant never ran setup: TDS Shipped missing": Case(
        po("TDS Accepted"), five_lines(2), ACCEPTED_PRIOR, stage=Stage.ACCEPTED, missing_status="TDS Shipped",
        problem="ConnectWise has no PO status 'TDS Shipped'; run `orderbridge setup`"),
    "PO number unknown at TD SYNNEX": Case(po(), order(code="notFound"), problem="(notFound)"),
    "TD SYNNEX rejected the PO at submission": Case(
        po(), order(code="rejected", reason="DUPREJECT"), problem="TD SYNNEX rejected PO PO-1001: DUPREJECT"),
    "every line deleted by the sales rep": Case(
        po("TDS Accepted"), order(item(1, "deleted"), item(2, "deleted"), code="deleted"), ACCEPTED_PRIOR,
        stage=Stage.ACCEPTED, problem="the order is cancelled there"),
    "a status word we have never seen": Case(
        po(), order(item(1, "shipped", shipped_at=MAR4, tracking=(FEDEX,)), item(2, "onhold")),
        problem="unknown TD SYNNEX status 'onhold' on line 2 (sales order 41000001); not mapped, nothing written"),
    "LTL reference of 60 characters: kept off the 50-character field": Case(
        po("TDS Accepted", vendor_order_number="41000001"),
        order(item(1, "shipped", shipped_at=MAR4, tracking=("L" * 60,), method=("EXDO", "Expeditors LTL Ground"))),
        ACCEPTED_PRIOR,
        changes={"status": {"id": 3}, "shipmentDate": "2025-03-04T10:30:00Z", "shipmentMethod": {"id": 25}},
        events=["tracking_too_long", "stage_changed", "shipment"], stage=Stage.SHIPPED),
    "nine sales orders: vendorOrderNumber says '+5 more' within 50": Case(
        po("TDS Accepted"), order(*(item(n, so=f"4100000{n}") for n in range(1, 10))), ACCEPTED_PRIOR,
        changes={"vendorOrderNumber": "41000001, 41000002, 41000003, 41000004 +5 more"}, stage=Stage.ACCEPTED),
    "ship method the tenant's table cannot place": Case(
        po("TDS Accepted", vendor_order_number="41000001"),
        order(item(1, "shipped", shipped_at=MAR4, tracking=("ZX1",), method=("ZZ", "Mystery Freight"))),
        ACCEPTED_PRIOR,
        changes={"status": {"id": 3}, "trackingNumber": "ZX1", "shipmentDate": "2025-03-04T10:30:00Z"},
        events=["unknown_carrier", "stage_changed", "shipment"], stage=Stage.SHIPPED),
    "manufacturer drop-ship (warehouse 98, UPSN, non-UPS reference)": Case(
        po("TDS Accepted", vendor_order_number="41000001"),
        order(item(1, "shipped", shipped_at=MAR4, tracking=("H320463803",), warehouse="98",
                   method=("UPSN", "UPS(GROUND)- CVS.COM"))),
        ACCEPTED_PRIOR,
        changes={"status": {"id": 3}, "trackingNumber": "H320463803", "shipmentDate": "2025-03-04T10:30:00Z"},
        events=["unknown_carrier", "stage_changed", "shipment"], stage=Stage.SHIPPED),
    "nothing changed since the last cycle: no writes": Case(
        SHIPPED_PO, five_lines(2),
        PriorState(Stage.SHIPPED, "TDS Shipped",
                   event_keys=frozenset({"stage:SHIPPED", f"shipment:41000001|{FEDEX}|2025-03-04T10:30:00Z"})),
        stage=Stage.SHIPPED),
}  # fmt: skip


def _plan(case: Case) -> Plan:
    return plan_purchase_order(case.po, case.order, case.context(), case.prior)


@pytest.mark.parametrize("name", list(CASES))
def test_planner_case(name: str) -> None:
    case = CASES[name]
    plan = _plan(case)
    assert {c.field: c.new for c in plan.changes} == case.changes
    assert [e.kind for e in plan.events] == case.events
    assert plan.stage == case.stage
    assert plan.status_owned_by_person is case.person
    if case.problem is None:
        assert plan.problems == ()
    else:
        assert len(plan.problems) == 1 and case.problem in plan.problems[0]
        assert plan.changes == () and plan.events == ()


@pytest.mark.parametrize("name", list(CASES))
def test_replanning_after_applying_changes_nothing(name: str) -> None:
    case = CASES[name]
    context = case.context()
    plan = _plan(case)
    again = plan_purchase_order(apply(case.po, plan, context), case.order, context, remember(case.prior, plan, context))
    assert again.changes == ()
    assert again.events == ()


def test_stage_and_shipment_events_say_how_many_lines_shipped() -> None:
    plan = _plan(CASES["partial shipment: 2 of 5 lines leave by FedEx Ground"])
    summaries = [e.summary for e in plan.events]
    assert summaries == [
        "TDS Shipped: 2 of 5 lines shipped",
        f"Shipped 2 of 5 lines (sales order 41000001, FedEx Ground {FEDEX})",
    ]
    assert plan.events[0].key == "stage:SHIPPED"
    assert plan.previous_stage is Stage.ACCEPTED


def test_status_change_keeps_the_old_name_for_the_log() -> None:
    plan = _plan(CASES["first sight: accepted order on an 'On Order' PO is taken over"])
    assert plan.changes[0].old == "On Order"


def test_too_long_tracking_number_is_kept_whole_in_the_event() -> None:
    plan = _plan(CASES["LTL reference of 60 characters: kept off the 50-character field"])
    event = plan.events[0]
    assert event.details["tracking_number"] == "L" * 60
    assert "L" * 60 in event.summary


def test_unknown_carrier_event_quotes_code_and_description_verbatim() -> None:
    plan = _plan(CASES["manufacturer drop-ship (warehouse 98, UPSN, non-UPS reference)"])
    event = plan.events[0]
    assert event.key == "unknown_carrier:UPSN"
    assert "'UPSN'" in event.summary and "'UPS(GROUND)- CVS.COM'" in event.summary


def test_person_takeover_is_announced_once() -> None:
    case = CASES["person set 'Cancelled' after we wrote TDS Accepted: status is theirs"]
    plan = _plan(case)
    assert "Cancelled" in plan.events[0].summary
    later = plan_purchase_order(case.po, case.order, ctx(), remember(case.prior, plan, ctx()))
    assert later.status_owned_by_person and later.events == ()


def test_po_without_number_is_refused() -> None:
    plan = plan_purchase_order(po(po_number=None), five_lines(0), ctx())
    assert plan.problems and "no PO number" in plan.problems[0]
    assert plan.changes == ()


def test_release_on_fees_can_be_switched_off() -> None:
    case = CASES["released: fee details appear on the unshipped SO line"]
    plan = plan_purchase_order(case.po, case.order, ctx(release_on_fees=False), case.prior)
    assert plan.stage is Stage.ACCEPTED and plan.changes == ()


def test_inactive_target_status_is_a_problem() -> None:
    statuses = tuple(type(s)(s.id, s.name, s.closed_flag, inactive_flag=s.name == "TDS Shipped") for s in STATUSES)
    case = CASES["partial shipment: 2 of 5 lines leave by FedEx Ground"]
    plan = plan_purchase_order(case.po, case.order, ctx(statuses=statuses), case.prior)
    assert plan.problems == ("ConnectWise PO status 'TDS Shipped' is inactive; reactivate it or run setup",)
