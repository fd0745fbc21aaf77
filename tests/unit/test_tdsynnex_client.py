"""TDSynnexClient over httpx.MockTransport (httpx's own in-memory transport): what it sends, how it classifies
each kind of answer, and that the password never reaches an exception message.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from orderbridge.config import HttpSettings, TDSynnexSettings
from orderbridge.core.domain import StatusCode
from orderbridge.core.errors import (
    AuthSuspected,
    ConfigError,
    DistributorError,
    Fatal,
    InvalidPurchaseOrder,
    MalformedResponse,
    OrderbridgeError,
    RequestRejected,
    Skippable,
    TransientApiError,
)
from orderbridge.tdsynnex import TDSynnexClient, parse_status_request

PAYLOADS = Path(__file__).resolve().parents[1] / "payloads" / "tdsynnex"
PASSWORD = "canary-Pw</Password>&7"
URL = "https://ec.synnex.com/SynnexXML/POStatus"

Handler = Callable[[httpx.Request], httpx.Response]


def tds_settings(password: str = PASSWORD) -> TDSynnexSettings:
    return TDSynnexSettings(
        url=URL, user_id="buyer@example.com", password=SecretStr(password), customer_number="7654321"
    )


async def no_sleep(_: float) -> None:
    return None


def client_for(handler: Handler, settings: TDSynnexSettings | None = None) -> TDSynnexClient:
    return TDSynnexClient(
        settings or tds_settings(),
        HttpSettings(max_attempts=3),
        transport=httpx.MockTransport(handler),
        sleep=no_sleep,
    )


def xml_reply(name: str, status: int = 200) -> Handler:
    body = (PAYLOADS / name).read_bytes()
    return lambda request: httpx.Response(status, content=body, headers={"Content-Type": "text/xml"})


async def test_request_body_and_headers() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return xml_reply("back-order-eta.xml")(request)

    async with client_for(handler) as client:
        order = await client.get_status("PO-BO-77")
    assert (order.po_number, order.code, len(order.lines)) == ("PO-BO-77", StatusCode.ACCEPTED, 2)
    (request,) = seen
    assert (request.method, str(request.url)) == ("POST", URL)
    assert request.headers["content-type"] == "application/xml"
    sent = parse_status_request(request.content)
    assert (sent.user_id, sent.password, sent.customer_number, sent.po_number, sent.version) == (
        "buyer@example.com",
        PASSWORD,
        "7654321",
        "PO-BO-77",
        "2.7",
    )
    assert client.stats.calls[("POST", 200)] == 1


async def test_ship_times_use_the_configured_zone() -> None:
    settings = tds_settings().model_copy(update={"timezone": "America/New_York"})
    async with client_for(xml_reply("back-order-eta.xml"), settings) as client:
        order = await client.get_status("PO-BO-77")
    assert order.lines[0].ship_datetime is not None
    assert order.lines[0].ship_datetime.isoformat() == "2024-01-15T22:45:00+00:00"  # 17:45 EST


@pytest.mark.parametrize("status", [401, 403])
async def test_rejected_credentials_are_suspect_for_this_po_only(status: int) -> None:
    # One call cannot tell a wrong password from a PO-specific refusal: sync/credentials.py decides.
    async with client_for(lambda request: httpx.Response(status, content=b"denied")) as client:
        with pytest.raises(AuthSuspected) as caught:
            await client.get_status("PO-1")
    assert (caught.value.service, caught.value.status) == ("tdsynnex", status)


async def test_login_failure_inside_200_is_suspect_not_fatal() -> None:
    async with client_for(xml_reply("error-login-failed.xml")) as client:
        with pytest.raises(AuthSuspected) as caught:
            await client.get_status("PO-1")
    assert isinstance(caught.value, Skippable) and not isinstance(caught.value, Fatal)


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("html-error-page.xml", MalformedResponse),
        ("truncated.xml", MalformedResponse),
        ("biz-error.xml", DistributorError),
        ("error-message-detail.xml", DistributorError),
    ],
)
async def test_bad_bodies_in_200(name: str, error: type[Exception]) -> None:
    async with client_for(xml_reply(name)) as client:
        with pytest.raises(error) as caught:
            await client.get_status("PO-1")
    if error is MalformedResponse:
        assert "PO 'PO-1'" in str(caught.value)


@pytest.mark.parametrize(
    ("status", "error"), [(400, RequestRejected), (404, RequestRejected), (501, TransientApiError)]
)
async def test_other_statuses(status: int, error: type[Exception]) -> None:
    async with client_for(lambda request: httpx.Response(status, content=b"no")) as client:
        with pytest.raises(error):
            await client.get_status("PO-1")


async def test_503_then_200_is_retried() -> None:
    replies = [
        httpx.Response(503, content=b"busy"),
        httpx.Response(200, content=(PAYLOADS / "duplicate-items.xml").read_bytes()),
    ]
    async with client_for(lambda request: replies.pop(0)) as client:
        order = await client.get_status("PO-DUP-2")
    assert order.code is StatusCode.SHIPPED
    assert (client.stats.calls[("POST", 503)], client.stats.calls[("POST", 200)], client.stats.retries) == (1, 1, 1)


async def test_persistent_503_ends_as_transient() -> None:
    async with client_for(lambda request: httpx.Response(503, content=b"busy")) as client:
        with pytest.raises(TransientApiError):
            await client.get_status("PO-1")
    assert client.stats.calls[("POST", 503)] == 3


@pytest.mark.parametrize("po_number", ["", "   "])
async def test_empty_po_number_is_refused_before_any_call(po_number: str) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200)

    async with client_for(handler) as client:
        with pytest.raises(InvalidPurchaseOrder):
            await client.get_status(po_number)
        with pytest.raises(InvalidPurchaseOrder, match="cannot be sent"):
            await client.get_status("PO\x00")
    assert calls == []


async def test_unsendable_password_is_a_config_error() -> None:
    async with client_for(lambda request: httpx.Response(200), tds_settings("bad\x01password")) as client:
        with pytest.raises(ConfigError) as caught:
            await client.get_status("PO-1")
    assert "bad\x01password" not in str(caught.value)


def echo(status: int, kind: str) -> Handler:
    """Error bodies that echo the request back, credential and all, the way some servers do."""

    def handler(request: httpx.Request) -> httpx.Response:
        body = request.content.decode()
        if kind == "html":
            return httpx.Response(status, content=f"<html><body>bad request: {body}</body></html>".encode())
        if kind == "error":
            return httpx.Response(
                status,
                content=f"<SynnexB2B><OrderStatusResponse><ErrorMessage>Invalid XML</ErrorMessage>"
                f"<ErrorDetail>{body.split('?>', 1)[1]}</ErrorDetail></OrderStatusResponse></SynnexB2B>".encode(),
            )
        return httpx.Response(status, content=f"password={PASSWORD} {body}".encode())

    return handler


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (401, "text"),
        (403, "html"),
        (400, "html"),
        (404, "text"),
        (500, "text"),
        (503, "html"),
        (200, "html"),
        (200, "error"),
        (200, "text"),
    ],
)
async def test_password_never_appears_in_errors(status: int, kind: str) -> None:
    async with client_for(echo(status, kind)) as client:
        with pytest.raises(OrderbridgeError) as caught:
            await client.get_status("PO-1")
    error = caught.value
    texts = [str(error), repr(error), getattr(error, "body_excerpt", "")]
    assert all(PASSWORD not in text and "canary-Pw" not in text for text in texts), texts
