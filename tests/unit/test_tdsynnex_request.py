"""The OrderStatusRequest side of the codec: the builder escapes what it is given, the reader (used by the
simulator) names what is missing the way TD SYNNEX's IncompleteXML errors do.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from orderbridge.core.errors import MalformedResponse
from orderbridge.tdsynnex.xml import build_status_request, parse_status_request
from orderbridge.tdsynnex.xmlfields import safe_fromstring

PAYLOADS = Path(__file__).resolve().parents[1] / "payloads" / "tdsynnex"


def test_request_document_shape() -> None:
    body = build_status_request(user_id="me@example.com", password="pw", customer_number="7654321", po_number="PO-1")
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = safe_fromstring(body)
    assert (root.tag, root.get("version")) == ("SynnexB2B", "2.7")
    assert [child.tag for child in root] == ["Credential", "OrderStatusRequest"]
    assert [child.tag for child in root[0]] == ["UserID", "Password"]
    assert [(child.tag, child.text) for child in root[1]] == [("CustomerNumber", "7654321"), ("PONumber", "PO-1")]


def test_password_injection_round_trips_escaped() -> None:
    hostile = "</Password><Password>evil&amp;<!-- \r\n"
    body = build_status_request(user_id="u", password=hostile, customer_number="1", po_number="P", version="2.2")
    assert b"</Password><Password>evil" not in body
    request = parse_status_request(body)
    assert (request.password, request.version, request.po_number) == (hostile, "2.2", "P")
    assert hostile not in repr(request) and "password" not in repr(request)


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [("po_number", "", "empty"), ("customer_number", " ", "empty"), ("password", "a\x00b", "cannot carry")],
)
def test_request_builder_refuses_unsendable_values(field: str, value: str, problem: str) -> None:
    values = {"user_id": "u", "password": "p", "customer_number": "1", "po_number": "P"} | {field: value}
    with pytest.raises(ValueError, match=problem) as caught:
        build_status_request(**values)
    assert "a\x00b" not in str(caught.value)


@pytest.mark.parametrize(
    ("body", "missing"),
    [
        (
            b"<SynnexB2B><Credential><UserID>u</UserID><Password>p</Password></Credential></SynnexB2B>",
            "OrderStatusRequest missing",
        ),
        (
            b"<SynnexB2B><OrderStatusRequest><CustomerNumber>1</CustomerNumber><PONumber>P</PONumber>"
            b"</OrderStatusRequest></SynnexB2B>",
            "Credential/UserID missing",
        ),
        (
            b"<SynnexB2B><Credential><UserID>u</UserID><Password>p</Password></Credential><OrderStatusRequest>"
            b"<CustomerNumber>1</CustomerNumber><PONumber> </PONumber></OrderStatusRequest></SynnexB2B>",
            "OrderStatusRequest/PONumber missing",
        ),
        (
            b"<SynnexB2B><Credential><UserID>u</UserID><Password>p</Password></Credential><OrderStatusRequest>"
            b"<PONumber>P</PONumber></OrderStatusRequest></SynnexB2B>",
            "OrderStatusRequest/CustomerNumber missing",
        ),
        (b"<OrderStatusRequest/>", "root element <OrderStatusRequest>"),
    ],
)
def test_incomplete_requests_name_the_missing_element(body: bytes, missing: str) -> None:
    with pytest.raises(MalformedResponse, match=missing):
        parse_status_request(body)


def test_spec_request_example_parses() -> None:
    request = parse_status_request(next(PAYLOADS.glob("spec-1-*")).read_bytes())
    assert (request.user_id, request.customer_number, request.po_number, request.version) == (
        "YOUR EMAIL ADDRESS",
        "YOUR ACCOUNT NUMBER",
        "YOUR PO NUMBER",
        "2.2",
    )
