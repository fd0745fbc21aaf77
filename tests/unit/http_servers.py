"""Loopback servers for the HTTP transport tests: a raw HTTP/1.1 server that writes exactly the bytes a test
gives it (so each framing is what the test says, nothing a framework adds), a CONNECT proxy, and a private
CA (trustme) for HTTPS.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import trustme


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

    @property
    def method(self) -> str:
        return self.head.split(b" ", 1)[0].decode()


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
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        connection, nth = self.connections, 0
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ssl.SSLError):
                    return
                nth += 1
                lines = head.lower().split(b"\r\n")
                length = next((int(line.split(b":")[1]) for line in lines if line.startswith(b"content-length:")), 0)
                exchange = Exchange(connection, nth, head, await reader.readexactly(length))
                self.requests.append(exchange)
                self.in_flight += 1
                self.peak = max(self.peak, self.in_flight)
                if self.hold is not None:
                    await self.hold.wait()
                reply = self.behave(exchange)
                self.in_flight -= 1
                if reply is None:  # closed (FIN) without a byte of an answer
                    return
                writer.write(reply)
                await writer.drain()
                if self.close_after or reply.startswith(b"HTTP/1.0") or b"connection: close" in reply.lower():
                    return
        except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()


async def start(
    behave: Behaviour, *, ssl_context: ssl.SSLContext | None = None, **options: object
) -> tuple[Server, asyncio.Server]:
    state = Server(behave, **options)  # type: ignore[arg-type]
    server = await asyncio.start_server(state.handle, "127.0.0.1", 0, ssl=ssl_context)
    state.port = server.sockets[0].getsockname()[1]
    state.url = f"{'https' if ssl_context else 'http'}://127.0.0.1:{state.port}"
    return state, server


@dataclass
class PrivateCA:
    """A CA nobody trusts but the tests, and a server certificate from it for origin.test and 127.0.0.1."""

    ca: trustme.CA
    bundle: Path  # the CA certificate as a PEM file, for [http] ca_bundle

    @classmethod
    def make(cls, directory: Path) -> PrivateCA:
        ca = trustme.CA()
        bundle = directory / "private-ca.pem"
        ca.cert_pem.write_to_path(str(bundle))
        return cls(ca, bundle)

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert("origin.test", "127.0.0.1", "localhost").configure_cert(context)
        return context


@dataclass
class ConnectProxy:
    """A forward proxy on loopback that only tunnels (CONNECT). Every host name it is asked for is taken to
    be 127.0.0.1, so a name that resolves nowhere else (origin.test) proves a call went through it. It
    records each request head; `refuse` answers every CONNECT with that status instead."""

    refuse: str | None = None
    heads: list[bytes] = field(default_factory=list)
    tunnels: int = 0
    url: str = ""
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> ConnectProxy:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def close(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()

    @property
    def lines(self) -> list[str]:
        return [head.split(b"\r\n", 1)[0].decode() for head in self.heads]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
            return
        self.heads.append(head)
        method, target, _ = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
        if method != "CONNECT" or self.refuse is not None:
            writer.write(f"HTTP/1.1 {self.refuse or '405 Method Not Allowed'}\r\nContent-Length: 0\r\n\r\n".encode())
            await writer.drain()
            writer.close()
            return
        port = int(target.rsplit(":", 1)[1])
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            writer.close()
            return
        self.tunnels += 1
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        for pair in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(_pipe(*pair))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()
