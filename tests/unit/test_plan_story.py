"""Multi-cycle stories, pure: plan -> apply -> remember -> next observation, as the engine would run them.

"A PO shipped in three parts over three cycles" is the life most POs have; it exercises every rule of
issue 3 together (line matching, per-line writes, shipment events and notes, invoices, CLOSED) and
checks after each step that planning the same observation again writes nothing.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from plan_builders import apply, ctx, cw_lines, invoice, item, order, remember

from orderbridge.core.domain import (
    CustomField,
    DistributorLine,
    DistributorOrder,
    Event,
    Invoice,
    Note,
    Plan,
    PurchaseOrder,
    Reference,
    Stage,
)
from orderbridge.rules.notes import find_marker
from orderbridge.rules.plan import PlanContext, PriorState, plan_purchase_order

DAY0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
A, B, C = "123456789001", "123456789023", "123456789034"
UPS = "1Z999AA10123456784"
TRACKING_FIELD = "TDS Tracking"
DELIVERY_FIELD = "TDS Delivery"


class Cycle:
    """The store and ConnectWise between cycles: the PO as it now stands, and what the store remembers."""

    def __init__(self, purchase_order: PurchaseOrder, **sync: Any) -> None:
        self.po = purchase_order
        self.prior = PriorState()
        self.sync = sync
        self.events: list[Event] = []
        self.notes: list[Note] = []

    def context(self, now: datetime) -> PlanContext:
        return ctx(now=now, **self.sync)

    def run(self, tds: DistributorOrder, now: datetime, invoices: tuple[Invoice, ...] = ()) -> Plan:
        context = self.context(now)
        plan = plan_purchase_order(self.po, tds, context, self.prior, invoices=invoices)
        assert plan.problems == ()
        self.po = apply(self.po, plan, context)
        self.prior = remember(self.prior, plan, context)
        self.events += plan.events
        self.notes += plan.notes
        again = plan_purchase_order(self.po, tds, context, self.prior, invoices=invoices)
        assert (again.changes, again.events, again.notes) == ((), (), ()), "a second cycle must write nothing"
        return plan

    def line(self, number: int) -> Any:
        assert self.po.lines is not None
        return next(line for line in self.po.lines if line.line_number == number)


def _observation(day: int) -> DistributorOrder:
    """What TD SYNNEX says `day` days in: line 1 leaves on day 1, line 2 on day 3, line 3 (SO 2) on day 8."""

    def at(offset: int) -> datetime:
        return DAY0 + timedelta(days=offset)

    lines: list[DistributorLine] = [
        item(1, "shipped", shipped_at=at(1), tracking=(A,), quantity=2) if day >= 1 else item(1, quantity=2),
        item(2, "shipped", shipped_at=at(3), tracking=(B, C), quantity=2) if day >= 3 else item(2, quantity=2),
        item(3, "shipped", so="41000002", shipped_at=at(8), tracking=(UPS,), method=("UP", "UPS Ground"))
        if day >= 8
        else item(3, so="41000002", order_type="BO", eta=date(2025, 3, 9)),
    ]
    return order(*lines)


def _po() -> PurchaseOrder:
    custom = (CustomField(2, TRACKING_FIELD), CustomField(3, DELIVERY_FIELD, "Date", "Date"))
    return PurchaseOrder(
        501, "PO-1001", status=Reference(10, "On Order"), custom_fields=custom, lines=cw_lines(1, 2, 3)
    )


def test_a_po_shipped_in_three_parts_then_invoiced_twice_then_closed() -> None:
    cycle = Cycle(_po(), tracking_numbers_field=TRACKING_FIELD, close_after_days=7)
    accepted = cycle.run(_observation(0), DAY0)
    assert accepted.stage is Stage.ACCEPTED
    assert cycle.line(3).backordered_flag is True and cycle.line(3).expected_ship_date is not None

    first = cycle.run(_observation(1), DAY0 + timedelta(days=1, hours=2))
    second = cycle.run(_observation(3), DAY0 + timedelta(days=3, hours=2))
    third = cycle.run(_observation(8), DAY0 + timedelta(days=8, hours=2))
    assert [p.stage for p in (first, second, third)] == [Stage.SHIPPED] * 3
    assert [[e.kind for e in p.events] for p in (first, second, third)] == [
        ["stage_changed", "shipment"],
        ["shipment"],
        ["shipment"],
    ]
    # Each line carries its own carton, date and carrier; the header the latest of them.
    assert [cycle.line(n).tracking_number for n in (1, 2, 3)] == [A, C, UPS]
    assert [cycle.line(n).ship_date.day for n in (1, 2, 3)] == [2, 4, 9]
    assert [cycle.line(n).shipment_method.id for n in (1, 2, 3)] == [21, 21, 23]
    assert cycle.line(3).backordered_flag is False
    assert (cycle.po.tracking_number, cycle.po.shipment_method) == (UPS, Reference(23, "UPS Ground"))
    assert cycle.po.custom_field(TRACKING_FIELD).value == f"{A}, {B}, {C}, {UPS}"  # type: ignore[union-attr]
    assert cycle.po.vendor_order_number == "41000001, 41000002"

    invoices = (invoice("INV-1", date(2025, 3, 5), total="1200.00"), invoice("INV-2", date(2025, 3, 10), so="41000002"))
    billed = cycle.run(_observation(8), DAY0 + timedelta(days=9, hours=2), invoices)
    assert billed.stage is Stage.INVOICED
    assert (cycle.po.vendor_invoice_number, cycle.po.vendor_invoice_date) == (
        "INV-1, INV-2",
        datetime(2025, 3, 10, tzinfo=UTC),
    )
    invoiced_note = next(n for n in billed.notes if n.key == "stage:INVOICED")
    assert "Invoice INV-1 dated 2025-03-05, total 1,200.00" in invoiced_note.text
    assert "Sum 1,300.00." in invoiced_note.text
    assert [e.kind for e in billed.events] == ["invoice", "invoice", "stage_changed"]
    assert [n.key for n in billed.notes] == ["stage:INVOICED"]  # the stage note lists both invoices

    early = cycle.run(_observation(8), DAY0 + timedelta(days=14), invoices)
    assert early.stage is Stage.INVOICED and early.changes == ()
    closed = cycle.run(_observation(8), DAY0 + timedelta(days=15, hours=1), invoices)
    assert closed.stage is Stage.CLOSED
    assert cycle.po.status == Reference(5, "TDS Closed")

    stages = [e.stage for e in cycle.events if e.kind == "stage_changed"]
    assert stages == [Stage.ACCEPTED, Stage.SHIPPED, Stage.INVOICED, Stage.CLOSED]
    assert len([e for e in cycle.events if e.kind == "shipment"]) == 3
    # One note per stage change and per shipment, each recognisable by its marker.
    assert sorted(find_marker(n.text) or "" for n in cycle.notes) == sorted(
        e.key for e in cycle.events if e.kind in ("stage_changed", "shipment")
    )
    shipment_notes = [n.text for n in cycle.notes if n.key.startswith("shipment:")]
    assert shipment_notes[1].startswith("TDS Shipped: 2 of 3 lines shipped. Sales order 41000001 shipped 2025-03-04")
    assert (
        f"{B} https://www.fedex.com/fedextrack/?trknbr={B}; {C} https://www.fedex.com/fedextrack/?trknbr={C}"
        in (shipment_notes[1])
    )


def test_an_invoice_that_arrives_after_the_stage_gets_its_own_event_and_note() -> None:
    cycle = Cycle(_po())
    cycle.run(_observation(8), DAY0 + timedelta(days=9))
    first = cycle.run(_observation(8), DAY0 + timedelta(days=9, hours=1), (invoice("INV-1", date(2025, 3, 5)),))
    assert first.stage is Stage.SHIPPED  # 41000002 has no invoice yet
    assert [e.kind for e in first.events] == ["invoice"]
    assert [n.key for n in first.notes] == ["invoice:INV-1"]


def test_six_packages_keep_all_six_tracking_numbers_in_note_and_custom_field() -> None:
    numbers = tuple(f"12345678900{n}" for n in range(6))
    tds = order(item(1, "shipped", shipped_at=DAY0, tracking=numbers, quantity=6))
    cycle = Cycle(_po(), tracking_numbers_field=TRACKING_FIELD)
    plan = cycle.run(tds, DAY0 + timedelta(hours=3))
    assert cycle.po.custom_field(TRACKING_FIELD).value == ", ".join(sorted(numbers))  # type: ignore[union-attr]
    shipment_note = next(n for n in plan.notes if n.key.startswith("shipment:"))
    assert all(number in shipment_note.text for number in numbers)
    assert cycle.po.tracking_number == numbers[-1] and cycle.line(1).tracking_number == numbers[-1]


def test_tracking_custom_field_missing_on_the_po_asks_for_setup_once() -> None:
    tds = order(item(1, "shipped", shipped_at=DAY0, tracking=(A,)))
    cycle = Cycle(dataclasses.replace(_po(), custom_fields=()), tracking_numbers_field=TRACKING_FIELD)
    plan = cycle.run(tds, DAY0 + timedelta(hours=3))
    setup = [e for e in plan.events if e.kind == "setup_needed"]
    assert [e.key for e in setup] == [f"setup_needed:{TRACKING_FIELD}"]
    assert "sync.tracking_numbers_field" in setup[0].summary
    assert "customFields" not in {c.field for c in plan.changes}


def test_expected_delivery_goes_into_its_custom_field_with_the_tracking_list_in_one_change() -> None:
    tds = order(
        item(1, "shipped", shipped_at=DAY0, tracking=(A,), estimated_delivery=date(2025, 3, 4)),
        item(2, estimated_delivery=date(2025, 3, 7)),
        item(3, "deleted", estimated_delivery=date(2025, 4, 1)),
    )
    cycle = Cycle(_po(), tracking_numbers_field=TRACKING_FIELD, expected_delivery_field=DELIVERY_FIELD)
    plan = cycle.run(tds, DAY0 + timedelta(hours=3))
    custom = [c for c in plan.changes if c.field == "customFields"]
    assert len(custom) == 1
    assert {e["caption"]: e["value"] for e in custom[0].new} == {TRACKING_FIELD: A, DELIVERY_FIELD: "2025-03-07"}
    assert custom[0].old == {TRACKING_FIELD: None, DELIVERY_FIELD: None}


def test_a_date_custom_field_echoed_as_datetime_is_not_rewritten() -> None:
    custom = (CustomField(3, DELIVERY_FIELD, "Date", "Date", value="2025-03-07T00:00:00Z"),)
    purchase_order = dataclasses.replace(_po(), custom_fields=custom, status=Reference(1, "TDS Accepted"))
    tds = order(item(1, estimated_delivery=date(2025, 3, 7)))
    plan = plan_purchase_order(purchase_order, tds, ctx(expected_delivery_field=DELIVERY_FIELD))
    assert "customFields" not in {c.field for c in plan.changes}


def test_many_invoices_say_how_many_more_within_fifty_characters() -> None:
    invoices = tuple(invoice(f"INV-2025-{n:04d}", date(2025, 3, n)) for n in range(1, 6))
    purchase_order = dataclasses.replace(_po(), status=Reference(3, "TDS Shipped"))
    tds = order(item(1, "shipped", shipped_at=DAY0, tracking=(A,)))
    plan = plan_purchase_order(purchase_order, tds, ctx(), invoices=invoices)
    header = {c.field: c.new for c in plan.header_changes}
    assert header["vendorInvoiceNumber"] == "INV-2025-0005 +4 more"
    assert header["vendorInvoiceDate"] == "2025-03-05T00:00:00Z"


def test_an_invoice_number_over_fifty_characters_is_never_cut() -> None:
    long_number = "X" * 60
    tds = order(item(1, "shipped", shipped_at=DAY0, tracking=(A,)))
    plan = plan_purchase_order(_po(), tds, ctx(), invoices=(invoice(long_number, date(2025, 3, 2)),))
    assert "vendorInvoiceNumber" not in {c.field for c in plan.changes}
    assert f"invoice_number_too_long:{long_number}" in {e.key for e in plan.events}
    assert any(long_number in n.text for n in plan.notes)


def test_notes_can_be_switched_off() -> None:
    tds = order(item(1, "shipped", shipped_at=DAY0, tracking=(A,)))
    plan = plan_purchase_order(_po(), tds, ctx(notes=False))
    assert plan.events and plan.notes == ()


def test_a_shipment_note_gives_the_ship_day_in_tdsynnex_zone() -> None:
    # The codec hands ShipDatetime over in UTC: 17:30 Pacific is 01:30 UTC the next day.
    shipped = datetime(2025, 3, 4, 17, 30, tzinfo=ZoneInfo("America/Los_Angeles")).astimezone(UTC)
    tds = order(item(1, "shipped", shipped_at=shipped, tracking=(A,)))
    for zone, day in (("America/Los_Angeles", "2025-03-04"), ("Europe/Berlin", "2025-03-05")):
        context = dataclasses.replace(ctx(now=shipped + timedelta(hours=2)), tdsynnex_zone=ZoneInfo(zone))
        plan = plan_purchase_order(_po(), tds, context, PriorState())
        note = next(n for n in plan.notes if n.key.startswith("shipment:"))
        assert f"shipped {day} via" in note.text, note.text
