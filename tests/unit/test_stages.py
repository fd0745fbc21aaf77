"""Stage derivation from TD SYNNEX line codes: each case is a situation seen in the spec or real traffic."""

from __future__ import annotations

from datetime import datetime

import pytest

from orderbridge.core.domain import DistributorLine, DistributorOrder, Package, Stage, StatusCode
from orderbridge.rules.stages import derive_stage

SHIP_TIME = datetime(2025, 3, 4, 10, 30)


def item(n: int, code: str, *, so: str = "41000001", order_type: str = "SO", fees: bool = False) -> DistributorLine:
    shipped = code in ("shipped", "invoiced")
    return DistributorLine(
        line_number=n,
        code=StatusCode.parse(code),
        raw_code=code,
        order_number=so,
        order_type=order_type,
        ship_datetime=SHIP_TIME if shipped else None,
        fees_present=fees,
        packages=(Package(f"TRK{n}"),) if shipped else (),
    )


def order(*lines: DistributorLine, code: str = "accepted", reason: str | None = None) -> DistributorOrder:
    return DistributorOrder("100001", "PO-1001", StatusCode.parse(code), code, reason=reason, lines=lines)


@pytest.mark.parametrize(
    ("situation", "lines", "stage", "shipped"),
    [
        ("new order, every line accepted", [item(1, "accepted"), item(2, "accepted")], Stage.ACCEPTED, 0),
        ("line 1 back-ordered, line 2 deleted (spec ex.3)", [item(1, "accepted", order_type="BO"), item(2, "deleted")],
         Stage.ACCEPTED, 0),
        ("fees on an unshipped SO line: released", [item(1, "accepted", fees=True)], Stage.RELEASED, 0),
        ("fees on a QO line are no release signal", [item(1, "accepted", order_type="QO", fees=True)],
         Stage.ACCEPTED, 0),
        ("partial shipment is shipped", [item(1, "shipped"), item(2, "accepted")], Stage.SHIPPED, 1),
        ("QO accepted + SO shipped for one PO line (spec ex.6)",
         [item(1, "accepted", order_type="QO"), item(1, "shipped")], Stage.SHIPPED, 1),
        ("all shipped", [item(1, "shipped"), item(2, "shipped")], Stage.SHIPPED, 2),
        ("some invoiced, some shipped", [item(1, "invoiced"), item(2, "shipped")], Stage.SHIPPED, 2),
        ("invoiced with a deleted QO line (production capture)",
         [item(1, "invoiced"), item(6, "deleted", order_type="QO")], Stage.INVOICED, 1),
        ("upper-case codes from the data dictionary", [item(1, "SHIPPED"), item(2, "ACCEPTED")], Stage.SHIPPED, 1),
    ],
)  # fmt: skip
def test_stage_follows_line_codes(situation: str, lines: list[DistributorLine], stage: Stage, shipped: int) -> None:
    verdict = derive_stage(order(*lines))
    assert verdict.stage is stage, situation
    assert verdict.problem is None
    assert verdict.shipped_lines == shipped
    assert verdict.rule


def test_fee_release_signal_can_be_switched_off() -> None:
    verdict = derive_stage(order(item(1, "accepted", fees=True)), release_on_fees=False)
    assert verdict.stage is Stage.ACCEPTED


def test_deleted_lines_do_not_count_as_live() -> None:
    verdict = derive_stage(order(item(1, "shipped"), item(2, "deleted"), item(3, "accepted")))
    assert (verdict.shipped_lines, verdict.live_lines) == (1, 2)


def test_back_orders_are_counted_for_the_log() -> None:
    verdict = derive_stage(order(item(1, "accepted", order_type="BO"), item(2, "accepted")))
    assert verdict.back_ordered_lines == 1


def test_not_found_names_po_and_customer_and_says_what_to_check() -> None:
    verdict = derive_stage(order(code="notFound"))
    assert verdict.stage is None
    assert verdict.problem == (
        "TD SYNNEX has no order for PO PO-1001 under customer 100001 (notFound). "
        "Check the PO number in ConnectWise matches the one sent to TD SYNNEX."
    )


def test_rejected_carries_the_reason() -> None:
    verdict = derive_stage(order(code="rejected", reason="DUPREJECT"))
    assert verdict.stage is None
    assert verdict.problem == "TD SYNNEX rejected PO PO-1001: DUPREJECT"


def test_every_line_deleted_means_cancelled_at_td_synnex() -> None:
    verdict = derive_stage(order(item(1, "deleted"), item(2, "deleted"), code="deleted"))
    assert verdict.stage is None
    assert verdict.problem == "Every line of PO PO-1001 was deleted at TD SYNNEX; the order is cancelled there."


def test_no_lines_is_a_problem_not_a_stage() -> None:
    verdict = derive_stage(order())
    assert verdict.stage is None
    assert verdict.problem is not None and "no lines" in verdict.problem


def test_unknown_code_is_named_verbatim_with_its_line() -> None:
    verdict = derive_stage(order(item(1, "shipped"), item(2, "onhold")))
    assert verdict.problem == (
        "unknown TD SYNNEX status 'onhold' on line 2 (sales order 41000001); not mapped, nothing written"
    )


def test_only_unknown_codes_derive_no_stage() -> None:
    verdict = derive_stage(order(item(1, "onhold")))
    assert verdict.stage is None
    assert verdict.problem is not None and "'onhold'" in verdict.problem


def test_order_level_code_on_a_line_is_reported_like_an_unknown_one() -> None:
    verdict = derive_stage(order(item(1, "accepted"), item(2, "rejected")))
    assert verdict.problem is not None and "'rejected' on line 2" in verdict.problem


def test_counts_are_of_po_lines_not_items_when_a_line_is_split_over_sales_orders() -> None:
    # Spec example 6: PO line 1 appears twice (accepted QO + shipped SO); that is one PO line, not two.
    verdict = derive_stage(
        order(
            item(1, "accepted", so="41000001", order_type="QO"),
            item(1, "shipped", so="41000002"),
            item(2, "accepted"),
        )
    )
    assert (verdict.stage, verdict.shipped_lines, verdict.live_lines) == (Stage.SHIPPED, 1, 2)


def test_every_live_sales_order_invoiced_by_the_invoice_service_is_invoiced() -> None:
    # td-synnex.md §5: "or invoice found via §2.3"; the XML still says shipped while billing has happened.
    lines = order(
        item(1, "shipped", so="41000001"), item(2, "shipped", so="41000002"), item(3, "deleted", so="4100009")
    )
    verdict = derive_stage(lines, invoiced_orders={"41000001", "41000002"})
    assert verdict.stage is Stage.INVOICED
    assert verdict.rule == "every live sales order has an invoice"


def test_an_invoice_for_only_some_sales_orders_leaves_the_po_shipped() -> None:
    lines = order(item(1, "shipped", so="41000001"), item(2, "accepted", so="41000002", order_type="BO"))
    assert derive_stage(lines, invoiced_orders={"41000001"}).stage is Stage.SHIPPED


def test_invoices_do_not_hide_an_unknown_status_word() -> None:
    verdict = derive_stage(order(item(1, "shipped"), item(2, "onhold")), invoiced_orders={"41000001"})
    assert verdict.stage is Stage.SHIPPED and verdict.problem is not None
