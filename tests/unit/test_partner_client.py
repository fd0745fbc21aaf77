"""PartnerClient over httpx.MockTransport: the token exchange on the wire, a server that keeps refusing,
statuses mapped to our error tree, and the secret and the token kept out of every message.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import parse_qs

import httpx
import pytest
from pydantic import SecretStr

from orderbridge.config import HttpSettings, PartnerSettings
from orderbridge.core.clock import SimClock
from orderbridge.core.domain import StatusCode
from orderbridge.core.errors import AuthError, InvalidPurchaseOrder, MalformedResponse, RequestRejected
from orderbridge.tdsynnex.partner import PartnerClient

SECRET = "canary-Partner-S3cret-0f9a"
TOKEN = "canary-Bearer-T0ken-77e1"
Handler = Callable[[httpx.Request], httpx.Response]


async def no_sleep(_: float) -> None:
    return None


def partner_settings() -> PartnerSettings:
    return PartnerSettings(
        enabled=True,
        base_url="https://api-uat.us.tdsynnex.com/",
        token_url="https://sso.us.tdsynnex.com/oauth2/v1/token",
        client_id="client-7",
        client_secret=SecretStr(SECRET),
    )


def client_for(api: Handler, token: Handler | None = None) -> tuple[PartnerClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/oauth2/v1/token":
            return (token or issue)(request)
        return api(request)

    client = PartnerClient(
        partner_settings(), HttpSettings(max_attempts=2), transport=httpx.MockTransport(handler), sleep=no_sleep
    )
    return client, seen


def issue(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"access_token": TOKEN, "token_type": "Bearer", "expires_in": 7200})


async def test_token_request_and_bearer_header() -> None:
    body = [{"orderNumber": "41000001", "purchaseOrderNumber": "PO-1", "orderStatus": "Open", "lines": []}]
    client, seen = client_for(lambda r: httpx.Response(200, json=body if "shipment" not in r.url.path else {}))
    async with client:
        order = await client.get_order("41000001")
    assert (order.po_number, order.code) == ("PO-1", StatusCode.ACCEPTED)
    token_call, orders_call, shipment_call = seen
    assert (token_call.method, token_call.url.host) == ("POST", "sso.us.tdsynnex.com")
    assert token_call.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(token_call.content.decode()) == {
        "grant_type": ["client_credentials"],
        "client_id": ["client-7"],
        "client_secret": [SECRET],
    }
    assert str(orders_call.url) == "https://api-uat.us.tdsynnex.com/api/v1/orders/orderNo/41000001"
    assert shipment_call.url.path == "/api/v1/orders/shipment/details/orderNo/41000001"
    assert orders_call.headers["authorization"] == f"Bearer {TOKEN}"
    assert client.token_fetches == 1


async def test_a_server_that_keeps_refusing_gets_one_refresh_then_auth_error(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    refusal = {"requestId": "r-1", "data": {"errorCode": "401", "errorMessage": f"token {TOKEN} expired"}}
    client, seen = client_for(lambda r: httpx.Response(401, json=refusal))
    async with client:
        with pytest.raises(AuthError) as caught:
            await client.get_order("41000001")
    assert client.token_fetches == 2
    assert [r.url.path.rsplit("/", 3)[-3] for r in seen] == ["oauth2", "orders", "oauth2", "orders"]
    for text in (str(caught.value), repr(caught.value), caught.value.body_excerpt, caplog.text):
        assert TOKEN not in text and SECRET not in text


@pytest.mark.parametrize("status", [400, 401, 403])
async def test_refused_client_credentials(status: int) -> None:
    echo = httpx.Response(status, json={"error": "invalid_client", "client_secret": SECRET})
    client, _ = client_for(lambda r: httpx.Response(200, json=[]), token=lambda r: echo)
    async with client:
        with pytest.raises(AuthError) as caught:
            await client.get_order("41000001")
    assert SECRET not in str(caught.value) and SECRET not in caught.value.body_excerpt


@pytest.mark.parametrize(
    "answer",
    [
        {"token_type": "Bearer", "expires_in": 7200},
        {"access_token": TOKEN, "token_type": "MAC"},
    ],
)
async def test_unusable_token_answers(answer: dict[str, object]) -> None:
    client, _ = client_for(lambda r: httpx.Response(200, json=[]), token=lambda r: httpx.Response(200, json=answer))
    async with client:
        with pytest.raises(AuthError) as caught:
            await client.get_order("41000001")
    assert TOKEN not in str(caught.value)


async def test_not_found_by_404_and_by_message_with_200() -> None:
    missing = {"requestId": "r", "data": {"errorCode": "404", "errorMessage": "Order not found"}}
    client, _ = client_for(lambda r: httpx.Response(404, json=missing))
    async with client:
        order = await client.get_order("41999999")
    assert (order.code, order.lines) == (StatusCode.NOT_FOUND, ())
    client, _ = client_for(lambda r: httpx.Response(200, json={"errorMessage": "No orders found", "lines": []}))
    async with client:
        assert (await client.get_order("41999999")).code is StatusCode.NOT_FOUND
    client, _ = client_for(lambda r: httpx.Response(200, json=[]))
    async with client:
        assert (await client.get_order("41999999")).code is StatusCode.NOT_FOUND


async def test_other_refusals_and_bad_bodies() -> None:
    refusal = {"requestId": "r", "data": {"errorCode": "E42", "errorMessage": "Account suspended"}}
    client, _ = client_for(lambda r: httpx.Response(200, json=refusal))
    async with client:
        with pytest.raises(RequestRejected, match="Account suspended"):
            await client.get_order("41000001")
    client, _ = client_for(lambda r: httpx.Response(200, content=b"<html>maintenance</html>"))
    async with client:
        with pytest.raises(MalformedResponse, match="not JSON"):
            await client.get_order("41000001")
    client, _ = client_for(lambda r: httpx.Response(400, content=json.dumps(refusal).encode()))
    async with client:
        with pytest.raises(RequestRejected):
            await client.get_order("41000001")


@pytest.mark.parametrize("number", ["", "  ", "41/../../x", "4" * 31, "41000001?x=1"])
async def test_order_numbers_that_cannot_be_a_path_segment(number: str) -> None:
    client, seen = client_for(lambda r: httpx.Response(200, json=[]))
    async with client:
        with pytest.raises(InvalidPurchaseOrder):
            await client.get_order(number)
    assert seen == []


async def test_token_refreshes_by_the_injected_clock() -> None:
    clock = SimClock()
    tokens = iter(["canary-tok-one-aaaa", "canary-tok-two-bbbb"])
    used: list[str] = []

    def api(request: httpx.Request) -> httpx.Response:
        used.append(request.headers["authorization"])
        return httpx.Response(200, json=[] if "shipment" not in request.url.path else {})

    def token(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"access_token": next(tokens), "token_type": "bearer", "expires_in": "600"})

    def handler(request: httpx.Request) -> httpx.Response:
        return token(request) if request.url.path.endswith("/token") else api(request)

    client = PartnerClient(
        partner_settings(), HttpSettings(), transport=httpx.MockTransport(handler), sleep=no_sleep, clock=clock
    )
    async with client:
        await client.get_order("41000001")
        clock.advance(timedelta(seconds=290))  # still more than 5 minutes left
        await client.get_order("41000001")
        clock.advance(timedelta(seconds=20))  # inside the 5-minute margin
        await client.get_order("41000001")
    assert used == ["Bearer canary-tok-one-aaaa"] * 2 + ["Bearer canary-tok-two-bbbb"]
    assert client.token_fetches == 2
