"""The production transport (http/transport.py, aiohttp) under ServiceHTTP, against real sockets on loopback:
keep-alive reuse and idle expiry, servers that close connections (idle, mid-answer, after reading a
request), no resend of a call the policy says not to repeat, header injection refused before sending,
body framings, gzip, the byte cap and bounded decompression, timeouts, the connection bound.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import httpx
import pytest
from aiohttp import client_exceptions as failures
from http_servers import Behaviour, Server, answer, start

from orderbridge.core.errors import RequestRejected, ResponseTooLarge, TransientApiError
from orderbridge.http import ServiceHTTP, ServicePolicy, production_transport
from orderbridge.http.policy import failure_reason
from orderbridge.http.transport import AiohttpTransport, transport_error

Serve = Callable[..., Any]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    servers: list[asyncio.Server] = []

    async def run(behave: Behaviour, **options: Any) -> Server:
        state, server = await start(behave, **options)
        servers.append(server)
        return state

    yield run
    for server in servers:
        server.close()


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def service(server: Server, transport: httpx.AsyncBaseTransport | None = None, **overrides: Any) -> ServiceHTTP:
    values: dict[str, Any] = {"service": "svc", "requests_per_minute": 1_000_000, "concurrency": 4}
    return ServiceHTTP(ServicePolicy(**(values | overrides)), base_url=server.url, transport=transport, sleep=Sleeps())


def test_service_http_sends_through_aiohttp_by_default() -> None:
    http = ServiceHTTP(ServicePolicy("svc", concurrency=3, keepalive_expiry_s=7.0))
    assert isinstance(http._transport, AiohttpTransport)


# ------------------------------------------------------------------------------------------ keep-alive


async def test_connections_are_kept_alive_and_reused_up_to_the_pool_size(serve: Serve) -> None:
    server = await serve(lambda ex: answer(b"<ok/>"))
    async with service(server, concurrency=4) as http:
        replies = await asyncio.gather(*(http.request("POST", "/x", content=b"<q/>") for _ in range(200)))
    assert {reply.content for reply in replies} == {b"<ok/>"}
    assert len(server.requests) == 200 and server.connections <= 4
    assert all(ex.body == b"<q/>" for ex in server.requests)


async def test_an_idle_connection_expires_after_keepalive_expiry(serve: Serve) -> None:
    server = await serve(lambda ex: answer())
    async with service(server, concurrency=1, keepalive_expiry_s=0.5) as http:
        await http.request("GET", "/")
        await http.request("GET", "/")  # at once: the same connection
        assert server.connections == 1
        await asyncio.sleep(1.5)  # idle longer than the expiry: closed, the next call opens another
        await http.request("GET", "/")
    assert server.connections == 2 and [ex.connection for ex in server.requests] == [1, 1, 2]


async def test_a_connection_the_server_closed_while_idle_is_replaced(serve: Serve) -> None:
    server = await serve(lambda ex: answer(b"fine"), close_after=True)
    async with service(server) as http:
        for _ in range(3):
            assert (await http.request("GET", "/")).content == b"fine"
            await asyncio.sleep(0.05)  # the server's FIN arrives while the connection is idle
    assert server.connections == 3 and http.stats.retries == 0


@pytest.mark.parametrize(("method", "idempotent"), [("POST", None), ("PUT", False)])
async def test_a_call_not_safe_to_repeat_is_sent_once_when_a_reused_connection_drops_it(
    serve: Serve, method: str, idempotent: bool | None
) -> None:
    # The second request on every connection is read and then the connection closed unanswered: the race of
    # a server timing out an idle connection just as we send on it. The server has the request, so neither
    # the transport (aiohttp resends GET/PUT/DELETE on its own unless told not to) nor the policy sends it
    # again, and the failure is a reset, not a "never sent" connect failure.
    server = await serve(lambda ex: None if ex.nth == 2 else answer(b"first"))
    async with service(server, concurrency=1, max_attempts=4) as http:
        assert (await http.request(method, "/", content=b"a", idempotent=idempotent)).content == b"first"
        with pytest.raises(TransientApiError, match=r"\(not safe to repeat\): reset"):
            await http.request(method, "/", content=b"b", idempotent=idempotent)
    assert [(ex.method, ex.connection, ex.nth, ex.body) for ex in server.requests] == [
        (method, 1, 1, b"a"),
        (method, 1, 2, b"b"),
    ]
    assert http.stats.calls[(method, "reset")] == 1 and http.stats.retries == 0


async def test_an_idempotent_call_dropped_the_same_way_is_retried_by_the_policy(serve: Serve) -> None:
    server = await serve(lambda ex: None if ex.nth == 2 else answer(str(ex.connection).encode()))
    async with service(server, concurrency=1) as http:
        await http.request("POST", "/", content=b"a", idempotent=True)
        reply = await http.request("POST", "/", content=b"b", idempotent=True)
    assert reply.content == b"2"
    assert [(ex.connection, ex.nth) for ex in server.requests] == [(1, 1), (1, 2), (2, 1)]
    assert http.stats.retried["reset"] == 1


async def test_a_fresh_connection_dropped_without_an_answer_is_a_reset(serve: Serve) -> None:
    server = await serve(lambda ex: None)
    async with service(server, max_attempts=3) as http:
        with pytest.raises(TransientApiError, match="reset"):
            await http.request("POST", "/", content=b"a")  # not idempotent: sent once
        with pytest.raises(TransientApiError, match="after 3 attempts: reset"):
            await http.request("GET", "/")
    assert len(server.requests) == 4


async def test_connection_close_is_honoured(serve: Serve) -> None:
    server = await serve(lambda ex: answer(b"bye", headers={"Connection": "close"}))
    async with service(server, concurrency=1) as http:
        for _ in range(3):
            assert (await http.request("GET", "/")).content == b"bye"
    assert server.connections == 3


# -------------------------------------------------------------------------------- header injection


async def test_a_header_holding_cr_lf_is_refused_before_anything_is_sent(serve: Serve) -> None:
    server = await serve(lambda ex: answer())
    async with service(server, max_attempts=4) as http:
        with pytest.raises(RequestRejected, match="request header 'X-Note' holds a control character") as caught:
            await http.request("GET", "/", headers={"X-Note": "a\r\nInjected: 1"})
        with pytest.raises(RequestRejected, match="nothing was sent"):
            await http.request("GET", "/", headers={"X-Tab\x00": "fine"})
    assert "Injected" not in str(caught.value)  # the value is never quoted: it may be a credential
    assert server.connections == 0 and http.stats.retries == 0


async def test_the_transport_refuses_control_characters_as_an_httpx_error(serve: Serve) -> None:
    server = await serve(lambda ex: answer())
    transport = production_transport(connections=1)
    try:
        for value in ("a\nb", "a\rb", "a\x7fb"):
            with pytest.raises(httpx.LocalProtocolError):
                await transport.handle_async_request(httpx.Request("GET", server.url, headers={"X-Bad": value}))
        response = await transport.handle_async_request(httpx.Request("GET", server.url, headers={"X-Ok": "a\tb"}))
        await response.aclose()
    finally:
        await transport.aclose()
    assert server.connections == 1 and len(server.requests) == 1  # only the TAB, which is allowed


# ------------------------------------------------------------------------------------------ framings


async def test_chunked_and_close_delimited_bodies(serve: Serve) -> None:
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    until_eof = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it"
    server = await serve(lambda ex: chunked if b"/chunked" in ex.head else until_eof)
    async with service(server, concurrency=1) as http:
        assert (await http.request("GET", "/chunked")).content == b"hello world"
        assert (await http.request("GET", "/chunked")).content == b"hello world"
        assert (await http.request("GET", "/eof")).content == b"all of it"
        assert (await http.request("GET", "/chunked")).content == b"hello world"
    assert server.connections == 2  # the close-delimited answer used its connection up


async def test_gzip_body_arrives_raw_and_is_decoded_by_service_http(serve: Serve) -> None:
    text = b"<SynnexB2B>" + b"<Line/>" * 2000 + b"</SynnexB2B>"
    server = await serve(lambda ex: answer(gzip.compress(text), headers={"Content-Encoding": "gzip"}))
    async with service(server) as http:
        reply = await http.request("POST", "/", content=b"<q/>", idempotent=True)
    assert reply.content == text
    assert b"accept-encoding: gzip, deflate" in server.requests[0].head.lower()


async def test_a_gzip_bomb_over_a_socket_stops_at_the_cap(serve: Serve) -> None:
    bomb = gzip.compress(b"\0" * (20 * 1024 * 1024))  # ~20 KB on the wire, 20 MiB inflated
    server = await serve(lambda ex: answer(bomb, headers={"Content-Encoding": "gzip"}))
    async with service(server, max_response_bytes=1_000_000) as http:
        with pytest.raises(ResponseTooLarge, match="after decompression"):
            await http.request("GET", "/")


async def test_head_answer_with_a_length_has_no_body_and_keeps_the_connection(serve: Serve) -> None:
    server = await serve(lambda ex: b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n")
    async with service(server, concurrency=1) as http:
        reply = await http.request("HEAD", "/")
        assert (reply.status, reply.content) == (200, b"")
        assert (await http.request("HEAD", "/")).status == 200
    assert server.connections == 1


async def test_short_body_then_close_is_a_reset(serve: Serve) -> None:
    server = await serve(lambda ex: answer(b"0123456789")[:-4], close_after=True)
    async with service(server, max_attempts=2) as http:
        with pytest.raises(TransientApiError, match="after 2 attempts: reset"):
            await http.request("GET", "/")


async def test_repeated_framing_headers_read_as_httpx_joins_them(serve: Serve) -> None:
    # Two Content-Encoding headers join to "gzip, gzip": a coding we did not ask for, refused.
    packed = gzip.compress(b"hello")
    twice = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nContent-Encoding: gzip\r\nContent-Encoding: gzip\r\n\r\n%s" % (
        len(packed),
        packed,
    )
    server = await serve(lambda exchange: twice)
    async with service(server) as client:
        with pytest.raises(RequestRejected, match="content-encoding 'gzip, gzip' was not asked for"):
            await client.request("GET", "/twice")


def _seen(exchange: Any) -> tuple[bytes, frozenset[bytes], bytes]:
    line, *headers = exchange.head.rstrip(b"\r\n").split(b"\r\n")
    return line, frozenset(header.lower() for header in headers), exchange.body


async def test_the_request_on_the_wire(serve: Serve) -> None:
    server = await serve(lambda exchange: answer(b"fine"))
    policy = ServicePolicy(service="svc", requests_per_minute=1_000_000, concurrency=4)
    async with ServiceHTTP(policy, base_url=server.url, auth=("user", "secret")) as client:
        await client.request("POST", "/SynnexXML/POStatus", content=b"<xml/>", headers={"Content-Type": "text/xml"})
        await client.request("GET", "/procurement/purchaseorders/7/lineitems")
        await client.request("PATCH", "/procurement/purchaseorders/7", content=b"", headers={"X-Extra": "1"})
        reply = await client.request("GET", "/procurement/purchaseorders", params={"pageSize": 5})
    assert reply.url == server.url + "/procurement/purchaseorders?pageSize=5"
    post, get, patch, query = (_seen(exchange) for exchange in server.requests)
    assert post[0] == b"POST /SynnexXML/POStatus HTTP/1.1" and post[2] == b"<xml/>"
    assert {b"content-type: text/xml", b"content-length: 6", b"accept-encoding: gzip, deflate"} <= post[1]
    assert f"host: 127.0.0.1:{server.port}".encode() in post[1]
    assert any(header.startswith(b"authorization: basic ") for header in post[1])
    assert not any(header.startswith(b"content-length") for header in get[1])
    assert b"content-length: 0" in patch[1] and b"x-extra: 1" in patch[1]
    assert query[0] == b"GET /procurement/purchaseorders?pageSize=5 HTTP/1.1"


# ---------------------------------------------------------------------------------- failures and bounds


async def test_connection_refused_ends_in_our_transient_error_after_retries() -> None:
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    http = ServiceHTTP(
        ServicePolicy("svc", max_attempts=3), base_url=f"http://127.0.0.1:{port}", sleep=(sleeps := Sleeps())
    )
    async with http:
        with pytest.raises(TransientApiError, match="after 3 attempts: connect") as caught:
            await http.request("POST", "/")  # never reached the server, so even a POST is repeated
    assert len(sleeps.waits) == 2 and http.stats.calls[("POST", "connect")] == 3
    assert caught.value.__context__ is None and caught.value.__cause__ is None


async def test_a_server_that_never_answers_is_a_read_timeout(serve: Serve) -> None:
    hold = asyncio.Event()
    server = await serve(lambda ex: answer(), hold=hold)
    async with service(server, timeout_s=0.1, connect_timeout_s=0.1, max_attempts=2) as http:
        with pytest.raises(TransientApiError, match="timeout"):
            await http.request("GET", "/")
    hold.set()
    assert http.stats.calls[("GET", "timeout")] == 2 and server.connections == 2


async def test_a_body_over_the_cap_is_refused_and_its_unread_rest_not_reused(serve: Serve) -> None:
    chunk = b"1000\r\n" + b"x" * 4096 + b"\r\n"
    big = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk * 256 + b"0\r\n\r\n"  # 1 MiB
    server = await serve(lambda ex: big if ex.connection == 1 else answer(b"small"))
    async with service(server, max_response_bytes=10_000, concurrency=1) as http:
        with pytest.raises(ResponseTooLarge):
            await http.request("GET", "/")
        assert (await http.request("GET", "/")).content == b"small"
    assert server.connections == 2  # the rest of the big body was never read, so its connection was closed


async def test_the_transport_holds_its_connection_bound_and_times_out_waiting(serve: Serve) -> None:
    hold = asyncio.Event()
    server = await serve(lambda ex: answer(), hold=hold)
    transport = production_transport(connections=2)

    async def send(pool_s: float | None = None) -> int:
        # aiohttp has one budget for waiting for a slot and connecting: the two add up.
        timeout = {"connect": pool_s or 5.0, "read": 30.0, "write": 5.0, "pool": pool_s}
        request = httpx.Request("GET", server.url + "/", extensions={"timeout": timeout})
        response = await transport.handle_async_request(request)
        try:
            await response.aread()
        finally:
            await response.aclose()
        return response.status_code

    calls = [asyncio.create_task(send()) for _ in range(6)]
    for _ in range(50):
        await asyncio.sleep(0.005)
    # aiohttp cannot tell waiting for a pool slot from connecting: either way nothing was sent.
    with pytest.raises(httpx.ConnectTimeout):
        await send(pool_s=0.02)
    hold.set()
    assert await asyncio.gather(*calls) == [200] * 6
    assert server.peak == 2 and server.connections == 2
    await transport.aclose()


KEY = aiohttp.client_reqrep.ConnectionKey("h", 1, False, True, None, None, None)


@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        (failures.ConnectionTimeoutError("t"), "connect-timeout"),
        (failures.ClientConnectorError(KEY, OSError(111, "refused")), "connect"),
        (failures.ClientProxyConnectionError(KEY, OSError(111, "refused")), "proxy"),
        (failures.SocketTimeoutError("t"), "timeout"),
        (failures.ServerDisconnectedError(), "reset"),
        (failures.ClientPayloadError("short"), "reset"),
        (failures.ClientOSError(104, "reset by peer"), "reset"),
        (failures.ClientConnectionResetError("closing transport"), "reset"),
        (ConnectionResetError(104, "reset"), "reset"),
    ],
)
def test_only_failures_before_sending_are_classified_as_never_sent(failure: BaseException, reason: str) -> None:
    assert failure_reason(transport_error(failure)) == reason
