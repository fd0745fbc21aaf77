"""Spec example 6: one PO line as an accepted QO item and a shipped SO item is one set of units, not two.

Before quotes.py the QO's units were counted beside the SO's, so such a PO was owed twice what shipped:
it never read as fully shipped, never INVOICED by its line codes, and never closed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from plan_builders import ACCEPTED_PRIOR, ctx, cw_lines, invoice, item, order, po

from orderbridge.core.domain import DistributorOrder, Stage
from orderbridge.rules.closing import close_verdict, fully_shipped
from orderbridge.rules.plan import plan_purchase_order
from orderbridge.rules.quotes import counted_items, superseded_quotes
from orderbridge.rules.stages import derive_stage
from orderbridge.tdsynnex.xml import parse_status_response

PAYLOADS = Path(__file__).resolve().parents[1] / "payloads" / "tdsynnex"
PACIFIC = ZoneInfo("America/Los_Angeles")
SHIPPED_AT = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
SPEC_6 = "spec-6-po-shipped-from-different-warehouse-than-requested-po-line-1.xml"


def load(name: str) -> DistributorOrder:
    return parse_status_response((PAYLOADS / name).read_bytes(), tz=PACIFIC)


def example_6(so_code: str = "invoiced", *, quote_units: int = 9, so_units: int = 9) -> DistributorOrder:
    return order(
        item(1, "accepted", so="99999998", order_type="QO", quantity=quote_units, warehouse="89"),
        item(1, so_code, so="99999999", shipped_at=SHIPPED_AT, tracking=("812085413736309",), quantity=so_units),
    )


def test_the_quote_item_of_spec_example_6_is_superseded_by_its_sales_order() -> None:
    tds = load(SPEC_6)
    assert superseded_quotes(tds.live_lines) == frozenset({0})
    assert [line.order_type for line in counted_items(tds.lines)] == ["SO"]
    assert fully_shipped(tds)


def test_golden_invoiced_example_6_is_invoiced_and_closes_after_the_grace_period() -> None:
    tds = load("quote-superseded-invoiced.xml")
    shipped = max(line.ship_datetime for line in tds.lines if line.ship_datetime)
    verdict = derive_stage(tds)
    assert verdict.stage is Stage.INVOICED, verdict.rule
    assert close_verdict(verdict, tds, now=shipped + timedelta(days=6), close_after_days=7).stage is Stage.INVOICED
    assert close_verdict(verdict, tds, now=shipped + timedelta(days=7), close_after_days=7).stage is Stage.CLOSED


def test_spec_example_6_billed_by_the_invoice_service_closes() -> None:
    # The XML still says shipped (billing lags, td-synnex.md §7.13); the invoice service has the sales order.
    tds = load(SPEC_6)
    now = datetime(2013, 3, 1, tzinfo=UTC)
    plan = plan_purchase_order(
        po(lines=cw_lines(1)), tds, ctx(now=now), ACCEPTED_PRIOR, invoices=(invoice("900000001", None, so="99999999"),)
    )
    assert plan.problems == ()
    assert plan.stage is Stage.CLOSED


def test_planner_closes_a_shipped_and_invoiced_quote_split_and_writes_no_back_order_or_estimate() -> None:
    plan = plan_purchase_order(po(lines=cw_lines(1)), example_6(), ctx(now=SHIPPED_AT + timedelta(days=30)))
    assert plan.problems == ()
    assert plan.stage is Stage.CLOSED
    line_fields = {c.field for c in plan.changes if c.line_id is not None}
    assert "backorderedFlag" not in line_fields and "expectedShipDate" not in line_fields


def test_a_quote_its_sales_orders_do_not_cover_yet_still_keeps_the_line_open() -> None:
    # 9 units quoted, 5 on a sales order so far: the other 4 may still come on the quote's behalf.
    partial = example_6(quote_units=9, so_units=5)
    assert superseded_quotes(partial.live_lines) == frozenset()
    assert not fully_shipped(partial)
    assert derive_stage(partial).stage is Stage.SHIPPED


def test_a_quote_for_another_product_on_the_same_line_is_not_superseded() -> None:
    other = order(
        item(1, "accepted", so="99999998", order_type="QO", quantity=9, sku="OTHER"),
        item(1, "invoiced", so="99999999", shipped_at=SHIPPED_AT, quantity=9),
    )
    assert superseded_quotes(other.live_lines) == frozenset()
    assert not fully_shipped(other)


def test_two_quotes_share_one_sales_orders_units_only_once() -> None:
    # Two quotes of 5 and one sales order of 5: one quote is covered, the other still waits.
    tds = order(
        item(1, "accepted", so="1", order_type="QO", quantity=5),
        item(1, "accepted", so="2", order_type="QO", quantity=5),
        item(1, "shipped", so="3", shipped_at=SHIPPED_AT, quantity=5),
    )
    assert superseded_quotes(tds.live_lines) == frozenset({0})
    assert not fully_shipped(tds)
