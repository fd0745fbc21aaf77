"""Injected failures for the TD SYNNEX simulator: what can go wrong between a client and the service.

Faults are keyed by PO number (or every PO), fire a set number of times or forever, and turn a normal
answer into the failure a real client meets: truncated XML, an HTML page with status 200, an error
inside HTTP 200, an unknown line code, 500, 429 with Retry-After, or a slow answer.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal, get_args

from starlette.responses import Response

from orderbridge.simulators.tdsynnex.render import render_biz_error, render_error

FaultKind = Literal[
    "malformed", "html", "error_detail", "biz_error", "unknown_code", "status_500", "status_429", "slow"
]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)
XML_CONTENT_TYPE = "text/xml;charset=UTF-8"  # what a Java servlet sends; the real header is UNCONFIRMED
UNKNOWN_LINE_CODE = "onhold"

_HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body>"
    b"<h1>We are performing scheduled maintenance</h1><p>Please try again later.</p></body></html>"
)
_HTML_500 = (
    b"<html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1></body></html>"
)


@dataclass
class Fault:
    kind: FaultKind
    po_number: str | None = None  # None: every PO
    times: int | None = None  # None: forever
    seconds: float = 0.0  # for `slow`
    message: str | None = None  # for `error_detail` and `biz_error`
    detail: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class FaultBook:
    """The faults in force. Thread-safe: `orderbridge sim` may serve requests from several threads."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(
        self,
        kind: FaultKind,
        *,
        po_number: str | None = None,
        times: int | None = None,
        seconds: float = 0.0,
        message: str | None = None,
        detail: str | None = None,
    ) -> Fault:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; choose one of {', '.join(FAULT_KINDS)}")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (omit it for a fault that never wears off)")
        if seconds < 0:
            raise ValueError("seconds cannot be negative")
        fault = Fault(kind, po_number, times, seconds, message, detail)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, po_number: str | None) -> Fault | None:
        """The oldest fault that applies to this PO, counting one use of it."""
        with self._lock:
            for fault in self._faults:
                if fault.po_number is None or fault.po_number == po_number:
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times == 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def active(self) -> list[Fault]:
        with self._lock:
            return [Fault(**asdict(f)) for f in self._faults]


Sleep = Callable[[float], Awaitable[None]]


class Latency:
    """The one place where the simulator waits. Today only the `slow` fault waits; the seam is here so
    per-request simulated latency (for the benchmark) can be added without touching the routes."""

    def __init__(self, sleep: Sleep = asyncio.sleep) -> None:
        self._sleep = sleep

    async def before_answer(self, fault: Fault | None) -> None:
        if fault is not None and fault.kind == "slow" and fault.seconds > 0:
            await self._sleep(fault.seconds)


def xml_response(body: bytes) -> Response:
    return Response(body, status_code=200, media_type=None, headers={"Content-Type": XML_CONTENT_TYPE})


def faulty_response(fault: Fault, normal: bytes) -> Response | None:
    """The failure `fault` makes of the normal answer, or None when the fault leaves the answer alone."""
    if fault.kind == "malformed":
        # Cut inside an element, as a dropped connection mid-body would.
        return xml_response(normal[: max(1, len(normal) * 3 // 5)])
    if fault.kind == "html":
        return Response(_HTML_PAGE, status_code=200, headers={"Content-Type": "text/html; charset=UTF-8"})
    if fault.kind == "error_detail":
        # Appendix D of the PO spec names Server.DatabaseIssue among the service faults; the detail text is ours.
        return xml_response(
            render_error(fault.message or "Server.DatabaseIssue", fault.detail or "Database issue, please retry later")
        )
    if fault.kind == "biz_error":
        return xml_response(render_biz_error(fault.detail or fault.message or "Internal API Fault"))
    if fault.kind == "status_500":
        return Response(_HTML_500, status_code=500, headers={"Content-Type": "text/html; charset=UTF-8"})
    if fault.kind == "status_429":
        return Response(
            b"Too Many Requests", status_code=429, headers={"Retry-After": "1", "Content-Type": "text/plain"}
        )
    return None
