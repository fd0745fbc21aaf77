"""Golden-payload tests for the TD SYNNEX XML codec: every response shape in td-synnex.md §1.3–§1.6 and §7.

Payloads live in tests/payloads/tdsynnex/: the nine spec v2.42 examples (prefixed `spec-`) plus hand-written
ones for the shapes the spec does not show (the 2025 production capture, case and spelling drift, errors).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from orderbridge.core.domain import DistributorOrder, StatusCode
from orderbridge.core.errors import AuthSuspected, DistributorError, MalformedResponse
from orderbridge.tdsynnex.xml import parse_status_response

PAYLOADS = Path(__file__).resolve().parents[1] / "payloads" / "tdsynnex"
PACIFIC = ZoneInfo("America/Los_Angeles")


def payload(name: str) -> bytes:
    matches = sorted(PAYLOADS.glob(name))
    assert len(matches) == 1, f"{name!r} matches {matches}"
    return matches[0].read_bytes()


def parse(name: str) -> DistributorOrder:
    return parse_status_response(payload(name), tz=PACIFIC)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# (payload, order code, raw code, line count, order numbers, PO datetime in UTC, version)
ORDER_CASES = [
    ("spec-2-*", StatusCode.ACCEPTED, "accepted", 1, ("99999999",), utc(2013, 1, 18, 22, 37, 21), "2.2"),
    ("spec-3-*", StatusCode.ACCEPTED, "accepted", 2, ("99999999",), utc(2013, 1, 18, 1, 41), "2.2"),
    ("spec-4-*", StatusCode.SHIPPED, "shipped", 1, ("99999999",), None, "2.2"),
    ("spec-5-*", StatusCode.SHIPPED, "shipped", 1, ("99999999",), utc(2013, 1, 18, 22, 36, 44), "2.2"),
    ("spec-6-*", StatusCode.ACCEPTED, "accepted", 2, ("99999999",), utc(2013, 1, 18, 22, 30, 29), "2.2"),
    ("spec-7-*", StatusCode.SHIPPED, "shipped", 1, ("99999999",), utc(2013, 1, 18, 22, 36, 44), "2.4"),
    ("spec-8-*", StatusCode.NOT_FOUND, "notFound", 0, (), None, "2.2"),
    ("spec-9-*", StatusCode.REJECTED, "rejected", 0, (), None, "2.2"),
    (
        "prod-2025-*",
        StatusCode.INVOICED,
        "invoiced",
        13,
        ("41870001", "41870002", "41870003", "41860099", "41870004", "41870005", "41870006", "41870007"),
        None,
        "2.7",
    ),
    ("upper-case-shipped.xml", StatusCode.SHIPPED, "SHIPPED", 1, ("52000001",), utc(2024, 3, 10, 9, 30), "2.7"),
    ("upper-case-not-found.xml", StatusCode.NOT_FOUND, "NOT FOUND", 0, (), None, "2.7"),
    ("back-order-eta.xml", StatusCode.ACCEPTED, "accepted", 2, ("60000001", "60000002"), utc(2024, 1, 15, 16), "2.2"),
    ("timestamps-with-offsets.xml", StatusCode.ACCEPTED, "accepted", 1, ("70000001",), utc(2024, 5, 1, 10), "2.7"),
    ("duplicate-items.xml", StatusCode.SHIPPED, "shipped", 2, ("80000001", "80000002"), None, "2.7"),
    ("unknown-code-onhold.xml", StatusCode.UNKNOWN, "onhold", 1, ("90000001",), utc(2024, 8, 1, 19), "2.7"),
]


@pytest.mark.parametrize(("name", "code", "raw", "count", "orders", "po_datetime", "version"), ORDER_CASES)
def test_order_header_and_line_counts(
    name: str,
    code: StatusCode,
    raw: str,
    count: int,
    orders: tuple[str, ...],
    po_datetime: datetime | None,
    version: str,
) -> None:
    order = parse(name)
    assert (order.code, order.raw_code, len(order.lines), order.order_numbers) == (code, raw, count, orders)
    assert order.po_datetime == po_datetime
    assert order.version == version
    for moment in (order.po_datetime, order.response_datetime, *(line.ship_datetime for line in order.lines)):
        assert moment is None or moment.utcoffset() is not None


def test_production_2025_shape_keys_tracking_serials_and_fees() -> None:
    order = parse("prod-2025-*")
    assert (order.customer_number, order.po_number, order.reason) == ("7654321", "PO-24117", None)
    assert order.response_datetime == utc(2025, 1, 2, 17, 41, 17)  # PST, UTC-8
    by_line = {line.line_number: line for line in order.lines}
    assert sorted(by_line) == list(range(1, 14))
    assert len({line.key for line in order.lines}) == 13

    drop_ship = by_line[1]
    assert (drop_ship.warehouse, drop_ship.ship_method, drop_ship.ship_method_description) == (
        "98",
        "UPSN",
        "UPS(GROUND)- CVS.COM",
    )
    assert drop_ship.tracking_numbers == ("H320463803",)
    assert drop_ship.ship_datetime == utc(2023, 7, 24, 20, 5, 11)  # PDT, UTC-7
    assert drop_ship.serial_numbers == tuple(f"MN24A{n:05d}" for n in range(1, 13))
    assert drop_ship.packages[0].weight == Decimal("0.0")
    # One carton, three SKUs: the same tracking number on lines 1-3.
    assert [line.line_number for line in order.lines if "H320463803" in line.tracking_numbers] == [1, 2, 3]
    assert by_line[3].unit_price == Decimal("1249.00")

    ltl = by_line[4]
    assert (ltl.ship_method, ltl.ship_method_description, ltl.tracking_numbers) == (
        "EXDO",
        "Expeditors LTL Ground",
        ("6058213347",),
    )
    big_carton = by_line[5].packages
    assert len(big_carton) == 1 and len(big_carton[0].serial_numbers) == 46
    assert big_carton[0].tracking_number == "781234567890"  # FedEx 12 digits
    assert (big_carton[0].ship_item_quantity, by_line[5].warehouse, by_line[5].ship_from_city) == (46, "9", "Chantilly")
    assert by_line[7].tracking_numbers == ("040985928479001", "040985928479018")  # FedEx 15 digits, two cartons
    assert by_line[8].tracking_numbers == ("040985928479001",)

    deleted = by_line[6]
    assert (deleted.code, deleted.order_type, deleted.order_number) == (StatusCode.DELETED, "QO", "41860099")
    assert (deleted.warehouse, deleted.ship_from_city, deleted.ship_from_state, deleted.ship_from_zip) == (None,) * 4
    assert (deleted.ship_datetime, deleted.packages, deleted.ship_quantity) == (None, (), 0)
    assert len(order.live_lines) == 11

    assert all(line.fees_present for line in order.lines)  # fee elements present, even as 0.0
    assert all(
        (line.estimated_delivery_date, line.estimated_ship_date, line.eta_date) == (None, None, None)
        for line in order.lines
    )
    assert by_line[13].ship_datetime is None and by_line[12].ship_datetime == utc(2023, 11, 3, 17)


def test_spec_multi_package_and_split_warehouse_examples() -> None:
    multi = parse("spec-4-*").lines[0]
    assert len(multi.packages) == 10 and multi.tracking_numbers[0] == "040985928478309"
    assert multi.serial_numbers[-1] == "USH229A0YL"
    assert multi.packages[1].weight == Decimal("28.1")
    assert (multi.ship_quantity, multi.order_quantity, multi.fees_present) == (10, 10, False)
    assert multi.ship_datetime == utc(2012, 9, 19, 4, 55, 2)

    first, second = parse("spec-6-*").lines
    assert first.line_number == second.line_number == 1
    assert (first.code, first.order_type, first.warehouse) == (StatusCode.ACCEPTED, "QO", "89")
    assert (second.code, second.order_type, second.warehouse) == (StatusCode.SHIPPED, "SO", "12")
    # The spec's placeholder order numbers make the keys collide; only whole identical Items are merged.
    assert first.key == second.key
    assert len(second.serial_numbers) == 9 and second.ship_from_zip == "91761"

    back_order, deleted = parse("spec-3-*").lines
    assert (back_order.order_type, deleted.code, deleted.eta_date) == ("BO", StatusCode.DELETED, date(2013, 1, 30))
    assert parse("spec-7-*").lines[0].fees_present is True


def test_spelling_case_and_number_drift() -> None:
    order = parse("upper-case-shipped.xml")
    line = order.lines[0]
    assert order.response_datetime == utc(2024, 11, 3, 8, 30)  # 01:30 on the fall-back day reads as PDT
    assert line.code is StatusCode.SHIPPED and line.raw_code == "SHIPPED"
    assert line.ship_datetime == utc(2024, 7, 5, 6, 15)  # ShipDateTime spelling
    assert (line.order_quantity, line.ship_quantity, line.unit_price) == (1200, 1200, Decimal("1234.50"))
    assert line.estimated_delivery_date == date(2024, 7, 9)  # EstimatedDeliveryDate, MM/DD/YYYY
    assert line.estimated_ship_date == date(2024, 7, 4)  # a datetime string read as its date
    assert line.packages[0].weight == Decimal("1050.5") and line.packages[0].serial_numbers == ()
    assert line.fees_present is False


def test_back_order_eta_and_split_line() -> None:
    shipped, back_order = parse("back-order-eta.xml").lines
    assert (shipped.ship_quantity, shipped.order_quantity, shipped.eta_date) == (4, 10, None)
    assert shipped.serial_numbers == ("SSD0001", "SSD0002", "SSD0003", "SSD0004")  # the empty <SerialNo/> dropped
    assert (back_order.order_type, back_order.eta_date, back_order.packages) == ("BO", date(2024, 2, 9), ())
    assert shipped.key == ("60000001", 1, "9900001") and back_order.key == ("60000002", 1, "9900001")


def test_explicit_offsets_are_honoured_and_estimates_read() -> None:
    order = parse("timestamps-with-offsets.xml")
    assert order.response_datetime == utc(2024, 5, 1, 17)
    line = order.lines[0]
    assert (line.line_number, line.packages, line.ship_datetime) == (3, (), None)
    assert (line.estimated_ship_date, line.estimated_delivery_date) == (date(2024, 5, 3), date(2024, 5, 6))


def test_identical_items_are_deduplicated_but_other_sales_orders_kept() -> None:
    lines = parse("duplicate-items.xml").lines
    assert [(line.order_number, line.tracking_numbers) for line in lines] == [
        ("80000001", ("781234500001",)),
        ("80000002", ("781234500002",)),
    ]


def test_unknown_code_case_namespace_and_unknown_elements() -> None:
    order = parse("unknown-code-onhold.xml")
    assert (order.customer_number, order.po_number, order.reason) == ("7654321", "PO-HOLD-5", "Credit review")
    (line,) = order.lines
    assert (line.line_number, line.code, line.raw_code, line.order_number) == (
        2,
        StatusCode.UNKNOWN,
        "OnHold",
        "90000001",
    )


@pytest.mark.parametrize(
    ("name", "error", "fragment"),
    [
        ("error-message-detail.xml", DistributorError, "Client.IncompleteXML: (1)OrderStatusRequest/PONumber"),
        ("error-login-failed.xml", AuthSuspected, "Login Failed: Invalid User ID or Password"),
        ("biz-error.xml", DistributorError, "temporarily unavailable for account 7654321"),
        ("biz-error-root-nested.xml", DistributorError, "IP Address Invalid"),
        ("html-error-page.xml", MalformedResponse, "an HTML page, not XML"),
        ("truncated.xml", MalformedResponse, "truncated XML"),
        ("wrong-root.xml", MalformedResponse, "root element <foo>, expected <SynnexB2B>"),
        ("no-order-status-response.xml", MalformedResponse, "no <OrderStatusResponse>"),
        ("bad-line-number.xml", MalformedResponse, "Item 2: lineNumber 'two' is not a number"),
        ("missing-line-number.xml", MalformedResponse, "Item 1: lineNumber attribute missing"),
        ("bad-ship-datetime.xml", MalformedResponse, "Item 1 (lineNumber 4): ShipDatetime 'yesterday-ish'"),
        ("spec-1-*", MalformedResponse, "no <OrderStatusResponse>"),
    ],
)
def test_error_bodies_are_classified(name: str, error: type[Exception], fragment: str) -> None:
    with pytest.raises(error) as caught:
        parse(name)
    assert fragment in str(caught.value)
    assert type(caught.value) is error


def test_a_login_error_is_suspect_and_carries_the_service() -> None:
    with pytest.raises(AuthSuspected) as caught:
        parse("error-login-failed.xml")
    assert caught.value.service == "tdsynnex"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"", "empty body"),
        (b"   \n", "empty body"),
        (b"Service Unavailable", "not XML"),
        (b'{"error": "nope"}', "not XML"),
        (b"<html><body>Gateway Timeout</body></html>", "HTML page"),
        (b'<?xml version="1.0"?><html><p>x</p></html>', "HTML page"),
        (b"<SynnexB2B><OrderStatusResponse><Code>x</Code></OrderStatusResponse></SynnexB2B>", "PONumber missing"),
        (b"<SynnexB2B><Oops", "malformed or truncated XML"),
        (b"<a></b>", "malformed or truncated XML"),
    ],
)
def test_not_a_status_response(body: bytes, fragment: str) -> None:
    with pytest.raises(MalformedResponse) as caught:
        parse_status_response(body, tz=PACIFIC)
    assert fragment in str(caught.value)


def test_empty_error_elements_beside_a_real_response_are_not_errors() -> None:
    body = payload("spec-2-*").replace(b"<Reason />", b"<Reason /><ErrorMessage/><ErrorDetail></ErrorDetail>")
    assert parse_status_response(body, tz=PACIFIC).code is StatusCode.ACCEPTED
    with pytest.raises(DistributorError, match="no message"):
        parse_status_response(b"<SynnexB2B><BizError/></SynnexB2B>", tz=PACIFIC)


def test_error_excerpt_is_short_and_redacted() -> None:
    body = b"<p>echo <Password>hunter2-excerpt</Password> " + b"x" * 5000 + b"</p>"
    with pytest.raises(MalformedResponse) as caught:
        parse_status_response(b"oops " + body, tz=PACIFIC)
    message = str(caught.value)
    assert "hunter2-excerpt" not in message and len(message) < 300


def test_out_of_range_numbers_are_malformed_not_huge() -> None:
    body = payload("spec-5-*").replace(
        b"<OrderQuantity>1</OrderQuantity>", b"<OrderQuantity>1E+999999999</OrderQuantity>"
    )
    with pytest.raises(MalformedResponse, match="OrderQuantity"):
        parse_status_response(body, tz=PACIFIC)
    body = payload("spec-5-*").replace(b'lineNumber="1"', b'lineNumber="' + b"9" * 5000 + b'"')
    with pytest.raises(MalformedResponse, match="lineNumber"):
        parse_status_response(body, tz=PACIFIC)


def test_zero_dates_read_as_absent_and_junk_dates_are_named() -> None:
    base = payload("spec-3-*")
    order = parse_status_response(base.replace(b"2013-01-30", b"0000-00-00"), tz=PACIFIC)
    assert order.lines[1].eta_date is None
    with pytest.raises(MalformedResponse, match=r"Item 2 \(lineNumber 2\): ETADate 'TBD' is not a date"):
        parse_status_response(base.replace(b"2013-01-30", b"TBD"), tz=PACIFIC)
