"""Properties of the planner over random orders, PO lines and invoices: monotone stages, idempotence, limits."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from plan_builders import METHODS, STATUSES, apply, ctx, cw_line, invoice, item, order, remember

from orderbridge.core.domain import (
    CustomField,
    DistributorLine,
    DistributorOrder,
    Invoice,
    Package,
    Plan,
    PurchaseOrder,
    PurchaseOrderLine,
    Reference,
    Stage,
    StatusCode,
)
from orderbridge.rules.notes import find_marker
from orderbridge.rules.plan import PlanContext, PriorState, plan_purchase_order
from orderbridge.rules.stages import derive_stage

TIMES = [datetime(2025, 3, day, hour) for day in (2, 4, 9) for hour in (8, 17)]
TRACKING = ["123456789012", "812085413736309", "1Z999AA10123456784", "H320463803", "L" * 60, "T" * 50]
SHIP_METHODS = [
    ("FG", "FedEx Ground"),
    ("UP", "UPS Ground"),
    ("UPSN", "UPS(GROUND)- CVS.COM"),
    ("ZZ", "?"),
    (None, None),
]
SALES_ORDERS = [f"4100{n:04d}" for n in range(1, 13)]
SERIALS = ["S1", "S2", "SN-" + "9" * 30]
TRACKING_FIELD = "TDS Tracking"
DELIVERY_FIELD = "TDS Delivery"
FIELDS = {"tracking_numbers_field": TRACKING_FIELD, "expected_delivery_field": DELIVERY_FIELD}
CONTEXT = ctx(**FIELDS, close_after_days=3)
# close_after_days=0 lets invoiced, fully shipped random orders reach CLOSED at NOW.
CONTEXTS = [CONTEXT, ctx(**FIELDS, close_after_days=0), ctx(close_after_days=0, notes=False)]
DATES = [date(2025, 3, day) for day in (1, 5, 12)]


@st.composite
def lines(draw: st.DrawFn) -> DistributorLine:
    code = draw(st.sampled_from(["accepted"] * 3 + ["shipped"] * 3 + ["invoiced", "deleted"]))
    shipped = code in ("shipped", "invoiced")
    return item(
        draw(st.integers(1, 6)),
        code,
        so=draw(st.sampled_from(SALES_ORDERS)),
        order_type=draw(st.sampled_from(["SO", "BO", "QO"])),
        shipped_at=draw(st.sampled_from(TIMES)) if shipped else None,
        method=draw(st.sampled_from(SHIP_METHODS)),
        fees=draw(st.booleans()),
        quantity=draw(st.integers(1, 3)),
        eta=draw(st.none() | st.sampled_from(DATES)),
        estimated_ship=draw(st.none() | st.sampled_from(DATES)),
        estimated_delivery=draw(st.none() | st.sampled_from(DATES)),
        packages=tuple(
            Package(n, serial_numbers=tuple(draw(st.lists(st.sampled_from(SERIALS), max_size=3))))
            for n in draw(st.lists(st.sampled_from(TRACKING), max_size=2))
        )
        if shipped
        else (),
    )


@st.composite
def orders(draw: st.DrawFn, *, odd: bool = True) -> DistributorOrder:
    found = draw(st.lists(lines(), max_size=8))
    if odd and draw(st.integers(0, 9)) == 0:
        found.append(dataclasses.replace(found[0] if found else item(9), code=StatusCode.UNKNOWN, raw_code="onhold"))
    code = draw(st.sampled_from(["accepted"] * 8 + ["notFound", "rejected"])) if odd else "accepted"
    return order(*found, code=code)


@st.composite
def po_lines(draw: st.DrawFn) -> tuple[PurchaseOrderLine, ...] | None:
    if draw(st.integers(0, 4)) == 0:
        return None  # the engine did not fetch line items
    numbers = draw(st.lists(st.integers(1, 7), max_size=7, unique=True))
    return tuple(
        cw_line(
            n,
            tracking_number=draw(st.none() | st.sampled_from(TRACKING[:4])),
            vendor_order_number=draw(st.none() | st.sampled_from(SALES_ORDERS)),
            backordered_flag=draw(st.sampled_from([None, True, False])),
            canceled_flag=draw(st.sampled_from([None, False])),
            vendor_sku=draw(st.sampled_from([f"SKU{n}", f"SKU{n % 3 + 1}", None])),
        )
        for n in numbers
    )


@st.composite
def invoice_lists(draw: st.DrawFn) -> tuple[Invoice, ...]:
    numbers = draw(st.lists(st.sampled_from(["INV-1", "INV-2", "INV-LONG-NUMBER-2025-000003", "I" * 55]), max_size=4))
    return tuple(
        invoice(n, draw(st.none() | st.sampled_from(DATES)), so=draw(st.sampled_from(SALES_ORDERS[:3])))
        for n in numbers
    )


@st.composite
def purchase_orders(draw: st.DrawFn) -> PurchaseOrder:
    status = draw(st.none() | st.sampled_from(STATUSES))
    method = draw(st.none() | st.sampled_from(METHODS))
    captions = draw(st.sampled_from([(), (TRACKING_FIELD,), (TRACKING_FIELD, DELIVERY_FIELD)]))
    return PurchaseOrder(
        id=501,
        po_number="PO-1001",
        status=Reference(status.id, status.name) if status else None,
        tracking_number=draw(st.none() | st.sampled_from(TRACKING[:4])),
        shipment_date=draw(st.none() | st.sampled_from(TIMES)),
        shipment_method=Reference(method.id, method.name) if method else None,
        vendor_order_number=draw(st.none() | st.sampled_from(SALES_ORDERS)),
        custom_fields=tuple(CustomField(i, caption) for i, caption in enumerate(captions, start=1)),
        lines=draw(po_lines()),
    )


@st.composite
def priors(draw: st.DrawFn) -> PriorState:
    return PriorState(
        stage=draw(st.none() | st.sampled_from(list(Stage)[:4])),
        written_status=draw(st.none() | st.sampled_from([s.name for s in STATUSES[:4]])),
        person_status=draw(st.sampled_from([False, False, False, True])),
    )


def _advance(line: DistributorLine) -> DistributorLine:
    if line.code is StatusCode.ACCEPTED:
        return item(line.line_number, "shipped", so=line.order_number or "", shipped_at=TIMES[-1], tracking=("N1",))
    if line.code is StatusCode.SHIPPED:
        return dataclasses.replace(line, code=StatusCode.INVOICED, raw_code="invoiced")
    return line


@given(orders(odd=False), st.lists(st.booleans(), min_size=8, max_size=8), st.booleans())
def test_stage_never_drops_when_lines_ship_or_get_invoiced(
    before: DistributorOrder, advance: list[bool], release_on_fees: bool
) -> None:
    # A QO item beside an SO item of the same line holds the same units (spec example 6): it is the
    # quote's record of them and never ships again, so only unmirrored items advance. Advancing a mirror
    # made a second shipment of new units, after which "shipped" is right (hypothesis found it).
    mirrored = {line.line_number for line in before.lines if line.order_type == "SO"}

    def moves(line: DistributorLine, flag: bool) -> bool:
        return flag and not (line.order_type == "QO" and line.line_number in mirrored)

    after = dataclasses.replace(
        before,
        lines=tuple(
            _advance(line) if moves(line, flag) else line for line, flag in zip(before.lines, advance, strict=False)
        ),
    )
    old = derive_stage(before, release_on_fees=release_on_fees).stage
    new = derive_stage(after, release_on_fees=release_on_fees).stage
    assert (old is None) == (new is None)
    assert old is None or new is None or new >= old


LIMITS = {"canceledReason": 100, "serialNumbers": 1000}


def _fits_connectwise(plan: Plan) -> None:
    for change in plan.changes:
        if change.field == "customFields":
            assert all(isinstance(e["value"], str | None) and len(e["value"] or "") <= 1000 for e in change.new)
        elif isinstance(change.new, dict):
            assert set(change.new) == {"id"} and isinstance(change.new["id"], int)
        elif isinstance(change.new, bool):
            assert change.line_id is not None and change.field in ("backorderedFlag", "canceledFlag")
        else:
            assert isinstance(change.new, str) and len(change.new) <= LIMITS.get(change.field, 50), change
    for note in plan.notes:
        assert len(note.text) <= 4000 and find_marker(note.text) == note.key
        assert note.key in {e.key for e in plan.events}


@settings(max_examples=400)
@given(purchase_orders(), orders(), priors(), invoice_lists(), st.sampled_from(CONTEXTS))
def test_replanning_after_applying_a_plan_is_a_no_op(
    po: PurchaseOrder, tds: DistributorOrder, prior: PriorState, invoices: tuple[Invoice, ...], context: PlanContext
) -> None:
    plan = plan_purchase_order(po, tds, context, prior, invoices=invoices)
    _fits_connectwise(plan)
    if plan.problems:
        assert plan.changes == () and plan.events == () and plan.notes == ()
    after = apply(po, plan, context)
    again = plan_purchase_order(after, tds, context, remember(prior, plan, context), invoices=invoices)
    assert again.changes == ()
    assert again.events == ()
    assert again.notes == ()
    assert again.stage == plan.stage


@given(purchase_orders(), orders(), priors())
def test_stage_in_the_plan_never_falls_below_what_we_knew(
    po: PurchaseOrder, tds: DistributorOrder, prior: PriorState
) -> None:
    plan = plan_purchase_order(po, tds, CONTEXT, prior)
    if prior.stage is not None:
        assert plan.stage is not None and plan.stage >= prior.stage
