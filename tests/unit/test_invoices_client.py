"""InvoiceClient over httpx.MockTransport: what it sends, and how each HTTP status maps to our error tree
(the same mapping as the PO Status client, shared through `tdsynnex.client.check_reply`).
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from orderbridge.config import HttpSettings, TDSynnexSettings
from orderbridge.core.errors import AuthSuspected, InvalidPurchaseOrder, RequestRejected, TransientApiError
from orderbridge.tdsynnex.invoice_xml import parse_invoice_request
from orderbridge.tdsynnex.invoices import InvoiceClient

PAYLOADS = Path(__file__).resolve().parents[1] / "payloads" / "tdsynnex"
PASSWORD = "canary-Pw</Password>&inv"
URL = "https://testws.us.tdsynnex.com/webservice/invoice/query"


async def no_sleep(_: float) -> None:
    return None


def client_for(status: int, body: bytes = b"") -> tuple[InvoiceClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, content=body, headers={"Content-Type": "text/xml"})

    settings = TDSynnexSettings(
        user_id="buyer@example.com", password=SecretStr(PASSWORD), customer_number="7654321", invoice_url=URL
    )
    client = InvoiceClient(
        settings, HttpSettings(max_attempts=2), transport=httpx.MockTransport(handler), sleep=no_sleep
    )
    return client, seen


async def test_request_is_a_post_of_the_invoice_request() -> None:
    client, seen = client_for(200, (PAYLOADS / "invoice-two-invoices.xml").read_bytes())
    async with client:
        invoices = await client.get_invoices(po_number="PO-7781")
    assert len(invoices) == 2
    (request,) = seen
    assert (request.method, str(request.url), request.headers["content-type"]) == ("POST", URL, "application/xml")
    query = parse_invoice_request(request.content)
    assert (query.user_id, query.password, query.customer_number, query.po_number, query.order_number) == (
        "buyer@example.com",
        PASSWORD,
        "7654321",
        "PO-7781",
        None,
    )


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, AuthSuspected),
        (403, AuthSuspected),
        (404, RequestRejected),
        (400, RequestRejected),
        (503, TransientApiError),
    ],
)
async def test_http_statuses(status: int, error: type[Exception]) -> None:
    client, _ = client_for(status, f"<html>{PASSWORD}</html>".encode())
    async with client:
        with pytest.raises(error) as caught:
            await client.get_invoices(po_number="PO-1")
    assert PASSWORD not in str(caught.value)
    assert getattr(caught.value, "service", None) == "tdsynnex-invoice"


async def test_nothing_to_ask_by_is_an_invalid_po() -> None:
    client, seen = client_for(200)
    async with client:
        with pytest.raises(InvalidPurchaseOrder):
            await client.get_invoices()
        with pytest.raises(InvalidPurchaseOrder):
            await client.get_invoices(po_number="PO\x00")
    assert seen == []
