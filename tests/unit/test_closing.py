"""CLOSED: invoiced, shipped in full, and delivered or past the grace period; never backwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from plan_builders import ctx, cw_lines, item, order, po

from orderbridge.core.domain import DistributorOrder, Stage
from orderbridge.rules.closing import close_verdict, fully_shipped
from orderbridge.rules.plan import PriorState, plan_purchase_order
from orderbridge.rules.stages import derive_stage

SHIPPED_AT = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
FEDEX = "123456789012"
INVOICED = PriorState(Stage.INVOICED, "TDS Invoiced", event_keys=frozenset({"stage:INVOICED"}))


def _invoiced(*, quantity: int = 2, shipped: int = 2):  # type: ignore[no-untyped-def]
    return order(
        item(
            1,
            "invoiced",
            shipped_at=SHIPPED_AT,
            tracking=("123456789012",),
            quantity=quantity,
            shipped_quantity=shipped,
        ),
        item(2, "deleted", order_type="QO"),
        code="invoiced",
    )


def _stage(tds: DistributorOrder, now: datetime, **kwargs: Any) -> Stage | None:
    verdict = derive_stage(tds)
    return close_verdict(verdict, tds, now=now, close_after_days=7, **kwargs).stage


def test_invoiced_and_fully_shipped_closes_seven_days_after_the_last_shipment() -> None:
    tds = _invoiced()
    assert _stage(tds, SHIPPED_AT + timedelta(days=6, hours=23)) is Stage.INVOICED
    assert _stage(tds, SHIPPED_AT + timedelta(days=7)) is Stage.CLOSED


def test_a_short_shipment_keeps_an_invoiced_po_open() -> None:
    # Invoiced for what left, but 1 of 2 units is still owed (ShipQuantity < OrderQuantity).
    assert _stage(_invoiced(shipped=1), SHIPPED_AT + timedelta(days=30)) is Stage.INVOICED


def test_quantities_are_summed_per_po_line_across_sales_orders() -> None:
    split = order(
        item(1, "invoiced", so="41000001", shipped_at=SHIPPED_AT, quantity=6, shipped_quantity=6),
        item(1, "accepted", so="41000002", order_type="BO", quantity=4),
    )
    assert not fully_shipped(split)
    done = order(
        item(1, "invoiced", so="41000001", shipped_at=SHIPPED_AT, quantity=6, shipped_quantity=6),
        item(1, "invoiced", so="41000002", shipped_at=SHIPPED_AT, quantity=4, shipped_quantity=4),
    )
    assert fully_shipped(done)


def test_delivery_seam_closes_at_once_or_holds_when_known_undelivered() -> None:
    tds = _invoiced()
    assert _stage(tds, SHIPPED_AT + timedelta(hours=2), delivered=True) is Stage.CLOSED
    assert _stage(tds, SHIPPED_AT + timedelta(days=30), delivered=False) is Stage.INVOICED


def test_not_invoiced_never_closes() -> None:
    tds = order(item(1, "shipped", shipped_at=SHIPPED_AT, tracking=("123456789012",)))
    assert _stage(tds, SHIPPED_AT + timedelta(days=90)) is Stage.SHIPPED


def test_closed_po_is_written_as_tds_closed_and_says_why() -> None:
    tds = _invoiced()
    purchase_order = po("TDS Invoiced", vendor_order_number="41000001", lines=cw_lines(1, 2))
    context = ctx(now=SHIPPED_AT + timedelta(days=8), close_after_days=7)
    plan = plan_purchase_order(purchase_order, tds, context, INVOICED)
    assert plan.stage is Stage.CLOSED
    assert [c.new for c in plan.header_changes if c.field == "status"] == [{"id": 5}]
    stage_events = [e for e in plan.events if e.kind == "stage_changed"]
    assert stage_events[0].summary.startswith("TDS Closed: invoiced, fully shipped, 7 days after the last shipment")
    assert [n.key for n in plan.notes if n.key == "stage:CLOSED"] == ["stage:CLOSED"]


def test_close_after_days_is_configurable() -> None:
    tds = _invoiced()
    purchase_order = po("TDS Invoiced", vendor_order_number="41000001")
    plan = plan_purchase_order(
        purchase_order, tds, ctx(now=SHIPPED_AT + timedelta(days=2), close_after_days=1), INVOICED
    )
    assert plan.stage is Stage.CLOSED


def test_a_closed_po_does_not_reopen_when_the_grace_period_is_raised_later() -> None:
    tds = _invoiced()
    closed = PriorState(Stage.CLOSED, "TDS Closed", event_keys=frozenset({"stage:CLOSED"}))
    purchase_order = po("TDS Closed", vendor_order_number="41000001")
    plan = plan_purchase_order(
        purchase_order, tds, ctx(now=SHIPPED_AT + timedelta(days=2), close_after_days=30), closed
    )
    assert plan.stage is Stage.CLOSED
    assert plan.changes == () and plan.events == ()
