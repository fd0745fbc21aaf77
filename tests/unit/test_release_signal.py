"""TDS Released: a signal that survives the real v2.7 answer, which carries fee elements on every item.

Before the fix an accepted v2.7 PO read as RELEASED at first sight, because fee presence alone meant
"released" and the real service (td-synnex.md §1.6) sends Freight/HandlingFee/Tax/RecyclingFee on every
item, deleted quote lines included.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from plan_builders import ctx, item, order, po

from orderbridge.core.domain import DistributorOrder, Stage
from orderbridge.rules.plan import plan_purchase_order
from orderbridge.rules.stages import RELEASED_BY_FEES, RELEASED_BY_PARTNER, derive_stage, fees_mark_release
from orderbridge.tdsynnex.xml import parse_status_response

PAYLOADS = Path(__file__).resolve().parents[1] / "payloads" / "tdsynnex"
PACIFIC = ZoneInfo("America/Los_Angeles")


def load(name: str) -> DistributorOrder:
    return parse_status_response((PAYLOADS / name).read_bytes(), tz=PACIFIC)


def test_a_real_shaped_v2_7_answer_with_fees_on_accepted_and_deleted_lines_is_accepted() -> None:
    tds = load("v27-accepted-fees-everywhere.xml")
    assert tds.version == "2.7"
    assert [(line.raw_code, line.order_type, line.fees_present) for line in tds.lines] == [
        ("accepted", "SO", True),
        ("accepted", "SO", True),
        ("deleted", "QO", True),
    ]
    verdict = derive_stage(tds)
    assert verdict.stage is Stage.ACCEPTED, verdict.rule
    plan = plan_purchase_order(po(), tds, ctx())
    assert plan.stage is Stage.ACCEPTED
    assert [c.new for c in plan.changes if c.field == "status"] == [{"id": 1}]


def test_the_production_capture_puts_fees_on_every_item_so_fees_say_nothing_there() -> None:
    capture = load("prod-2025-v27-invoiced-13-lines-8-orders.xml")
    assert all(line.fees_present for line in capture.lines)
    assert not fees_mark_release(capture)


@pytest.mark.parametrize("version", ["2.4", "2.40", "2.6", None])
def test_fees_on_an_unshipped_sales_order_line_still_mean_released_before_v2_7(version: str | None) -> None:
    # Spec v2.42 example 7: from 2.40 fee details appear on orders released to ship and/or shipped.
    tds = replace(order(item(1, "accepted", fees=True), item(2, "accepted")), version=version)
    verdict = derive_stage(tds)
    assert (verdict.stage, verdict.rule) == (Stage.RELEASED, RELEASED_BY_FEES)


def test_a_v2_7_answer_whose_fees_differ_between_items_is_released() -> None:
    # Fees on the released SO item and not on the other: they discriminate, as the spec reads them.
    tds = replace(order(item(1, "accepted", fees=True), item(2, "accepted")), version="2.7")
    assert derive_stage(tds).stage is Stage.RELEASED
    everywhere = replace(order(item(1, "accepted", fees=True), item(2, "accepted", fees=True)), version="2.7")
    assert derive_stage(everywhere).stage is Stage.ACCEPTED


def test_the_partner_api_released_status_is_released_in_any_answer() -> None:
    released = replace(item(1, "accepted", fees=True), released=True)
    tds = replace(order(released, item(2, "accepted", fees=True)), version="2.7")
    verdict = derive_stage(tds, release_on_fees=False)
    assert (verdict.stage, verdict.rule) == (Stage.RELEASED, RELEASED_BY_PARTNER)
    plan = plan_purchase_order(po(), tds, ctx(release_on_fees=False))
    assert plan.stage is Stage.RELEASED
    assert "released to ship (Partner API)" in plan.events[0].summary


def test_release_on_fees_false_ignores_fees_even_before_v2_7() -> None:
    tds = replace(order(item(1, "accepted", fees=True)), version="2.4")
    assert derive_stage(tds, release_on_fees=False).stage is Stage.ACCEPTED
