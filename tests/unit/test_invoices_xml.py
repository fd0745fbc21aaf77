"""The invoice query codec against golden payloads: element names and spelling drift, comma lists and
thousands commas, "no invoice yet" as an empty list, and every error envelope mapped to our error types.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from orderbridge.core.errors import AuthSuspected, DistributorError, MalformedResponse
from orderbridge.tdsynnex.invoice_xml import build_invoice_request, parse_invoice_request, parse_invoice_response

PAYLOADS = Path(__file__).resolve().parents[1] / "payloads" / "tdsynnex"


def load(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


def test_two_invoices_with_sic_spelling_commas_and_serial_prefixes() -> None:
    first, second = parse_invoice_response(load("invoice-two-invoices.xml"))
    assert (first.invoice_number, first.invoice_date, first.po_number) == ("84512377", date(2025, 1, 3), "PO-7781")
    assert (first.total, first.freight, first.sales_tax) == (Decimal("2599.75"), Decimal("18.75"), Decimal("0.00"))
    assert first.tracking_numbers == ("1Z999AA10123456784", "1Z999AA10123456795")
    assert first.order_number is None  # no confirmed source gives one
    pro, ram = first.lines
    assert (pro.mfg_pn, pro.sku, pro.unit_price, pro.ship_quantity) == (
        "C1E21UT#ABA",
        "3396979",
        Decimal("1020.50"),
        2,
    )
    assert pro.serial_numbers == ("MXL1234ABC", "MXL1234ABD")
    assert (ram.description, ram.serial_numbers) == ("HP S-BUY 4GB 2RX8 PC3-10600E-9 KIT", ())
    # The second invoice has no CustomerPONumber of its own: it inherits the response's.
    assert (second.invoice_number, second.po_number, second.total) == ("84519902", "PO-7781", Decimal("249.00"))
    assert second.serial_numbers == ("CN41230XYZ",)


def test_correct_spelling_sales_order_number_and_tracking_lists() -> None:
    (invoice,) = parse_invoice_response(load("invoice-correct-spelling-order-number.xml"))
    assert (invoice.order_number, invoice.invoice_date, invoice.ship_date) == (
        "41000077",
        date(2026, 1, 15),
        date(2026, 1, 13),
    )
    assert invoice.tracking_numbers == ("541877002320", "541877002331")  # de-duplicated across elements
    (line,) = invoice.lines
    assert (line.mfg_pn, line.line_number, line.serial_numbers) == ("AB-100", 1, ("A1", "A2"))
    assert (invoice.total, invoice.sales_tax) == (Decimal("54.13"), Decimal("4.13"))


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("invoice-none-yet.xml", 0),
        ("invoice-error-not-found.xml", 0),
        ("invoice-success-code.xml", 1),
        ("invoice-sftp-file.xml", 1),
    ],
)
def test_documents_that_are_not_errors(name: str, count: int) -> None:
    assert len(parse_invoice_response(load(name))) == count


def test_sftp_file_shape_and_large_amounts() -> None:
    (invoice,) = parse_invoice_response(load("invoice-sftp-file.xml"))
    assert (invoice.po_number, invoice.total, invoice.lines) == ("PO-3001", Decimal("1234567.89"), ())


@pytest.mark.parametrize(
    ("name", "error", "words"),
    [
        ("invoice-error-login.xml", AuthSuspected, "Invalid UserID or Password"),
        ("invoice-error-code.xml", DistributorError, "Server.DatabaseIssue: Database issue"),
        ("invoice-error-message-detail.xml", DistributorError, "Client.IncompleteXML"),
        ("biz-error.xml", DistributorError, ""),
        ("invoice-missing-number.xml", MalformedResponse, "InvoiceNumber missing"),
        ("invoice-bad-amount.xml", MalformedResponse, "TotalInvoiceAmount"),
        ("invoice-bad-date.xml", MalformedResponse, "InvoiceDate"),
        ("invoice-wrong-root.xml", MalformedResponse, "expected <SynnexB2B>"),
        ("invoice-no-response.xml", MalformedResponse, "no <InvoiceResponse>"),
        ("html-error-page.xml", MalformedResponse, "HTML"),
        ("truncated.xml", MalformedResponse, "truncated"),
    ],
)
def test_errors_map_to_our_types(name: str, error: type[Exception], words: str) -> None:
    with pytest.raises(error) as caught:
        parse_invoice_response(load(name))
    assert words in str(caught.value)


def test_error_reason_echoing_the_password_is_redacted() -> None:
    body = (
        b"<SynnexB2B><InvoiceResponse><ErrorCode>E1</ErrorCode><ErrorReason>bad request "
        b"&lt;Password&gt;hunter2-canary&lt;/Password&gt;</ErrorReason></InvoiceResponse></SynnexB2B>"
    )
    with pytest.raises(AuthSuspected) as caught:
        parse_invoice_response(body)
    assert "hunter2-canary" not in str(caught.value)


@pytest.mark.parametrize(
    ("po_number", "order_number", "present", "absent"),
    [
        ("PO-1", None, b"<PONumber>PO-1</PONumber>", b"<OrderNumber>"),
        (None, "41000001", b"<OrderNumber>41000001</OrderNumber>", b"<PONumber>"),
        ("PO-1", "41000001", b"<PONumber>PO-1</PONumber><OrderNumber>41000001</OrderNumber>", b"<Order>"),
    ],
)
def test_request_keys(po_number: str | None, order_number: str | None, present: bytes, absent: bytes) -> None:
    body = build_invoice_request(
        user_id="u@example.com",
        password="p<&>w",
        customer_number="100001",
        po_number=po_number,
        order_number=order_number,
    )
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?><SynnexB2B version="1.0"><Credential>')
    assert present in body and absent not in body
    query = parse_invoice_request(body)
    assert (query.password, query.customer_number, query.po_number, query.order_number) == (
        "p<&>w",
        "100001",
        po_number,
        order_number,
    )
    assert "p<&>w" not in repr(query)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "po_number or order_number"),
        ({"po_number": "  "}, "po_number or order_number"),
        ({"po_number": "PO\x01"}, "po_number contains"),
        ({"po_number": "PO-1", "customer_number": " "}, "customer_number is empty"),
    ],
)
def test_request_refuses_what_cannot_be_sent(kwargs: dict[str, str], message: str) -> None:
    values = {"user_id": "u", "password": "p", "customer_number": "100001", **kwargs}
    with pytest.raises(ValueError, match=message):
        build_invoice_request(**values)


@pytest.mark.parametrize(
    ("body", "missing"),
    [
        (b"<SynnexB2B><Credential><UserID>u</UserID><Password>p</Password></Credential></SynnexB2B>", "InvoiceRequest"),
        (b"<SynnexB2B><InvoiceRequest><CustomerNumber>1</CustomerNumber></InvoiceRequest></SynnexB2B>", "UserID"),
        (
            b"<SynnexB2B><Credential><UserID>u</UserID><Password>p</Password></Credential>"
            b"<InvoiceRequest><CustomerNumber>1</CustomerNumber></InvoiceRequest></SynnexB2B>",
            "PONumber or",
        ),
    ],
)
def test_request_reader_names_what_is_missing(body: bytes, missing: str) -> None:
    with pytest.raises(MalformedResponse, match=missing):
        parse_invoice_request(body)
