"""The production transport (http_wire.py) against real sockets on loopback: keep-alive reuse, servers
that close connections (idle, mid-answer, `Connection: close`), body framings, gzip, timeouts, the cap,
the concurrency bound, TLS. The server is a small asyncio one started per test, which writes exactly the
bytes a test gives it, so each framing is what the test says and nothing a framework adds.
"""

from __future__ import annotations

import asyncio
import gzip
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import trustme

from orderbridge.core.errors import RequestRejected, ResponseTooLarge, TransientApiError
from orderbridge.http import ServiceHTTP, ServicePolicy
from orderbridge.http.wire import WireTransport, default_transport, wire_head


def answer(body: bytes = b"ok", *, status: str = "200 OK", headers: dict[str, str] | None = None) -> bytes:
    fields = {"Content-Length": str(len(body))} | (headers or {})
    head = "".join(f"{name}: {value}\r\n" for name, value in fields.items())
    return f"HTTP/1.1 {status}\r\n{head}\r\n".encode() + body


@dataclass
class Exchange:
    """What the server saw of one request, and what the test wants done with it."""

    connection: int  # which connection (1-based, in accept order)
    nth: int  # which request on that connection (1-based)
    head: bytes
    body: bytes


Behaviour = Callable[[Exchange], "bytes | None"]  # the bytes to answer with; None: close without answering


@dataclass
class Server:
    behave: Behaviour
    close_after: bool = False  # close each connection after its first answer, without saying so
    connections: int = 0
    requests: list[Exchange] = field(default_factory=list)
    in_flight: int = 0
    peak: int = 0
    hold: asyncio.Event | None = None  # when set, requests wait for it before being answered
    url: str = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        connection, nth = self.connections, 0
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                nth += 1
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                exchange = Exchange(connection, nth, head, await reader.readexactly(length))
                self.requests.append(exchange)
                self.in_flight += 1
                self.peak = max(self.peak, self.in_flight)
                if self.hold is not None:
                    await self.hold.wait()
                reply = self.behave(exchange)
                self.in_flight -= 1
                if reply is None:
                    return
                writer.write(reply)
                await writer.drain()
                if self.close_after or reply.startswith(b"HTTP/1.0") or b"connection: close" in reply.lower():
                    return
        finally:
            writer.close()


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., Any]]:
    servers: list[asyncio.Server] = []

    async def start(behave: Behaviour, *, ssl_context: ssl.SSLContext | None = None, **options: Any) -> Server:
        state = Server(behave, **options)
        server = await asyncio.start_server(state.handle, "127.0.0.1", 0, ssl=ssl_context)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        state.url = f"{'https' if ssl_context else 'http'}://127.0.0.1:{port}"
        return state

    yield start
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


# ------------------------------------------------------------------------------------------ keep-alive


async def test_connections_are_kept_alive_and_reused_up_to_the_pool_size(serve: Callable[..., Any]) -> None:
    server = await serve(lambda ex: answer(b"<ok/>"))
    transport = default_transport(4)
    assert isinstance(transport, WireTransport)
    async with service(server, transport, concurrency=4) as http:
        replies = await asyncio.gather(*(http.request("POST", "/x", content=b"<q/>") for _ in range(200)))
    assert {reply.content for reply in replies} == {b"<ok/>"}
    assert len(server.requests) == 200 and server.connections <= 4 and transport.connects == server.connections
    assert all(ex.body == b"<q/>" for ex in server.requests)


async def test_a_connection_the_server_closed_while_idle_is_replaced(serve: Callable[..., Any]) -> None:
    server = await serve(lambda ex: answer(b"fine"), close_after=True)
    async with service(server) as http:
        for _ in range(3):
            assert (await http.request("GET", "/")).content == b"fine"
            await asyncio.sleep(0.01)  # the server's FIN arrives while the connection is idle
    assert server.connections == 3 and http.stats.retries == 0


async def test_a_reused_connection_dropped_before_any_answer_byte_is_retried_once_fresh(
    serve: Callable[..., Any],
) -> None:
    # The second request on every connection is read and then the connection closed unanswered: the race of
    # a server timing out an idle connection just as we send on it. Even a POST is sent again, once.
    server = await serve(lambda ex: None if ex.nth == 2 else answer(str(ex.connection).encode()))
    async with service(server, concurrency=1) as http:
        first = await http.request("POST", "/", content=b"a")
        second = await http.request("POST", "/", content=b"b")
    assert (first.content, second.content) == (b"1", b"2")
    assert [(ex.connection, ex.nth) for ex in server.requests] == [(1, 1), (1, 2), (2, 1)]
    assert http.stats.retries == 0  # the transport's own resend, not a policy retry


async def test_a_fresh_connection_dropped_without_an_answer_is_a_reset(serve: Callable[..., Any]) -> None:
    server = await serve(lambda ex: None)
    async with service(server, max_attempts=3) as http:
        with pytest.raises(TransientApiError, match="reset"):
            await http.request("POST", "/", content=b"a")  # not idempotent: sent once
        with pytest.raises(TransientApiError, match="after 3 attempts: reset"):
            await http.request("GET", "/")
    assert len(server.requests) == 4


async def test_connection_close_is_honoured(serve: Callable[..., Any]) -> None:
    server = await serve(lambda ex: answer(b"bye", headers={"Connection": "close"}))
    async with service(server, concurrency=1) as http:
        for _ in range(3):
            assert (await http.request("GET", "/")).content == b"bye"
    assert server.connections == 3


# ------------------------------------------------------------------------------------------ framings


async def test_chunked_and_close_delimited_bodies(serve: Callable[..., Any]) -> None:
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    until_eof = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it"
    server = await serve(lambda ex: chunked if b"/chunked" in ex.head else until_eof)
    async with service(server, concurrency=1) as http:
        assert (await http.request("GET", "/chunked")).content == b"hello world"
        assert (await http.request("GET", "/chunked")).content == b"hello world"
        assert (await http.request("GET", "/eof")).content == b"all of it"
        assert (await http.request("GET", "/chunked")).content == b"hello world"
    assert server.connections == 2  # the close-delimited answer used its connection up


async def test_gzip_body_is_decoded_by_service_http(serve: Callable[..., Any]) -> None:
    text = b"<SynnexB2B>" + b"<Line/>" * 2000 + b"</SynnexB2B>"
    server = await serve(lambda ex: answer(gzip.compress(text), headers={"Content-Encoding": "gzip"}))
    async with service(server) as http:
        reply = await http.request("POST", "/", content=b"<q/>", idempotent=True)
    assert reply.content == text
    assert b"accept-encoding: gzip, deflate" in server.requests[0].head.lower()


async def test_head_answer_with_a_length_has_no_body(serve: Callable[..., Any]) -> None:
    server = await serve(lambda ex: b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n")
    async with service(server, concurrency=1) as http:
        reply = await http.request("HEAD", "/")
        assert (reply.status, reply.content) == (200, b"")
        assert (await http.request("HEAD", "/")).status == 200
    assert server.connections == 2  # the parser cannot be told a HEAD's length is empty: not reused


async def test_short_body_then_close_is_a_reset(serve: Callable[..., Any]) -> None:
    server = await serve(lambda ex: answer(b"0123456789")[:-4], close_after=True)
    async with service(server, max_attempts=2) as http:
        with pytest.raises(TransientApiError, match="after 2 attempts: reset"):
            await http.request("GET", "/")


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
    assert caught.value.__context__ is None


async def test_a_server_that_never_answers_is_a_read_timeout(serve: Callable[..., Any]) -> None:
    hold = asyncio.Event()
    server = await serve(lambda ex: answer(), hold=hold)
    async with service(server, timeout_s=0.1, connect_timeout_s=0.1, max_attempts=2) as http:
        with pytest.raises(TransientApiError, match="timeout"):
            await http.request("GET", "/")
    hold.set()
    assert http.stats.calls[("GET", "timeout")] == 2 and server.connections == 2


async def test_a_body_over_the_cap_is_refused_and_its_unread_rest_not_reused(serve: Callable[..., Any]) -> None:
    chunk = b"1000\r\n" + b"x" * 4096 + b"\r\n"
    big = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk * 256 + b"0\r\n\r\n"  # 1 MiB
    server = await serve(lambda ex: big if ex.connection == 1 else answer(b"small"))
    async with service(server, max_response_bytes=10_000, concurrency=1) as http:
        with pytest.raises(ResponseTooLarge):
            await http.request("GET", "/")
        assert (await http.request("GET", "/")).content == b"small"
    assert server.connections == 2  # the rest of the big body was never read, so its connection was closed


async def test_the_transport_holds_its_connection_bound_and_times_out_waiting(serve: Callable[..., Any]) -> None:
    hold = asyncio.Event()
    server = await serve(lambda ex: answer(), hold=hold)
    transport = WireTransport(2)

    async def send(pool_s: float | None = None) -> int:
        timeout = {"connect": 5.0, "read": 5.0, "write": 5.0, "pool": pool_s}
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
    with pytest.raises(httpx.PoolTimeout):
        await send(pool_s=0.02)
    hold.set()
    assert await asyncio.gather(*calls) == [200] * 6
    assert server.peak == 2 and server.connections == 2 and transport.connects == 2
    await transport.aclose()


async def test_tls_with_a_private_ca(serve: Callable[..., Any]) -> None:
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    server = await serve(lambda ex: answer(b"secret"), ssl_context=server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    async with service(server, WireTransport(2, ssl_context=client_context), concurrency=2) as http:
        for _ in range(3):
            assert (await http.request("GET", "/")).content == b"secret"
    assert server.connections == 1
    # The default context (public CAs only) refuses the same server before any request is sent.
    async with service(server, max_attempts=1) as http:
        with pytest.raises(TransientApiError, match="connect"):
            await http.request("GET", "/")
    assert len(server.requests) == 3


# ----------------------------------------------------------------------------- requests sent as bytes


class RequestsOnly(httpx.AsyncBaseTransport):
    """The same transport without `send_wire`: ServiceHTTP must build an httpx.Request for it."""

    def __init__(self) -> None:
        self.inner = WireTransport(4)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _seen(exchange: Exchange) -> tuple[bytes, frozenset[bytes], bytes]:
    line, *headers = exchange.head.rstrip(b"\r\n").split(b"\r\n")
    return line, frozenset(header.lower() for header in headers), exchange.body


async def test_a_request_sent_as_bytes_is_the_request_httpx_would_have_sent(serve: Callable[..., Any]) -> None:
    server = await serve(lambda exchange: answer(b"fine"))
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", "/SynnexXML/POStatus", {"content": b"<xml/>", "headers": {"Content-Type": "application/xml"}}),
        ("GET", "/procurement/purchaseorders/7/lineitems", {}),
        ("PATCH", "/procurement/purchaseorders/7", {"content": b"", "headers": {"X-Extra": "1"}}),
        ("GET", "/procurement/purchaseorders", {"params": {"pageSize": 5}}),  # query: httpx.Request both ways
        ("POST", "https://elsewhere.invalid:8443/x", {"content": b"{}"}),  # what a Host header is made of
    ]
    sent: dict[str, list[tuple[bytes, frozenset[bytes], bytes]]] = {}
    for label, transport in (("bytes", WireTransport(4)), ("httpx", RequestsOnly())):
        policy = ServicePolicy(service="svc", requests_per_minute=1_000_000, concurrency=4)
        client = ServiceHTTP(policy, base_url=server.url, auth=("user", "secret"), transport=transport)
        async with client:
            for method, path, kwargs in calls[:4]:
                reply = await client.request(method, path, **kwargs)
                assert (reply.status, reply.content) == (200, b"fine")
                assert reply.url == server.url + path.split("?")[0] + ("?pageSize=5" if "params" in kwargs else "")
        sent[label] = [_seen(exchange) for exchange in server.requests]
        server.requests.clear()
    assert sent["bytes"] == sent["httpx"]
    assert any(header.startswith(b"authorization: basic ") for header in sent["bytes"][0][1])
    assert b"content-length: 0" in sent["bytes"][2][1] and not any(b"content-length" in h for h in sent["bytes"][1][1])

    # The Host header of a URL with a port other than the scheme's own, as httpx derives it.
    _origin, head = wire_head("POST", httpx.URL(calls[4][1]), httpx.Headers({"Accept": "*/*"}))
    assert head == b"POST /x HTTP/1.1\r\nHost: elsewhere.invalid:8443\r\nAccept: */*\r\n"
    assert _origin == ("https", "elsewhere.invalid", 8443)


async def test_repeated_framing_headers_read_as_httpx_joins_them(serve: Callable[..., Any]) -> None:
    # Two Content-Encoding headers join to "gzip, gzip": a coding we did not ask for, refused both ways.
    packed = gzip.compress(b"hello")
    twice = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nContent-Encoding: gzip\r\nContent-Encoding: gzip\r\n\r\n%s" % (
        len(packed),
        packed,
    )
    server = await serve(lambda exchange: twice)
    for transport in (WireTransport(4), RequestsOnly()):
        async with service(server, transport) as client:
            with pytest.raises(RequestRejected, match="content-encoding 'gzip, gzip' was not asked for"):
                await client.request("GET", "/twice")
