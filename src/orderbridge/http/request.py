"""`RequestBuilder`: what httpx.AsyncClient merged into every request, worked out once per client.

ServiceHTTP sends straight through a transport (client.py says why), so the client's per-request work
happens here: the base URL, default headers (httpx's own, ours, then the Basic auth header), the
timeouts the transport reads, and any other auth flow's first step. A cycle sends the same few URLs and
header sets again and again, so parsed ones are kept (bounded; an httpx.URL and a copied httpx.Headers
are never changed by a request that uses them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from orderbridge.http.body import ACCEPT_ENCODING
from orderbridge.http.transport import checked_headers

_PARSED_KEPT = 256  # parsed URLs and header sets kept per client

K = TypeVar("K")
V = TypeVar("V")
HeaderKey = tuple[tuple[str, str], ...]
# What a call may carry and still go the direct way (no query to encode, a body already in bytes).
_DIRECT_KWARGS = frozenset({"headers", "content"})


@dataclass(frozen=True, slots=True)
class PlainCall:
    """A call in the form the production transport's `send` takes: nothing left for httpx to work out."""

    url: str
    headers: list[tuple[str, str]]
    body: bytes | None


class RequestBuilder:
    """Builds each attempt's request."""

    def __init__(
        self,
        *,
        base_url: str,
        headers: Mapping[str, str] | None,
        auth: httpx.Auth | tuple[str, str] | None,
        timeout: httpx.Timeout,
    ) -> None:
        self._base = str(httpx.URL(base_url)).rstrip("/") if base_url else ""
        defaults = {
            "Accept": "*/*",
            "Accept-Encoding": ACCEPT_ENCODING,
            "Connection": "keep-alive",
            "User-Agent": f"python-httpx/{httpx.__version__}",
            **dict(headers or {}),
        }
        self._auth: httpx.Auth | None = None
        if isinstance(auth, tuple):
            auth = httpx.BasicAuth(*auth)
        if isinstance(auth, httpx.BasicAuth):
            # Basic auth is one fixed header: take it from httpx's own flow once instead of per request.
            probe = next(auth.sync_auth_flow(httpx.Request("GET", "http://auth.invalid/")))
            defaults["Authorization"] = probe.headers["Authorization"]
        else:
            self._auth = auth
        self._headers = {name.lower(): (name, value) for name, value in defaults.items()}
        self.timeout = timeout.as_dict()
        self._urls: dict[str, httpx.URL] = {}
        self._header_sets: dict[HeaderKey, httpx.Headers] = {}
        self._header_lists: dict[HeaderKey, list[tuple[str, str]]] = {}

    def plain(self, url: str, kwargs: dict[str, Any]) -> PlainCall | None:
        """The call as a `PlainCall`, or None when it needs httpx's work: query parameters to encode, a
        JSON/form body, or an auth flow other than Basic. Header lists are checked once (control
        characters refused) and kept."""
        if self._auth is not None or not _DIRECT_KWARGS.issuperset(kwargs):
            return None
        content = kwargs.get("content")
        if content is not None and not isinstance(content, bytes):
            return None
        extra: Mapping[str, str] | None = kwargs.get("headers")
        key: HeaderKey = tuple(extra.items()) if extra else ()
        headers = self._header_lists.get(key)
        if headers is None:
            merged = self._headers | {name.lower(): (name, value) for name, value in key}
            headers = _kept(self._header_lists, key, checked_headers(list(merged.values())))
        return PlainCall(self.absolute(url), headers, content)

    def absolute(self, url: str) -> str:
        """`url` with the base URL in front when it is a path."""
        return self._base + "/" + url.lstrip("/") if self._base and "://" not in url else url

    async def build(self, method: str, url: str, kwargs: dict[str, Any]) -> httpx.Request:
        url = self.absolute(url)
        extra: Mapping[str, str] | None = kwargs.get("headers")
        key: HeaderKey = tuple(extra.items()) if extra else ()
        rest = {name: value for name, value in kwargs.items() if name != "headers"}
        # httpx.Request copies a Headers it is given, so the kept one is never changed.
        request = httpx.Request(
            method, self._url(url), headers=self._header_set(key), extensions={"timeout": self.timeout}, **rest
        )
        if self._auth is not None:  # an Auth other than Basic: its first step (no challenge round trips)
            request = await self._auth.async_auth_flow(request).__anext__()
        return request

    def _url(self, url: str) -> httpx.URL:
        parsed = self._urls.get(url)
        return parsed if parsed is not None else _kept(self._urls, url, httpx.URL(url))

    def _header_set(self, key: HeaderKey) -> httpx.Headers:
        headers = self._header_sets.get(key)
        if headers is None:
            merged = self._headers | {name.lower(): (name, value) for name, value in key}
            headers = _kept(self._header_sets, key, httpx.Headers(list(merged.values())))
        return headers


def _kept(cache: dict[K, V], key: K, value: V) -> V:
    if len(cache) >= _PARSED_KEPT:
        cache.clear()
    cache[key] = value
    return value


__all__ = ["PlainCall", "RequestBuilder"]
