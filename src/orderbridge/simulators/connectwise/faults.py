"""Injected faults and the optional rate limit: the bad days of a real ConnectWise, on demand.

A fault matches by method and a path regex and answers instead of the API for its next `times` calls.
Kinds: `status` (an error status and body, 429 with the DG body and Retry-After; `headers` adds e.g. a
redirect's Location), `malformed` (200 with a body that is not JSON), `reset` and `timeout` (raised as
httpx transport errors so an in-process `ASGITransport` client sees what a socket client would; over
uvicorn they surface as a dropped 500; `after=true` processes the request first, so the write happens
and its reply is lost), `truncated` (processed, then the body is cut short of its Content-Length).
A random profile (`fault_spec`) adds background noise behind the targeted faults.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from orderbridge.simulators.fault_spec import FaultDice, Roll

FAULT_KINDS = ("status", "malformed", "reset", "timeout", "truncated")
Sleep = Callable[[float], Awaitable[None]]
_CUT_JSON = '{"id": 1001, "poNumber": "'  # what a proxy that drops the connection mid-body leaves


@dataclass(slots=True)
class Fault:
    path_regex: str = ""
    method: str | None = None  # None or "*" = any method
    status: int = 500
    body: Any = None
    times: int | None = 1  # None = until cleared
    retry_after: int | None = None
    kind: str = "status"
    raw_body: str | None = None  # for kind="malformed"
    delay_seconds: float = 0.0  # before answering, through FaultSet.sleep
    headers: dict[str, str] | None = None  # extra response headers (kind="status")
    after: bool = False  # reset/timeout after the request was processed
    hits: int = 0
    _pattern: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {', '.join(FAULT_KINDS)}, not {self.kind!r}")
        if self.times is not None and self.times < 1:
            raise ValueError("fault times must be at least 1 (or null for 'until cleared')")
        self._pattern = re.compile(self.path_regex, re.IGNORECASE)
        if self.method == "*":
            self.method = None

    @property
    def answers_instead(self) -> bool:
        """Whether the API is skipped; otherwise the request is processed and its reply spoiled."""
        return self.kind in ("status", "malformed") or (self.kind in ("reset", "timeout") and not self.after)

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method) and bool(self._pattern.search(path))

    def response_body(self) -> Any:
        if self.body is not None:
            return self.body
        if self.status == 429:
            seconds = self.retry_after if self.retry_after is not None else 30
            return {"error": "ConnectWiseAPI", "message": f"Too many requests. Please try again in {seconds} seconds."}
        if self.status >= 500:
            return {"code": "ConnectWiseApi", "message": "An error has occurred."}
        return {"code": "ConnectWiseApi", "message": f"Injected fault (HTTP {self.status})."}

    def response_headers(self) -> dict[str, str]:
        extra = dict(self.headers or {})
        if self.retry_after is not None:
            return {**extra, "Retry-After": str(self.retry_after)}
        if self.status == 429:
            return {**extra, "Retry-After": "30"}
        return extra

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method or "*",
            "path_regex": self.path_regex,
            "status": self.status,
            "body": self.body,
            "times": self.times,
            "retry_after": self.retry_after,
            "kind": self.kind,
            "delay_seconds": self.delay_seconds,
            "headers": self.headers,
            "after": self.after,
            "hits": self.hits,
        }


class FaultSet:
    """Faults in the order they were added; the first that matches answers."""

    def __init__(self, sleep: Sleep = asyncio.sleep) -> None:
        self._faults: list[Fault] = []
        self.random: FaultDice | None = None
        # Injectable so in-process tests run latency faults without waiting; the benchmark keeps real sleeps.
        self.sleep = sleep

    def add(self, path_regex: str = "", **options: Any) -> Fault:
        fault = Fault(path_regex=path_regex, **options)
        self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Drop every fault, the random profile too."""
        self._faults.clear()
        self.random = None

    def __len__(self) -> int:
        return len(self._faults)

    def list(self) -> list[Fault]:
        return list(self._faults)

    def take(self, method: str, path: str) -> Fault | None:
        """The fault answering this request, if any; spends one of its `times`."""
        for fault in self._faults:
            if fault.matches(method, path):
                fault.hits += 1
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                return fault
        return None

    def draw(self, method: str, path: str, now: datetime) -> tuple[Fault | None, float]:
        """The fault for this request (targeted first, then the random profile) and the delay before it."""
        fault = self.take(method, path)
        if fault is not None or self.random is None:
            return fault, fault.delay_seconds if fault else 0.0
        roll = self.random.roll(now)
        return _from_roll(roll), roll.delay_s


def _from_roll(roll: Roll) -> Fault | None:
    if roll.kind is None:
        return None
    if roll.kind == "5xx":
        return Fault(kind="status", status=roll.status)
    if roll.kind == "429":
        return Fault(kind="status", status=429, retry_after=roll.retry_after_s)
    if roll.kind in ("timeout", "reset"):
        return Fault(kind=roll.kind, after=roll.after)
    if roll.kind == "truncated":
        return Fault(kind="truncated")
    return Fault(kind="malformed", raw_body=_CUT_JSON if roll.kind == "malformed" else None)


class RateLimit:
    """A sliding one-minute window on the simulator's clock; None = unlimited (the default).

    The real limit is dynamic and undocumented beyond "over 1,000 requests per minute will likely be limited"
    (reference §6.4), so the number is a knob, not a fact.
    """

    def __init__(self, per_minute: int | None = None) -> None:
        self.per_minute = per_minute
        self._seen: deque[datetime] = deque()

    def reset(self) -> None:
        self._seen.clear()

    def check(self, now: datetime) -> int | None:
        """Seconds to wait if this request is over the limit, else None (and the request is counted)."""
        if self.per_minute is None:
            return None
        window_start = now - timedelta(minutes=1)
        while self._seen and self._seen[0] <= window_start:
            self._seen.popleft()
        if len(self._seen) >= self.per_minute:
            wait = (self._seen[0] + timedelta(minutes=1) - now).total_seconds()
            return max(1, int(wait + 0.999))
        self._seen.append(now)
        return None
