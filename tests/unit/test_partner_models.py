"""Partner API JSON -> DistributorOrder against golden payloads, and the status-word table.

What is protected: a Partner answer becomes the same DistributorOrder the XML gives (one line per
subLine, the sales order on every line, tracking as packages, the carrier text kept), unknown words stay
verbatim as UNKNOWN, and the stage rules in stages.py read it the way they read XML.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from orderbridge.core.domain import Stage, StatusCode
from orderbridge.core.errors import MalformedResponse
from orderbridge.rules.stages import derive_stage
from orderbridge.tdsynnex.partner_models import error_message, normalise_order, status_word

PAYLOADS = Path(__file__).resolve().parents[1] / "payloads" / "tdsynnex"
PACIFIC = ZoneInfo("America/Los_Angeles")


def load(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text())


def test_partially_shipped_order_with_back_order() -> None:
    order = normalise_order(
        "41000077", load("partner-orders-shipped.json"), load("partner-shipment-shipped.json"), tz=PACIFIC
    )
    assert (order.po_number, order.customer_number, order.code, order.raw_code) == (
        "PO-HAND-9",
        "100001",
        StatusCode.SHIPPED,
        "Partially Shipped",
    )
    assert order.po_datetime == datetime(2026, 1, 5, 16, 0, tzinfo=UTC)
    shipped, waiting, back_order = order.lines
    assert {line.order_number for line in order.lines} == {"41000077"}
    assert (shipped.line_number, shipped.code, shipped.ship_quantity, shipped.order_quantity) == (
        1,
        StatusCode.SHIPPED,
        2,
        2,
    )
    assert shipped.tracking_numbers == ("541877002320", "541877002331")  # the repeated number once
    assert shipped.ship_method_description == "FedEx Ground"
    assert shipped.ship_datetime == datetime(2026, 1, 6, 8, 0, tzinfo=UTC)  # midnight Pacific keeps the day
    assert (shipped.sku, shipped.mfg_pn, shipped.unit_price, shipped.warehouse) == (
        "3396979",
        "C1E21UT#ABA",
        Decimal("510.0"),
        "6",
    )
    assert shipped.product_name == "SBUY PRO 6305 MT"  # from the order lookup
    assert (waiting.line_number, waiting.code, waiting.ship_quantity, waiting.packages) == (
        1,
        StatusCode.ACCEPTED,
        0,
        (),
    )
    # Line 2 has no subLines: one DistributorLine for the line itself, a back-order like XML's OrderType BO.
    assert (back_order.line_number, back_order.code, back_order.order_type) == (2, StatusCode.ACCEPTED, "BO")
    verdict = derive_stage(order)
    assert (verdict.stage, verdict.shipped_lines, verdict.live_lines, verdict.back_ordered_lines) == (
        Stage.SHIPPED,
        1,
        2,
        1,
    )


def test_unknown_words_stay_verbatim() -> None:
    order = normalise_order("41000088", [], load("partner-shipment-unknown-status.json"), tz=PACIFIC)
    (line,) = order.lines
    assert (order.code, order.raw_code) == (StatusCode.UNKNOWN, "On Credit Hold")
    assert (line.code, line.raw_code, line.line_number, line.order_quantity) == (
        StatusCode.UNKNOWN,
        "On Credit Hold",
        10,
        4,
    )
    verdict = derive_stage(order)
    assert verdict.stage is None and verdict.problem is not None and "On Credit Hold" in verdict.problem


def test_released_is_an_explicit_signal_that_release_on_fees_does_not_switch_off() -> None:
    # The Partner API says "Released" in words; `release_on_fees` is about fee elements in the XML only.
    order = normalise_order("41000099", [], load("partner-shipment-released.json"), tz=PACIFIC)
    assert [(line.released, line.fees_present) for line in order.lines] == [(True, False)]
    assert derive_stage(order).stage is Stage.RELEASED
    assert derive_stage(order, release_on_fees=False).stage is Stage.RELEASED


def test_order_lookup_alone_gives_lines_when_there_are_no_shipment_details() -> None:
    order = normalise_order("41000077", load("partner-orders-shipped.json"), None, tz=PACIFIC)
    assert [(line.line_number, line.raw_code, line.order_quantity) for line in order.lines] == [
        (1, "Partially Shipped", 3),
        (2, "Backordered", 1),
    ]
    assert order.po_number == "PO-HAND-9"


@pytest.mark.parametrize(
    ("word", "code"),
    [
        ("Open", StatusCode.ACCEPTED),
        ("BACK ORDERED", StatusCode.ACCEPTED),
        ("Shipped", StatusCode.SHIPPED),
        ("partially-shipped", StatusCode.SHIPPED),
        ("Delivered", StatusCode.SHIPPED),
        ("Invoiced", StatusCode.INVOICED),
        ("Cancelled", StatusCode.DELETED),
        ("Canceled", StatusCode.DELETED),
        ("Rejected", StatusCode.REJECTED),
        ("Not Found", StatusCode.NOT_FOUND),
        ("Closed", StatusCode.UNKNOWN),
        ("", StatusCode.UNKNOWN),
        (None, StatusCode.UNKNOWN),
    ],
)
def test_status_words(word: str | None, code: StatusCode) -> None:
    assert status_word(word).code is code


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("partner-error-not-found.json", "404: Order 41999999 not found"),
        ("partner-error-bad-request.json", "400: Invalid orderNo format"),
        ("partner-shipment-error-200.json", "Order not found"),
        ("partner-shipment-shipped.json", None),
        ("partner-orders-shipped.json", None),
    ],
)
def test_error_messages(name: str, message: str | None) -> None:
    assert error_message(load(name)) == message


@pytest.mark.parametrize(
    "shipment",
    [
        {"lines": "nope"},
        {"lines": [{"lineNumber": "1", "subLines": [{"quantity": "two"}]}]},
        {"lines": [{"lineNumber": "1", "totalQuantity": "1.5"}]},
        {"lines": [{"lineNumber": "1", "subLines": [{"quantity": "1", "shipDate": "soon"}]}]},
        {"lines": [{"lineNumber": "1", "subLines": [{"quantity": "1", "tracking": "1Z"}]}]},
    ],
)
def test_bad_shapes_are_malformed(shipment: dict[str, Any]) -> None:
    with pytest.raises(MalformedResponse):
        normalise_order("41000001", [], shipment, tz=PACIFIC)
