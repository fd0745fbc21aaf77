"""The production HTTP transport: keep-alive HTTP/1.1 on asyncio Protocols, responses parsed by httptools.

Why not httpx's own transport (httpcore + h11 + anyio): a sync cycle sends one TD SYNNEX PO Status
POST per PO, and at concurrency 64 httpcore's pool bookkeeping, anyio's stream wrappers and h11's pure-
Python parser cost more CPU per exchange than everything else we do with the answer. Measured with
`python -m tools.bench.http --requests 5000` (4 KB XML answer, 64 at a time, client CPU only):
ServiceHTTP as it was (httpx.AsyncClient over httpcore pools) 0.9-1.5 ms of CPU per request;
ServiceHTTP now (no AsyncClient) over httpcore pools 0.72 ms; over this transport 0.12 ms. httptools
(MagicStack's binding of llhttp, the parser uvicorn and Node use) parses in C; `http_connection.py` is
the Protocol that keeps what it is given and wakes one waiter.

What it does: a pool of idle connections per origin (scheme, host, port), at most `connections` open
in all and at most that many requests at once (one beyond waits, bounded by the pool timeout); TLS
through asyncio with one SSL context shared by every transport in the process (building one costs
20-40 ms of CPU); connect, read and write timeouts from the request's `timeout` extension; Content-
Length, chunked and close-delimited bodies; `Connection: close` and HTTP/1.0 honoured; the raw (still
compressed) body streamed, so http_body's cap and bounded decompression apply as the bytes arrive.
A reused idle connection that ends before any byte of the answer (the server closed it while it sat
idle) is retried once on a fresh connection, as every keep-alive client does; a fresh one that does
the same is the server's failure. Failures are raised as httpx's exceptions (ConnectError,
ConnectTimeout, PoolTimeout, ReadTimeout, WriteTimeout, ReadError, RemoteProtocolError) so ServiceHTTP
classifies them as it always has.

What it does not do, because we never need it: HTTP/2, proxies (ServiceHTTP never takes one from the
environment), Expect: 100-continue, pipelining, upgrades, client certificates, reusing a connection
after a HEAD (the parser cannot be told that a HEAD answer's Content-Length describes no bytes).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import certifi
import httpx

from orderbridge.http.connection import Connection, NothingReceived, Origin

_DEFAULT_PORTS = {"http": 80, "https": 443}
_SSL_CONTEXT: ssl.SSLContext | None = None


def shared_ssl_context() -> ssl.SSLContext:
    """The one client SSL context of the process (certifi's CAs, as httpx uses), built on first use."""
    global _SSL_CONTEXT
    if _SSL_CONTEXT is None:
        _SSL_CONTEXT = ssl.create_default_context(cafile=certifi.where())
    return _SSL_CONTEXT


def default_transport(connections: int) -> httpx.AsyncBaseTransport:
    """What ServiceHTTP sends through when no transport is given (and what the benchmark measures)."""
    return WireTransport(connections)


class WireBody(httpx.AsyncByteStream):
    """A response body; closing it hands the connection back to the pool (or closes it). ServiceHTTP
    reads its framing headers from here and closes it directly: httpx.Headers lookups and
    Response.aclose's context manager cost more than the read of a small answer."""

    def __init__(self, pool: WireTransport, conn: Connection, read_timeout: float | None, head: bool) -> None:
        self._pool, self._conn, self._read_timeout, self._head = pool, conn, read_timeout, head
        self._released = False
        self.content_length = conn.content_length
        self.content_encoding = conn.content_encoding

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._head:
            return
        async for chunk in self._conn.body(self._read_timeout):
            yield chunk

    async def aclose(self) -> None:
        if self._released:
            return
        self._released, conn = True, self._conn
        # A HEAD answer's Content-Length describes no bytes, which the parser cannot be told: not reused.
        if not self._head and conn.reusable():
            self._pool.put_idle(conn)
        else:
            conn.close()
        self._pool.slots.release()


class WireTransport(httpx.AsyncBaseTransport):
    """At most `connections` keep-alive connections, pooled per origin. `ssl_context` is for tests."""

    def __init__(self, connections: int, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.limit = max(1, connections)
        self.slots = asyncio.Semaphore(self.limit)
        self._ssl = ssl_context
        self._idle: dict[Origin, list[Connection]] = {}
        self._open: set[Connection] = set()
        self.connects = 0  # connections ever opened: what the keep-alive tests and the benchmark read

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        origin = _origin(url)
        timeouts: dict[str, Any] = request.extensions.get("timeout", {})
        return await self._send(origin, await _serialize(request), timeouts, head=request.method == "HEAD")

    async def send_wire(self, request: WireRequest) -> httpx.Response:
        """The same exchange for a request ServiceHTTP put together itself (no httpx.Request built)."""
        return await self._send(request.origin, request.data(), request.timeouts, head=request.method == "HEAD")

    async def _send(self, origin: Origin, data: bytes, timeouts: dict[str, Any], *, head: bool) -> httpx.Response:
        if self.slots.locked():
            try:
                async with asyncio.timeout(timeouts.get("pool")):
                    await self.slots.acquire()
            except TimeoutError:
                raise httpx.PoolTimeout("no connection free in time") from None
        else:
            await self.slots.acquire()
        conn: Connection | None = None
        try:
            conn = self._take_idle(origin)
            try:
                if conn is None:
                    raise NothingReceived()  # no idle connection: open one below
                await conn.exchange(data, timeouts)
            except NothingReceived:
                if conn is not None:
                    conn.close()
                conn = await self._connect(origin, timeouts)
                try:
                    await conn.exchange(data, timeouts)
                except NothingReceived:
                    raise httpx.RemoteProtocolError("server disconnected without sending a response") from None
        except BaseException:
            if conn is not None:
                conn.close()
            self.slots.release()
            raise
        return httpx.Response(
            status_code=conn.status,
            headers=conn.headers,
            stream=WireBody(self, conn, timeouts.get("read"), head),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": conn.reason},
        )

    def _take_idle(self, origin: Origin) -> Connection | None:
        idle = self._idle.get(origin)
        while idle:
            conn = idle.pop()
            if not conn.gone:
                return conn
        return None

    def put_idle(self, conn: Connection) -> None:
        conn.idle()
        self._idle.setdefault(conn.origin, []).append(conn)

    def forget(self, conn: Connection) -> None:
        self._open.discard(conn)

    async def _connect(self, origin: Origin, timeouts: dict[str, Any]) -> Connection:
        if len(self._open) >= self.limit:
            self._evict()
        scheme, host, port = origin
        context = (self._ssl or shared_ssl_context()) if scheme == "https" else None
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeouts.get("connect")):
                _, conn = await loop.create_connection(
                    lambda: Connection(origin, self.forget),
                    host,
                    port,
                    ssl=context,
                    server_hostname=host if context else None,
                )
        except TimeoutError:
            raise httpx.ConnectTimeout("connect timed out") from None
        except OSError as exc:  # refused, unreachable, DNS, TLS handshake (ssl.SSLError is an OSError)
            raise httpx.ConnectError(f"{type(exc).__name__}: {exc}") from None
        self.connects += 1
        self._open.add(conn)
        return conn

    def _evict(self) -> None:
        """Close the longest-idle connection of any origin, so the total stays within the limit."""
        for idle in self._idle.values():
            while idle:
                conn = idle.pop(0)
                if not conn.gone:
                    conn.close()
                    return

    async def aclose(self) -> None:
        for conn in list(self._open):
            conn.close()
        self._idle.clear()


def _origin(url: httpx.URL) -> Origin:
    scheme = url.scheme
    if scheme not in _DEFAULT_PORTS:
        raise httpx.UnsupportedProtocol(f"unsupported URL scheme {scheme!r}")
    return (scheme, url.host, url.port or _DEFAULT_PORTS[scheme])


@dataclass(frozen=True, slots=True)
class WireRequest:
    """A request as bytes, for `send_wire`: building an httpx.Request (URL copy, header merge, body
    stream) was a tenth of a sync cycle's CPU for the same few URLs and header sets every time. `head`
    comes from `wire_head`, kept per URL and header set; only the body and its length are per call."""

    method: str
    url: str
    origin: Origin
    head: bytes  # request line and headers, up to (not including) Content-Length and the blank line
    body: bytes | None
    timeouts: dict[str, Any]

    def data(self) -> bytes:
        if self.body is None:
            return self.head + b"\r\n"
        return b"%sContent-Length: %d\r\n\r\n%s" % (self.head, len(self.body), self.body)


def wire_head(method: str, url: httpx.URL, headers: httpx.Headers) -> tuple[Origin, bytes]:
    """Request line, Host (as httpx derives it) and `headers`, as `_serialize` would send them."""
    origin = _origin(url)
    parts = [method.encode("ascii"), b" ", url.raw_path, b" HTTP/1.1\r\n"]
    if "host" not in headers:
        parts += (b"Host: ", url.netloc, b"\r\n")
    for name, value in headers.raw:
        if name.lower() not in (b"content-length", b"transfer-encoding"):
            parts += (name, b": ", value, b"\r\n")
    return origin, b"".join(parts)


async def _serialize(request: httpx.Request) -> bytes:
    """The request as bytes on the wire: request line, headers as httpx built them (Host included), body."""
    parts = [request.method.encode("ascii"), b" ", request.url.raw_path, b" HTTP/1.1\r\n"]
    for name, value in request.headers.raw:
        parts += (name, b": ", value, b"\r\n")
    parts.append(b"\r\n")
    if isinstance(request.stream, httpx.ByteStream):
        parts.append(request.content)
    else:  # a streamed upload (we send none today): sent whole, framed as its headers say
        body = b"".join([chunk async for chunk in request.stream])  # type: ignore[union-attr]
        if request.headers.get("transfer-encoding", "").lower() == "chunked":
            body = (b"%x\r\n%s\r\n" % (len(body), body) if body else b"") + b"0\r\n\r\n"
        parts.append(body)
    return b"".join(parts)
