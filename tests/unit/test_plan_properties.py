"""Properties of the planner over random orders: monotone stages, idempotent plans, ConnectWise limits."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from plan_builders import METHODS, STATUSES, apply, ctx, item, order, remember

from orderbridge.domain import DistributorLine, DistributorOrder, Plan, PurchaseOrder, Reference, Stage, StatusCode
from orderbridge.sync.plan import PriorState, plan_purchase_order
from orderbridge.sync.stages import derive_stage

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
CONTEXT = ctx()


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
        tracking=tuple(draw(st.lists(st.sampled_from(TRACKING), max_size=2))) if shipped else (),
        method=draw(st.sampled_from(SHIP_METHODS)),
        fees=draw(st.booleans()),
    )


@st.composite
def orders(draw: st.DrawFn, *, odd: bool = True) -> DistributorOrder:
    found = draw(st.lists(lines(), max_size=8))
    if odd and draw(st.integers(0, 9)) == 0:
        found.append(dataclasses.replace(found[0] if found else item(9), code=StatusCode.UNKNOWN, raw_code="onhold"))
    code = draw(st.sampled_from(["accepted"] * 8 + ["notFound", "rejected"])) if odd else "accepted"
    return order(*found, code=code)


@st.composite
def purchase_orders(draw: st.DrawFn) -> PurchaseOrder:
    status = draw(st.none() | st.sampled_from(STATUSES))
    method = draw(st.none() | st.sampled_from(METHODS))
    return PurchaseOrder(
        id=501,
        po_number="PO-1001",
        status=Reference(status.id, status.name) if status else None,
        tracking_number=draw(st.none() | st.sampled_from(TRACKING[:4])),
        shipment_date=draw(st.none() | st.sampled_from(TIMES)),
        shipment_method=Reference(method.id, method.name) if method else None,
        vendor_order_number=draw(st.none() | st.sampled_from(SALES_ORDERS)),
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
    after = dataclasses.replace(
        before, lines=tuple(_advance(line) if flag else line for line, flag in zip(before.lines, advance, strict=False))
    )
    old = derive_stage(before, release_on_fees=release_on_fees).stage
    new = derive_stage(after, release_on_fees=release_on_fees).stage
    assert (old is None) == (new is None)
    assert old is None or new is None or new >= old


def _fits_connectwise(plan: Plan) -> None:
    for change in plan.changes:
        if isinstance(change.new, dict):
            assert set(change.new) == {"id"} and isinstance(change.new["id"], int)
        else:
            assert isinstance(change.new, str) and len(change.new) <= 50, change


@settings(max_examples=300)
@given(purchase_orders(), orders(), priors())
def test_replanning_after_applying_a_plan_is_a_no_op(
    po: PurchaseOrder, tds: DistributorOrder, prior: PriorState
) -> None:
    plan = plan_purchase_order(po, tds, CONTEXT, prior)
    _fits_connectwise(plan)
    if plan.problems:
        assert plan.changes == () and plan.events == ()
    again = plan_purchase_order(apply(po, plan, CONTEXT), tds, CONTEXT, remember(prior, plan, CONTEXT))
    assert again.changes == ()
    assert again.events == ()
    assert again.stage == plan.stage


@given(purchase_orders(), orders(), priors())
def test_stage_in_the_plan_never_falls_below_what_we_knew(
    po: PurchaseOrder, tds: DistributorOrder, prior: PriorState
) -> None:
    plan = plan_purchase_order(po, tds, CONTEXT, prior)
    if prior.stage is not None:
        assert plan.stage is not None and plan.stage >= prior.stage
