"""What one service's HTTP policy is, what a call returns and counts, and how failures are named.

The plain data and pure helpers of `client.py`, kept apart so the client there reads as the exchange
and its retry loop alone. `orderbridge.http` re-exports the public names, which is where callers import
them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from orderbridge.config import HttpSettings
from orderbridge.http.body import BodyTruncated

REQUEST_ID_HEADERS = ("x-cw-request-id", "x-request-id", "x-correlation-id")


@dataclass(frozen=True)
class ServicePolicy:
    service: str
    timeout_s: float = 30.0
    connect_timeout_s: float = 10.0
    max_attempts: int = 4
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 30.0
    max_retry_after_s: float = 120.0
    max_response_bytes: int = 10 * 1024 * 1024
    concurrency: int = 8
    requests_per_minute: int = 600
    # How the production transport reaches the service (ignored when a transport is passed in).
    keepalive_expiry_s: float = 15.0
    proxy: str | None = field(default=None, repr=False)  # may hold a password
    ca_bundle: str | None = None

    @classmethod
    def from_settings(
        cls, service: str, http: HttpSettings, *, concurrency: int, requests_per_minute: int
    ) -> ServicePolicy:
        return cls(
            service=service,
            timeout_s=http.timeout_s,
            connect_timeout_s=http.connect_timeout_s,
            max_attempts=http.max_attempts,
            backoff_base_s=http.backoff_base_s,
            backoff_cap_s=http.backoff_cap_s,
            max_retry_after_s=http.max_retry_after_s,
            max_response_bytes=http.max_response_bytes,
            concurrency=concurrency,
            requests_per_minute=requests_per_minute,
            keepalive_expiry_s=http.keepalive_expiry_s,
            proxy=http.proxy.get_secret_value() if http.proxy is not None else None,
            ca_bundle=http.ca_bundle,
        )


@dataclass(frozen=True)
class Reply:
    """A fully read, size-capped response. `content` is already decompressed."""

    status: int
    # Case-insensitive: httpx.Headers, or aiohttp's CIMultiDictProxy on the production transport's
    # direct path (client.py), which needs no copy.
    headers: Mapping[str, str]
    content: bytes
    url: str
    elapsed_s: float

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    @property
    def request_id(self) -> str | None:
        for name in REQUEST_ID_HEADERS:
            if name in self.headers:
                return self.headers[name]
        return None

    def json(self) -> Any:
        return json.loads(self.content)


@dataclass
class CallStats:
    """Counts for the summary, metrics and fault reports: calls by (method, status or failure), retries
    by reason, and calls given up on."""

    calls: Counter[tuple[str, int | str]] = field(default_factory=Counter)
    retries: int = 0
    retried: Counter[str] = field(default_factory=Counter)
    gave_up: int = 0
    waited_s: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.calls.values())


def failure_reason(exc: Exception) -> str | None:
    """Which transport failure this is, or None if it is not one worth retrying."""
    if isinstance(exc, httpx.ConnectTimeout):
        return "connect-timeout"
    if isinstance(exc, httpx.PoolTimeout):
        return "pool-timeout"
    if isinstance(exc, httpx.ConnectError):
        return "connect"
    if isinstance(exc, httpx.ProxyError):  # the proxy, not the service, failed: nothing reached the service
        return "proxy"
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return "timeout"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.NetworkError):
        return "reset"
    if isinstance(exc, BodyTruncated):
        return "truncated"
    return None


def path_of(url: str) -> str:
    """Method and path only in messages: query strings can carry identifiers we do not log."""
    return httpx.URL(url).path if "://" in url else url.split("?", 1)[0]


def where_of(location: str) -> str:
    """A redirect target as origin + path: no userinfo, query or fragment reaches a message."""
    try:
        target = httpx.URL(location)
    except httpx.InvalidURL:
        return "an unreadable location"
    origin = f"{target.scheme}://{target.host}" if target.host else ""
    return repr(origin + target.path)
