"""The td-synnex.md §8 scenarios the planner sees, from the golden payloads through the real XML codec.

Each case parses a captured or specification response with `parse_status_response`, plans it against a
ConnectWise PO that has one line per TD SYNNEX line number, and checks the writes, events and notes a
person would expect; then applies the plan and checks that planning again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from plan_builders import apply, ctx, remember

from orderbridge.core.domain import (
    CustomField,
    DistributorOrder,
    Plan,
    PurchaseOrder,
    PurchaseOrderLine,
    Reference,
    Stage,
)
from orderbridge.rules.notes import find_marker
from orderbridge.rules.plan import PlanContext, PriorState, plan_purchase_order
from orderbridge.tdsynnex.xml import parse_status_response

PAYLOADS = Path(__file__).parents[1] / "payloads" / "tdsynnex"
PACIFIC = ZoneInfo("America/Los_Angeles")
TRACKING_FIELD = "TDS Tracking"
DELIVERY_FIELD = "TDS Delivery"
PRODUCTION = "production: invoiced, 13 lines over 8 sales orders, deleted QO lines, drop-ship and LTL"


def load(name: str) -> DistributorOrder:
    return parse_status_response((PAYLOADS / name).read_bytes(), tz=PACIFIC)


def cw_po_for(tds: DistributorOrder) -> PurchaseOrder:
    """A PO as a person entered it: one line per reseller line number, SKU and part number filled in."""
    first = {}
    for line in tds.lines:
        first.setdefault(line.line_number, line)
    lines = tuple(
        PurchaseOrderLine(id=7000 + n, line_number=n, vendor_sku=item.sku, product_identifier=item.mfg_pn)
        for n, item in sorted(first.items())
    )
    custom = (
        CustomField(1, "Send to TDS", "Checkbox", value=True),
        CustomField(2, TRACKING_FIELD),
        CustomField(3, DELIVERY_FIELD, "Date", "Date"),
    )
    return PurchaseOrder(
        id=501, po_number=tds.po_number, status=Reference(10, "On Order"), custom_fields=custom, lines=lines
    )


def context() -> PlanContext:
    return ctx(tracking_numbers_field=TRACKING_FIELD, expected_delivery_field=DELIVERY_FIELD)


def line_fields(plan: Plan, number: int) -> dict[str, Any]:
    return {c.field: c.new for c in plan.line_changes().get(7000 + number, ())}


def custom_values(plan: Plan) -> dict[str, Any]:
    array = next((c.new for c in plan.header_changes if c.field == "customFields"), [])
    return {entry["caption"]: entry["value"] for entry in array}


@dataclass
class Scenario:
    payload: str
    stage: Stage | None
    events: list[str] = field(default_factory=list)
    header: dict[str, Any] = field(default_factory=dict)
    lines: dict[int, dict[str, Any]] = field(default_factory=dict)
    custom: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None


SCENARIOS = {
    "accepted, not shipped yet (spec ex.2)": Scenario(
        "spec-2-po-received-by-synnex-but-not-shipped-yet-using-any-version.xml", Stage.ACCEPTED,
        events=["stage_changed"],
        header={"status": {"id": 1}, "vendorOrderNumber": "99999999"},
        lines={1: {"vendorOrderNumber": "99999999"}}),
    "line 1 back-ordered, line 2 deleted by the sales rep (spec ex.3)": Scenario(
        "spec-3-po-line-1-in-back-order-line-2-deleted-by-synnex-sales-per-c.xml", Stage.ACCEPTED,
        events=["stage_changed"],
        lines={1: {"vendorOrderNumber": "99999999", "backorderedFlag": True},
               2: {"canceledFlag": True, "canceledReason": "Deleted at TD SYNNEX"}}),
    "shipped complete in ten packages with serials (spec ex.4)": Scenario(
        "spec-4-po-shipped-complete-using-multiple-packages-using-version-2.xml", Stage.SHIPPED,
        events=["stage_changed", "shipment"],
        header={"trackingNumber": "040985928478699", "shipmentMethod": {"id": 21}},
        lines={1: {"trackingNumber": "040985928478699", "shipmentMethod": {"id": 21}}},
        custom={TRACKING_FIELD: ", ".join([
            "040985928478309", "040985928478330", "040985928478385", "040985928478439", "040985928478484",
            "040985928478514", "040985928478613", "040985928478651", "040985928478699", "040985928478743"])}),
    "shipped complete in one package, v2.2 (spec ex.5)": Scenario(
        "spec-5-po-shipped-complete-using-one-package-using-version-2-2-or-o.xml", Stage.SHIPPED,
        events=["stage_changed", "shipment"],
        header={"trackingNumber": "541877002320", "shipmentMethod": {"id": 22}},
        lines={1: {"trackingNumber": "541877002320", "shipmentMethod": {"id": 22}}}),
    "same line twice: accepted QO + shipped SO from another warehouse (spec ex.6)": Scenario(
        "spec-6-po-shipped-from-different-warehouse-than-requested-po-line-1.xml", Stage.SHIPPED,
        events=["stage_changed", "shipment"],
        header={"trackingNumber": "812085413736309", "shipmentMethod": {"id": 21}},
        lines={1: {"trackingNumber": "812085413736309", "shipmentMethod": {"id": 21},
                   "vendorOrderNumber": "99999999"}}),
    "v2.4 shape with fee fields, shipped (spec ex.7)": Scenario(
        "spec-7-for-xml-po-status-version-2-40-or-greater-the-major-differen.xml", Stage.SHIPPED,
        events=["stage_changed", "shipment"],
        header={"trackingNumber": "541877002320", "shipmentMethod": {"id": 22}},
        lines={1: {"trackingNumber": "541877002320", "shipmentMethod": {"id": 22}}}),
    "PO number unknown at TD SYNNEX (spec ex.8)": Scenario(
        "spec-8-po-not-found-using-any-version.xml", None, problem="has no order for PO"),
    "rejected at submission (spec ex.9)": Scenario(
        "spec-9-po-rejected-deleted-using-any-version.xml", None, problem="rejected PO"),
    "back-order with ETADate beside a shipped part of the same line": Scenario(
        "back-order-eta.xml", Stage.SHIPPED,
        events=["stage_changed", "shipment"],
        header={"trackingNumber": "040985928470000", "vendorOrderNumber": "60000001, 60000002"},
        lines={1: {"trackingNumber": "040985928470000", "vendorOrderNumber": "60000001, 60000002",
                   "expectedShipDate": "2024-02-09T00:00:00Z", "serialNumbers": "SSD0001, SSD0002, SSD0003, SSD0004"}}),
    "v2.7 shape with estimated ship and delivery dates": Scenario(
        "upper-case-shipped.xml", Stage.SHIPPED,
        events=["stage_changed", "shipment"],
        header={"trackingNumber": "1Z999AA10123456784", "shipmentMethod": {"id": 23}},
        custom={TRACKING_FIELD: "1Z999AA10123456784", DELIVERY_FIELD: "2024-07-09"}),
    "identical line shipped twice under two sales orders": Scenario(
        "duplicate-items.xml", Stage.SHIPPED,
        events=["stage_changed", "shipment", "shipment"],
        lines={1: {"trackingNumber": "781234500002", "vendorOrderNumber": "80000001, 80000002"}}),
    # Invoiced and shipped in full in 2023: long past `close_after_days`, so CLOSED on first sight.
    PRODUCTION: Scenario(
        "prod-2025-v27-invoiced-13-lines-8-orders.xml", Stage.CLOSED,
        events=["unknown_carrier", "unknown_carrier", "stage_changed", *["shipment"] * 7],
        header={"trackingNumber": "040985928479777", "shipmentMethod": {"id": 21},
                "vendorOrderNumber": "41870001, 41870002, 41870003, 41870004 +3 more"},
        lines={1: {"trackingNumber": "H320463803", "vendorOrderNumber": "41870001"},
               4: {"trackingNumber": "6058213347", "shipmentMethod": {"id": 25}, "vendorOrderNumber": "41870002"},
               6: {"canceledFlag": True, "canceledReason": "Deleted at TD SYNNEX"},
               13: {"canceledFlag": True, "canceledReason": "Deleted at TD SYNNEX"}}),
}  # fmt: skip


def _plan(scenario: Scenario) -> tuple[PurchaseOrder, DistributorOrder, Plan]:
    tds = load(scenario.payload)
    purchase_order = cw_po_for(tds)
    return purchase_order, tds, plan_purchase_order(purchase_order, tds, context(), PriorState())


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenario(name: str) -> None:
    scenario = SCENARIOS[name]
    _, _, plan = _plan(scenario)
    if scenario.problem is not None:
        assert len(plan.problems) == 1 and scenario.problem in plan.problems[0]
        assert plan.changes == () and plan.events == () and plan.notes == ()
        return
    assert plan.problems == ()
    assert plan.stage is scenario.stage
    assert [e.kind for e in plan.events] == scenario.events
    header = {c.field: c.new for c in plan.header_changes}
    assert header.items() >= scenario.header.items()
    for number, expected in scenario.lines.items():
        assert line_fields(plan, number).items() >= expected.items(), number
    assert custom_values(plan).items() >= scenario.custom.items()


@pytest.mark.parametrize("name", [n for n, s in SCENARIOS.items() if s.problem is None])
def test_scenario_notes_carry_every_tracking_number_and_a_marker(name: str) -> None:
    _, tds, plan = _plan(SCENARIOS[name])
    noted = {e.key for e in plan.events if e.kind in ("stage_changed", "shipment")}
    assert {n.key for n in plan.notes} == noted
    text = " ".join(n.text for n in plan.notes)
    for line in tds.live_lines:
        for number in line.tracking_numbers:
            assert number in text
    assert all(find_marker(n.text) == n.key and len(n.text) <= 4000 for n in plan.notes)


@pytest.mark.parametrize("name", [n for n, s in SCENARIOS.items() if s.problem is None])
def test_scenario_replanned_after_applying_changes_nothing(name: str) -> None:
    purchase_order, tds, plan = _plan(SCENARIOS[name])
    again = plan_purchase_order(
        apply(purchase_order, plan, context()), tds, context(), remember(PriorState(), plan, context())
    )
    assert (again.changes, again.events, again.notes) == ((), (), ())


def test_drop_ship_lines_share_one_unknown_carrier_event_quoting_the_number() -> None:
    _, _, plan = _plan(
        SCENARIOS["production: invoiced, 13 lines over 8 sales orders, deleted QO lines, drop-ship and LTL"]
    )
    unknown = [e for e in plan.events if e.kind == "unknown_carrier" and e.details["code"] == "UPSN"]
    assert len(unknown) == 1
    assert "'UPSN'" in unknown[0].summary and "H320463803" in unknown[0].summary
    assert all("shipmentMethod" not in line_fields(plan, n) for n in (1, 2, 3))


def test_many_lines_sharing_one_carton_each_carry_that_tracking_number() -> None:
    _, _, plan = _plan(
        SCENARIOS["production: invoiced, 13 lines over 8 sales orders, deleted QO lines, drop-ship and LTL"]
    )
    assert [line_fields(plan, n)["trackingNumber"] for n in (1, 2, 3)] == ["H320463803"] * 3
    assert [line_fields(plan, n)["trackingNumber"] for n in (9, 10)] == ["781234567901"] * 2


def test_forty_six_serials_of_one_package_go_to_their_line() -> None:
    _, _, plan = _plan(
        SCENARIOS["production: invoiced, 13 lines over 8 sales orders, deleted QO lines, drop-ship and LTL"]
    )
    assert len(str(line_fields(plan, 5)["serialNumbers"]).split(", ")) == 46
