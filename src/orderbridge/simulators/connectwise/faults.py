"""Injected faults and the optional rate limit: the bad days of a real ConnectWise, on demand.

A fault matches by method and a path regex and answers instead of the API for its next `times` calls.
Kinds: `status` (an error status and body, 429 with the DG body and Retry-After), `malformed` (200 with a
body that is not JSON), `reset` and `timeout` (raised as httpx transport errors so an in-process
`ASGITransport` client sees what a socket client would; over uvicorn they surface as a dropped 500).
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

FAULT_KINDS = ("status", "malformed", "reset", "timeout")


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
    delay_seconds: float = 0.0  # real time, before answering
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
        if self.retry_after is not None:
            return {"Retry-After": str(self.retry_after)}
        if self.status == 429:
            return {"Retry-After": "30"}
        return {}

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
            "hits": self.hits,
        }


class FaultSet:
    """Faults in the order they were added; the first that matches answers."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, path_regex: str = "", **options: Any) -> Fault:
        fault = Fault(path_regex=path_regex, **options)
        self._faults.append(fault)
        return fault

    def clear(self) -> None:
        self._faults.clear()

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
