"""Line matching and per-line writes: each case names the TD SYNNEX situation it comes from."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any

from plan_builders import ACCEPTED_PRIOR, ctx, cw_line, cw_lines, item, order, po

from orderbridge.core.domain import DistributorLine, FieldChange, Package, Plan, PurchaseOrder, Reference
from orderbridge.rules.lines import match_lines
from orderbridge.rules.plan import PriorState, plan_purchase_order

MAR4 = datetime(2025, 3, 4, 10, 30)
MAR9 = datetime(2025, 3, 9, 8, 0)
FEDEX = "123456789012"
FEDEX_2 = "123456789023"
UPS = "1Z999AA10123456784"


def _line_changes(plan: Plan, line_id: int) -> dict[str, object]:
    return {c.field: c.new for c in plan.line_changes().get(line_id, ())}


def _plan(
    purchase_order: PurchaseOrder, *items: DistributorLine, prior: PriorState = ACCEPTED_PRIOR, **sync: Any
) -> Plan:
    return plan_purchase_order(purchase_order, order(*items), ctx(**sync), prior)


# --- matching -----------------------------------------------------------------------------------------


def test_line_number_matches_first_even_when_the_sku_differs() -> None:
    # A substitute part shipped against the reseller's line 1: TD SYNNEX echoes the PO line number.
    matching = match_lines(cw_lines(1, 2), [item(1, sku="OTHER"), item(2)])
    assert [(m.line.line_number, [i.sku for i in m.items]) for m in matching.matches] == [(1, ["OTHER"]), (2, ["SKU2"])]
    assert matching.unmatched == ()


def test_one_line_split_over_two_sales_orders_gets_both_items() -> None:
    # Spec example 6 / back-orders: the same lineNumber twice, once per sales order.
    matching = match_lines(cw_lines(1), [item(1, so="41000001"), item(1, so="41000002", order_type="BO")])
    assert [i.order_number for i in matching.matches[0].items] == ["41000001", "41000002"]


def test_renumbered_line_is_found_by_vendor_sku_or_manufacturer_part_number() -> None:
    lines = (cw_line(10, vendor_sku="SKU1"), cw_line(11, vendor_sku=None, product_identifier="mpn-2"))
    matching = match_lines(lines, [item(1), item(2, mfg_pn="MPN-2")])
    assert [(m.line.line_number, m.items[0].line_number) for m in matching.matches] == [(10, 1), (11, 2)]


def test_an_item_claimed_by_its_line_number_is_not_matched_again_by_sku() -> None:
    lines = (cw_line(1), cw_line(7, vendor_sku="SKU1"))
    matching = match_lines(lines, [item(1)])
    assert [m.line.line_number for m in matching.matches] == [1]


def test_items_on_no_line_are_reported_once_per_key() -> None:
    purchase_order = po("TDS Accepted", vendor_order_number="41000001", lines=cw_lines(1))
    plan = _plan(purchase_order, item(1), item(3, sku="X9"), item(4, "deleted"))
    unmatched = [e for e in plan.events if e.kind == "unmatched_item"]
    assert [e.key for e in unmatched] == ["unmatched_item:41000001|3|X9"]
    assert "TD SYNNEX line 3" in unmatched[0].summary and "X9" in unmatched[0].summary
    prior = dataclasses.replace(ACCEPTED_PRIOR, event_keys=ACCEPTED_PRIOR.event_keys | {unmatched[0].key})
    again = plan_purchase_order(purchase_order, order(item(1), item(3, sku="X9")), ctx(), prior)
    assert [e for e in again.events if e.kind == "unmatched_item"] == []


def test_lines_not_fetched_means_header_rules_only() -> None:
    purchase_order = po("TDS Accepted", vendor_order_number="41000001")
    plan = _plan(purchase_order, item(1, "shipped", shipped_at=MAR4, tracking=(FEDEX,)))
    assert plan.line_changes() == {}
    assert "trackingNumber" in {c.field for c in plan.header_changes}


# --- per-line writes ----------------------------------------------------------------------------------


def test_partial_shipment_writes_each_line_its_own_package_date_method_and_orders() -> None:
    purchase_order = po("TDS Accepted", vendor_order_number="41000001, 41000002", lines=cw_lines(1, 2, 3))
    plan = _plan(
        purchase_order,
        item(1, "shipped", shipped_at=MAR4, tracking=(FEDEX,)),
        item(2, "shipped", so="41000002", shipped_at=MAR9, tracking=(UPS,), method=("UP", "UPS Ground")),
        item(3),
    )
    assert _line_changes(plan, 9001) == {
        "trackingNumber": FEDEX,
        "shipDate": "2025-03-04T10:30:00Z",
        "shipmentMethod": {"id": 21},
        "vendorOrderNumber": "41000001",
    }
    assert _line_changes(plan, 9002) == {
        "trackingNumber": UPS,
        "shipDate": "2025-03-09T08:00:00Z",
        "shipmentMethod": {"id": 23},
        "vendorOrderNumber": "41000002",
    }
    assert _line_changes(plan, 9003) == {"vendorOrderNumber": "41000001"}


def test_only_fields_that_differ_are_written() -> None:
    line = cw_line(
        1,
        tracking_number=FEDEX,
        ship_date=datetime.fromisoformat("2025-03-04T10:30:00+00:00"),
        shipment_method=Reference(21, "FedEx Ground"),
        vendor_order_number="41000001",
    )
    purchase_order = po("TDS Accepted", vendor_order_number="41000001", lines=(line,))
    plan = _plan(purchase_order, item(1, "shipped", shipped_at=MAR4, tracking=(FEDEX,)))
    assert plan.line_changes() == {}


def test_line_with_several_packages_keeps_its_latest_and_all_serials_in_package_order() -> None:
    packages = (Package(FEDEX, serial_numbers=("S1", "S2")), Package(FEDEX_2, serial_numbers=("S3",)))
    purchase_order = po("TDS Accepted", vendor_order_number="41000001", lines=cw_lines(1))
    plan = _plan(purchase_order, item(1, "shipped", shipped_at=MAR4, packages=packages))
    changes = _line_changes(plan, 9001)
    assert changes["trackingNumber"] == FEDEX_2
    assert changes["serialNumbers"] == "S1, S2, S3"


def test_thousands_of_serials_are_capped_at_1000_characters_and_say_how_many_more() -> None:
    serials = tuple(f"SERIAL{n:06d}" for n in range(200))
    purchase_order = po("TDS Accepted", vendor_order_number="41000001", lines=cw_lines(1))
    packages = (Package(FEDEX, serial_numbers=serials),)
    plan = _plan(purchase_order, item(1, "shipped", shipped_at=MAR4, packages=packages))
    text = str(_line_changes(plan, 9001)["serialNumbers"])
    assert len(text) <= 1000 and text.startswith("SERIAL000000, SERIAL000001") and text.endswith(" more")


def test_back_order_with_eta_sets_the_flag_and_expected_ship_date() -> None:
    purchase_order = po("TDS Accepted", vendor_order_number="41000002", lines=cw_lines(1))
    plan = _plan(purchase_order, item(1, so="41000002", order_type="BO", eta=date(2025, 3, 20)))
    assert _line_changes(plan, 9001) == {
        "vendorOrderNumber": "41000002",
        "expectedShipDate": "2025-03-20T00:00:00Z",
        "backorderedFlag": True,
    }


def test_estimated_ship_date_wins_over_eta() -> None:
    purchase_order = po("TDS Accepted", vendor_order_number="41000001", lines=cw_lines(1))
    plan = _plan(purchase_order, item(1, estimated_ship=date(2025, 3, 12), eta=date(2025, 3, 20)))
    assert _line_changes(plan, 9001)["expectedShipDate"] == "2025-03-12T00:00:00Z"


def test_back_order_flag_clears_once_something_of_the_line_shipped() -> None:
    line = cw_line(1, backordered_flag=True, expected_ship_date=datetime.fromisoformat("2025-03-20T00:00:00+00:00"))
    purchase_order = po("TDS Accepted", vendor_order_number="41000001, 41000002", lines=(line,))
    plan = _plan(
        purchase_order,
        item(1, "shipped", shipped_at=MAR9, tracking=(FEDEX,)),
        item(1, so="41000002", order_type="BO", eta=date(2025, 3, 20)),
    )
    changes = _line_changes(plan, 9001)
    assert changes["backorderedFlag"] is False
    assert "expectedShipDate" not in changes  # the waiting part's ETA is already there


def test_plain_accepted_line_writes_no_back_order_flag() -> None:
    lines = (cw_line(1, vendor_order_number="41000001"),)
    purchase_order = po("TDS Accepted", vendor_order_number="41000001", lines=lines)
    assert _plan(purchase_order, item(1)).line_changes() == {}


def test_line_whose_every_item_was_deleted_is_cancelled_with_the_configured_reason() -> None:
    # Spec example 3: line 2 deleted by the SYNNEX sales rep; line 1 lives on as a back-order.
    purchase_order = po("TDS Accepted", vendor_order_number="41000001", lines=cw_lines(1, 2))
    plan = _plan(purchase_order, item(1, order_type="BO"), item(2, "deleted"), canceled_reason="Killed at TDS")
    assert _line_changes(plan, 9002) == {"canceledFlag": True, "canceledReason": "Killed at TDS"}
    assert [c.line_id for c in plan.changes if c.field == "canceledFlag"] == [9002]


def test_a_reason_a_person_typed_is_kept_when_cancelling() -> None:
    lines = (cw_line(1), cw_line(2, canceled_reason="dup"))
    purchase_order = po("TDS Accepted", vendor_order_number="41000001", lines=lines)
    plan = _plan(purchase_order, item(1), item(2, "deleted"))
    assert _line_changes(plan, 9002) == {"canceledFlag": True}


def test_line_tracking_number_longer_than_fifty_is_not_written_and_reported_once() -> None:
    purchase_order = po("TDS Accepted", vendor_order_number="41000001", lines=cw_lines(1))
    ltl = item(1, "shipped", shipped_at=MAR4, tracking=("L" * 60,), method=("EXDO", "Expeditors LTL"))
    plan = _plan(purchase_order, ltl)
    assert "trackingNumber" not in _line_changes(plan, 9001)
    assert [e.key for e in plan.events if e.kind == "tracking_too_long"] == ["tracking_too_long:" + "L" * 60]


def test_drop_ship_line_gets_no_shipment_method_and_one_unknown_carrier_event() -> None:
    purchase_order = po("TDS Accepted", vendor_order_number="41000001", lines=cw_lines(1, 2))
    drop = ("UPSN", "UPS(GROUND)- CVS.COM")
    plan = _plan(
        purchase_order,
        item(1, "shipped", shipped_at=MAR4, tracking=("H320463803",), method=drop, warehouse="98"),
        item(2, "shipped", shipped_at=MAR4, tracking=("H320463804",), method=drop, warehouse="98"),
    )
    assert all("shipmentMethod" not in _line_changes(plan, i) for i in (9001, 9002))
    unknown = [e for e in plan.events if e.kind == "unknown_carrier"]
    assert len(unknown) == 1 and "'UPSN'" in unknown[0].summary and "'UPS(GROUND)- CVS.COM'" in unknown[0].summary
    assert "tracking number H32046380" in unknown[0].summary and "matches no UPS format" in unknown[0].summary


def test_stale_observation_writes_no_line_either() -> None:
    purchase_order = po("TDS Shipped", vendor_order_number="41000001", lines=cw_lines(1))
    plan = _plan(purchase_order, item(1), prior=PriorState())
    assert plan.changes == ()


def test_line_changes_carry_the_line_id_and_a_reason() -> None:
    purchase_order = po("TDS Accepted", vendor_order_number="41000001", lines=cw_lines(1))
    plan = _plan(purchase_order, item(1, "shipped", shipped_at=MAR4, tracking=(FEDEX,)))
    line_changes = [c for c in plan.changes if c.line_id is not None]
    assert line_changes and all(isinstance(c, FieldChange) and c.line_id == 9001 and c.reason for c in line_changes)
