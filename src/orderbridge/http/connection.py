"""One keep-alive HTTP/1.1 client connection: an asyncio Protocol whose responses httptools parses.

Split from `http_wire.py` (the pool and the transport) because this is the part that reads bytes: it
keeps what the parser hands it, stops reading from the socket while too much body is buffered, and
wakes the one task waiting on it. It turns every way a connection can end into the httpx exception
ServiceHTTP classifies, except one: ending before any byte of an answer is `NothingReceived`, because
on a reused connection that means the server closed it while idle, and the pool sends again.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import httptools
import httpx

_HIGH_WATER = 256 * 1024  # buffered body bytes at which we stop reading from the socket

Origin = tuple[str, str, int]


class NothingReceived(Exception):
    """The connection ended before the first byte of an answer."""


class Connection(asyncio.Protocol):
    """One socket, and the state of the one response being read on it (the parser calls the on_* methods)."""

    def __init__(self, origin: Origin, on_gone: Callable[[Connection], None]) -> None:
        self.origin, self._on_gone = origin, on_gone
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.gone = False  # the socket is closed or closing: never reuse it
        self._waiter: asyncio.Future[None] | None = None
        self._write_paused = False
        self._expecting = False
        self._reset()

    def _reset(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.status = 0
        self.reason = b""
        self.headers: list[tuple[bytes, bytes]] = []
        # The two headers ServiceHTTP reads from every answer, joined as httpx.Headers.get joins repeats.
        self.content_length: str | None = None
        self.content_encoding = ""
        self.headers_done = self.done = self.keep_alive = self.received = self._paused = False
        self.chunks: list[bytes] = []
        self.buffered = 0
        self.error: Exception | None = None
        self._framed = False  # Content-Length or chunked; else the body ends at EOF

    # ---------------------------------------------------------------- asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if not self._expecting or self.done:
            self.close()  # bytes nobody asked for: the connection's framing is lost
            return
        self.received = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(httpx.RemoteProtocolError(f"malformed response: {exc}"))
            return
        if self.buffered > _HIGH_WATER and self.transport is not None and not self._paused:
            self._paused = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self._ended(None)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._ended(exc)

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        self._wake()

    # ---------------------------------------------------------------- httptools callbacks
    def on_status(self, reason: bytes) -> None:
        self.reason += reason

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))
        lowered = name.lower()
        if lowered in (b"content-length", b"transfer-encoding"):
            self._framed = True
        if lowered == b"content-length":
            text = value.decode("latin-1")
            self.content_length = text if self.content_length is None else f"{self.content_length}, {text}"
        elif lowered == b"content-encoding":
            text = value.decode("latin-1")
            self.content_encoding = f"{self.content_encoding}, {text}" if self.content_encoding else text

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        self.keep_alive = self.parser.should_keep_alive()
        if self.status >= 200:
            self.headers_done = True

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)
        self.buffered += len(body)

    def on_message_complete(self) -> None:
        if self.status < 200:  # 1xx: an interim answer, the real one follows on the same parser
            self.headers, self.reason, self._framed = [], b"", False
            return
        self.done = True

    # ---------------------------------------------------------------- used by the transport
    def _ended(self, exc: Exception | None) -> None:
        self.gone = True
        if self._expecting and not self.done and self.error is None:
            if self.headers_done and not self._framed and exc is None:
                self.done, self.keep_alive = True, False  # a close-delimited body ends here
            elif not self.received:
                self.error = NothingReceived()
            elif exc is not None:
                self.error = httpx.ReadError(f"{type(exc).__name__}: {exc}")
            else:
                self.error = httpx.RemoteProtocolError("server closed the connection mid-response")
        self._on_gone(self)
        self._wake()

    def _fail(self, error: Exception) -> None:
        self.error = error
        self.close()
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _timed_out(self, error: type[httpx.TimeoutException]) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._fail(error("timed out"))

    async def wait(self, limit_s: float | None, error: type[httpx.TimeoutException]) -> None:
        """Until the next event on this connection, or `error` after `limit_s` seconds without one."""
        self._waiter = waiter = self.loop.create_future()
        timer = None if limit_s is None else self.loop.call_later(limit_s, self._timed_out, error)
        try:
            await waiter
        finally:
            self._waiter = None
            if timer is not None:
                timer.cancel()

    async def exchange(self, data: bytes, timeouts: dict[str, Any]) -> None:
        """Send one request and wait for the head of its answer."""
        if self.gone or self.transport is None:
            raise NothingReceived()
        self._expecting = True
        self.transport.write(data)
        while self._write_paused and self.error is None:
            await self.wait(timeouts.get("write"), httpx.WriteTimeout)
        while not self.headers_done and self.error is None:
            await self.wait(timeouts.get("read"), httpx.ReadTimeout)
        if self.error is not None:
            raise self.error

    async def body(self, read_timeout: float | None) -> AsyncIterator[bytes]:
        while True:
            if self.chunks:
                chunks, self.chunks, self.buffered = self.chunks, [], 0
                if self._paused and self.transport is not None:
                    self._paused = False
                    self.transport.resume_reading()
                yield chunks[0] if len(chunks) == 1 else b"".join(chunks)
            elif self.done:
                return
            elif self.error is not None:
                raise self.error
            else:
                await self.wait(read_timeout, httpx.ReadTimeout)

    def reusable(self) -> bool:
        return self.done and self.keep_alive and not self.gone and self.error is None

    def idle(self) -> None:
        if self._paused and self.transport is not None:  # a complete answer left partly unread
            self.transport.resume_reading()
        self._expecting = False
        self._reset()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
        self.gone = True
        self._on_gone(self)
