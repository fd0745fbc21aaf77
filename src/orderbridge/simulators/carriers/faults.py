"""Injected failures and rate limits for the carrier simulators.

A fault targets one provider (or all) and one endpoint ("token", "track", "webhooks"; or all), fires a
set number of times or forever, and turns the answer into what a real client meets: 429 (with a
Retry-After when asked: UPS sends none), a 5xx in the provider's envelope, a body cut short, an HTML
page with status 200, a slow answer, a timeout or a reset. Rate limits are sliding windows per
provider on an injectable monotonic clock (FedEx: 1,400 per 10 s per project, carriers.md §3.7).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal, get_args

import httpx
from starlette.responses import Response

from orderbridge.simulators.carriers.errors import Provider, server_error, too_many_requests

FaultKind = Literal["status_429", "status", "timeout", "reset", "malformed", "html", "slow"]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)
ENDPOINTS = ("token", "track", "webhooks")
_HTML = b"<html><head><title>503 Service Temporarily Unavailable</title></head><body><h1>503</h1></body></html>"


@dataclass
class Fault:
    kind: FaultKind
    provider: str | None = None  # None: every provider
    endpoint: str | None = None  # None: every endpoint
    times: int | None = None  # None: forever
    status: int = 500  # for `status`
    retry_after: int | None = None  # for `status_429`; None: no Retry-After header
    seconds: float = 0.0  # for `slow`

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class FaultBook:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        if fault.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r}; choose one of {', '.join(FAULT_KINDS)}")
        if fault.endpoint is not None and fault.endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {fault.endpoint!r}; choose one of {', '.join(ENDPOINTS)}")
        if fault.times is not None and fault.times < 1:
            raise ValueError("times must be at least 1 (omit it for a fault that never wears off)")
        if not 100 <= fault.status <= 599 or (fault.retry_after is not None and fault.retry_after < 0):
            raise ValueError("status must be an HTTP status and retry_after not negative")
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, provider: str, endpoint: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.provider in (None, provider) and fault.endpoint in (None, endpoint):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times == 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def active(self) -> list[Fault]:
        with self._lock:
            return [Fault(**asdict(f)) for f in self._faults]

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()


def faulty_response(fault: Fault, provider: Provider) -> Response | None:
    """The failure `fault` makes of an answer, or None for `slow` (the caller waits, then answers).
    `timeout` and `reset` raise the transport error an in-process client meets; over a socket they
    surface as a dropped 500, since an ASGI app cannot stall or reset its own socket."""
    if fault.kind == "timeout":
        raise httpx.ReadTimeout(f"simulated read timeout from the {provider} simulator")
    if fault.kind == "reset":
        raise httpx.RemoteProtocolError(f"simulated connection reset by the {provider} simulator")
    if fault.kind == "status_429":
        return too_many_requests(provider, fault.retry_after).response()
    if fault.kind == "status":
        return server_error(provider, fault.status).response()
    if fault.kind == "malformed":
        return Response(b'{"trackResponse": {"shipment": [{"inq', media_type="application/json")
    if fault.kind == "html":
        return Response(_HTML, status_code=200, media_type="text/html")
    return None


class RateWindows:
    """At most `limit` requests per `window_s` seconds per provider; beyond that 429 until the window ends."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.monotonic = monotonic
        self.limits: dict[str, tuple[int, float]] = {"fedex": (1400, 10.0)}
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def over(self, provider: str) -> float | None:
        """Seconds until a request would be allowed, or None when this one may go (and is counted)."""
        limit = self.limits.get(provider)
        if limit is None:
            return None
        count, window = limit
        now = self.monotonic()
        with self._lock:
            seen = self._seen.setdefault(provider, deque())
            while seen and seen[0] <= now - window:
                seen.popleft()
            if len(seen) >= count:
                return max(0.0, seen[0] + window - now)
            seen.append(now)
            return None

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()
