"""The production HTTP transport: aiohttp's client, behind httpx's transport interface.

Why aiohttp (>=3.14): a sync cycle sends one TD SYNNEX PO Status POST per PO, so the client CPU of an
exchange matters. aiohttp parses answers in C (llhttp), keeps a keep-alive pool with idle expiry,
and does TLS, http:// proxies with CONNECT and header validation, all maintained upstream in one of
the most used Python HTTP clients. Measured (`python -m tools.bench.http`, docs/performance.md) at
well under the CPU of httpx's own transport, whose httpcore pool is quadratic in its size. Why not
the `httpx-aiohttp` package: it maps every aiohttp connection error, a server hanging up after reading
the request included, to ConnectTimeout, which our policy reads as "never sent", so a POST would be
sent twice; and it leaves aiohttp's own silent resend of GET/PUT/DELETE on.

This module only converts, and configures aiohttp: an httpx.Request becomes aiohttp's call (framing,
Host, TLS, proxies, pooling and keep-alive expiry are aiohttp's), the answer becomes an httpx.Response
whose stream is the raw, still-compressed body (so `body.py`'s cap and bounded decompression apply),
and aiohttp's exceptions become httpx's. What it adds:
- no automatic resend: aiohttp's private `_retry_connection` is off (as aiohttp's own test client does),
  and no failure after the request may have left is mapped to ConnectError, ConnectTimeout or
  ProxyError, the "never sent" classes the policy repeats even for a POST;
- header names and values with a control character (CR, LF, ...) are refused as
  httpx.LocalProtocolError before a connection is taken (aiohttp's serializer refuses them too, later);
- the proxy is chosen per origin once (`proxies.py`); the SSL context is the process's one (`tls.py`).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import httpx
from aiohttp import client_exceptions as failures
from yarl import URL

from orderbridge.http.proxies import ProxyChoice
from orderbridge.http.tls import ssl_context

_NOT_FORWARDED = frozenset({b"host", b"content-length", b"transfer-encoding"})  # aiohttp frames the request
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # aiohttp's own rule: any control character but TAB
_HEADER_SETS_KEPT = 256


def transport_error(exc: BaseException) -> httpx.TransportError:
    """httpx's exception for an aiohttp failure. aiohttp raises connector errors (and the connect
    timeout, which also covers waiting for a free connection) only before a byte of the request is
    written, so only those become the "never sent" classes; everything else may have reached the server."""
    if isinstance(exc, failures.ConnectionTimeoutError):
        return httpx.ConnectTimeout(str(exc) or "connect timed out")
    if isinstance(exc, failures.ServerTimeoutError):  # a read (or a write) took longer than sock_read
        return httpx.ReadTimeout(str(exc) or "read timed out")
    if isinstance(exc, failures.ClientHttpProxyError):  # the proxy refused the CONNECT tunnel
        return httpx.ProxyError(f"the proxy answered the CONNECT with HTTP {exc.status}")
    if isinstance(exc, failures.ClientProxyConnectionError):
        return httpx.ProxyError("could not connect to the proxy")
    if isinstance(exc, failures.ClientConnectorError):  # DNS, refused, unreachable, TLS handshake and trust
        return httpx.ConnectError(str(exc))
    if isinstance(exc, failures.InvalidURL | failures.NonHttpUrlClientError):
        return httpx.UnsupportedProtocol(str(exc))
    if isinstance(exc, failures.ServerDisconnectedError | failures.ClientPayloadError | failures.ClientResponseError):
        return httpx.RemoteProtocolError(str(exc) or "server disconnected")
    return httpx.ReadError(f"{type(exc).__name__}: {exc}")  # reset, broken pipe: after sending began


class RawBody(httpx.AsyncByteStream):
    """An answer's body as it came off the wire. Closing it hands the connection back to the pool when
    the body was read to its end, and closes it otherwise. ServiceHTTP reads the two framing headers here
    (aiohttp's parsed headers), which costs less than building and searching an httpx.Headers."""

    __slots__ = ("_response",)

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    @property
    def content_length(self) -> str | None:
        return self._response.headers.get("Content-Length")

    @property
    def content_encoding(self) -> str:
        return ", ".join(self._response.headers.getall("Content-Encoding", ()))  # joined as httpx joins repeats

    async def __aiter__(self) -> AsyncIterator[bytes]:
        content = self._response.content
        try:
            while chunk := await content.readany():
                yield chunk
        except (aiohttp.ClientError, OSError) as exc:
            raise transport_error(exc) from exc

    async def aclose(self) -> None:
        self._response.release()


class AiohttpTransport(httpx.AsyncBaseTransport):
    """At most `connections` connections in all, idle ones closed after `keepalive_expiry_s`; proxies as
    `proxies` says, TLS through `ssl_context(ca_bundle)`. The aiohttp session is made on first use,
    because it belongs to the event loop running then."""

    def __init__(
        self,
        *,
        connections: int,
        keepalive_expiry_s: float = 15.0,
        proxies: ProxyChoice | None = None,
        ca_bundle: str | None = None,
    ) -> None:
        self._connections = max(1, connections)
        self._keepalive_expiry_s = keepalive_expiry_s
        self._proxies = proxies if proxies is not None else ProxyChoice()
        self._ca_bundle = ca_bundle
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[tuple[Any, Any, Any], aiohttp.ClientTimeout] = {}
        self._proxy_urls: dict[tuple[str, str, int | None], URL | None] = {}
        self._header_lists: dict[tuple[tuple[bytes, bytes], ...], list[tuple[str, str]]] = {}
        self._origin_proxies: dict[str, URL | None] = {}

    def _open(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self._connections,
            limit_per_host=0,
            keepalive_timeout=self._keepalive_expiry_s,
            ssl=ssl_context(self._ca_bundle),
        )
        session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),  # ServiceHTTP keeps no cookies between calls
            auto_decompress=False,
            trust_env=False,  # proxies.py reads the environment once; no .netrc credentials
        )
        # aiohttp sends GET/PUT/DELETE/... once more, silently, when a connection drops mid-exchange; the
        # policy decides what is repeated (a PUT may be marked not idempotent), so that is switched off.
        session._retry_connection = False
        self._session = session
        return session

    def _timeout(self, timeouts: dict[str, Any]) -> aiohttp.ClientTimeout:
        key = (timeouts.get("connect"), timeouts.get("read"), timeouts.get("pool"))
        made = self._timeouts.get(key)
        if made is None:
            connect, read, pool = key
            # aiohttp's `connect` covers waiting for a pool slot plus connecting, `sock_connect` the
            # connect (TLS and CONNECT included) alone, `sock_read` each read. It has no write timeout:
            # ServiceHTTP bounds the whole exchange, which covers a stalled write too.
            whole = None if connect is None or pool is None else connect + pool
            made = aiohttp.ClientTimeout(total=None, connect=whole, sock_connect=connect, sock_read=read)
            self._timeouts[key] = made
        return made

    def _proxy(self, url: httpx.URL) -> URL | None:
        key = (url.scheme, url.host, url.port)
        if key not in self._proxy_urls:
            chosen = self._proxies.for_origin(url.scheme, url.host, url.port)
            self._proxy_urls[key] = URL(chosen) if chosen else None
        return self._proxy_urls[key]

    def _headers(self, given: httpx.Headers) -> list[tuple[str, str]]:
        """The headers to hand aiohttp, checked: kept per header set, because a cycle sends the same few."""
        raw = tuple(given.raw)
        headers = self._header_lists.get(raw)
        if headers is None:
            encoding = given.encoding
            headers = [
                (name.decode(encoding), value.decode(encoding))
                for name, value in raw
                if name.lower() not in _NOT_FORWARDED
            ]
            checked_headers(headers)
            if len(self._header_lists) >= _HEADER_SETS_KEPT:
                self._header_lists.clear()
            self._header_lists[raw] = headers
        return headers

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        headers = self._headers(request.headers)
        stream = request.stream
        data: Any = (request.content or None) if isinstance(stream, httpx.ByteStream) else stream
        url = request.url
        response = await self._send(
            request.method, str(url), headers, data, request.extensions.get("timeout", {}), self._proxy(url)
        )
        return httpx.Response(
            status_code=response.status,
            headers=response.raw_headers,
            stream=RawBody(response),
            extensions={"http_version": b"HTTP/1.1"},
        )

    async def send(
        self, method: str, url: str, headers: list[tuple[str, str]], body: bytes | None, timeouts: dict[str, Any]
    ) -> aiohttp.ClientResponse:
        """The same exchange for a call ServiceHTTP put together itself: an absolute `url` without a query
        to encode, `headers` already checked by `checked_headers`. No httpx.Request or httpx.Response is
        built: for the one POST per PO of a cycle those cost as much CPU as aiohttp's own work."""
        return await self._send(method, url, headers, body, timeouts, self._proxy_of(url))

    def _proxy_of(self, url: str) -> URL | None:
        """The proxy for an absolute URL, kept per origin: parsing the whole URL (an httpx.URL) for each
        call cost as much CPU as a quiet PO check's own work (docs/performance.md, N=10,000)."""
        end = url.find("/", url.find("//") + 2)
        origin = url if end < 0 else url[:end]
        if origin not in self._origin_proxies:
            self._origin_proxies[origin] = self._proxy(httpx.URL(origin))
        return self._origin_proxies[origin]

    async def _send(
        self,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        data: Any,
        timeouts: dict[str, Any],
        proxy: URL | None,
    ) -> aiohttp.ClientResponse:
        session = self._session or self._open()
        try:
            return await session.request(
                method,
                url,
                headers=headers,
                data=data,
                allow_redirects=False,
                timeout=self._timeout(timeouts),
                proxy=proxy,
            )
        except (aiohttp.ClientError, OSError) as exc:
            raise transport_error(exc) from exc
        except ValueError as exc:  # aiohttp's own refusal of a header it will not write
            raise httpx.LocalProtocolError(str(exc)) from exc

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def checked_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """`headers` as given, or httpx.LocalProtocolError when one holds a control character (CR, LF, ...)."""
    if _CONTROL.search("".join([name + value for name, value in headers])):
        raise httpx.LocalProtocolError(_control_message(headers))
    return headers


def _control_message(headers: list[tuple[str, str]]) -> str:
    # The header is named, its value never shown: it may be a credential.
    name = next((name for name, value in headers if _CONTROL.search(name + value)), "?")
    return f"request header {name!r} holds a control character (CR, LF or another); refused, nothing was sent"


def production_transport(
    *, connections: int, keepalive_expiry_s: float = 15.0, proxy: str | None = None, ca_bundle: str | None = None
) -> AiohttpTransport:
    """What ServiceHTTP sends through when no transport is given, and what the doctor probes with."""
    return AiohttpTransport(
        connections=connections,
        keepalive_expiry_s=keepalive_expiry_s,
        proxies=ProxyChoice.from_environment(proxy),
        ca_bundle=ca_bundle,
    )


__all__ = ["AiohttpTransport", "RawBody", "checked_headers", "production_transport", "transport_error"]
