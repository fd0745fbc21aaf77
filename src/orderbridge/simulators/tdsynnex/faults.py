"""Injected failures for the TD SYNNEX simulator: what can go wrong between a client and the service.

Faults are keyed by PO number (or every PO) and optionally by channel (PO Status, invoices, Partner
API), fire a set number of times or forever, and turn a normal answer into the failure a real client
meets: truncated XML, an HTML page with status 200, an error inside HTTP 200, an unknown line code,
500 (or any status), 429 with Retry-After, a slow answer, a body cut short of its Content-Length, a
timeout or a reset; or into a scripted answer (`answer`: a given body verbatim, e.g. a golden payload).
A random profile (`fault_spec`) adds background noise behind the targeted faults; `draw` consults
both, targeted first.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal, get_args

import httpx
from starlette.responses import Response

from orderbridge.simulators.fault_spec import FaultDice, Roll
from orderbridge.simulators.tdsynnex.render import render_biz_error, render_error

FaultKind = Literal[
    "malformed",
    "html",
    "error_detail",
    "biz_error",
    "unknown_code",
    "status_500",
    "status_429",
    "slow",
    "status",
    "truncated",
    "timeout",
    "reset",
    "answer",
]
Channel = Literal["status", "invoice", "partner"]
CHANNELS: tuple[str, ...] = get_args(Channel)
ALL_FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)
# The kinds that shape an answer from the service itself; the rest break the exchange under it.
TRANSPORT_KINDS: tuple[str, ...] = ("status", "truncated", "timeout", "reset")
FAULT_KINDS: tuple[str, ...] = tuple(kind for kind in ALL_FAULT_KINDS if kind not in TRANSPORT_KINDS)
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
    status: int = 500  # for `status`
    retry_after: int = 1  # for `status_429`
    body: str | None = None  # for `answer`: the HTTP 200 body, verbatim
    channel: Channel | None = None  # None: every channel that looks the PO up

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class FaultBook:
    """The faults in force. Thread-safe: `orderbridge sim` may serve requests from several threads."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self.random: FaultDice | None = None

    def add(
        self,
        kind: FaultKind,
        *,
        po_number: str | None = None,
        times: int | None = None,
        seconds: float = 0.0,
        message: str | None = None,
        detail: str | None = None,
        status: int = 500,
        retry_after: int = 1,
        body: str | None = None,
        channel: Channel | None = None,
    ) -> Fault:
        if kind not in ALL_FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; choose one of {', '.join(ALL_FAULT_KINDS)}")
        if (kind == "answer") != bool(body):
            raise ValueError("an `answer` fault needs a body, and only an `answer` fault takes one")
        if channel is not None and channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}; choose one of {', '.join(CHANNELS)}")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (omit it for a fault that never wears off)")
        if seconds < 0:
            raise ValueError("seconds cannot be negative")
        if not 100 <= status <= 599 or retry_after < 0:
            raise ValueError("status must be an HTTP status (100-599) and retry_after not negative")
        fault = Fault(kind, po_number, times, seconds, message, detail, status, retry_after, body, channel)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, po_number: str | None, channel: Channel | None = None) -> Fault | None:
        """The oldest fault that applies to this PO on this channel, counting one use of it."""
        with self._lock:
            for fault in self._faults:
                wanted = fault.channel is None or channel is None or fault.channel == channel
                if wanted and (fault.po_number is None or fault.po_number == po_number):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times == 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def draw(self, po_number: str | None, now: datetime, channel: Channel | None = None) -> tuple[Fault | None, float]:
        """The fault for this request (targeted first, then the random profile) and the extra delay."""
        fault = self.take(po_number, channel)
        if fault is not None or self.random is None:
            return fault, 0.0
        roll = self.random.roll(now)
        return fault or _from_roll(roll), roll.delay_s

    def clear(self) -> None:
        """Drop every fault, the random profile too."""
        with self._lock:
            self._faults.clear()
        self.random = None

    def active(self) -> list[Fault]:
        with self._lock:
            return [Fault(**asdict(f)) for f in self._faults]


Sleep = Callable[[float], Awaitable[None]]


def _from_roll(roll: Roll) -> Fault | None:
    if roll.kind is None:
        return None
    if roll.kind == "5xx":
        return Fault("status", status=roll.status)
    if roll.kind == "429":
        return Fault("status_429", retry_after=roll.retry_after_s)
    kinds: dict[str, FaultKind] = {
        "timeout": "timeout",
        "reset": "reset",
        "truncated": "truncated",
        "malformed": "malformed",
        "html": "html",
    }
    return Fault(kinds[roll.kind])


class Latency:
    """The one place where the simulator waits: the `slow` fault and the random profile's latency.

    `sleep` is injectable (asyncio.sleep by default): in-process tests pass one that returns at once or
    moves a SimClock, the benchmark keeps real sleeps over sockets.
    """

    def __init__(self, sleep: Sleep = asyncio.sleep) -> None:
        self.sleep = sleep

    async def before_answer(self, fault: Fault | None, extra_s: float = 0.0) -> None:
        seconds = extra_s + (fault.seconds if fault is not None and fault.kind == "slow" else 0.0)
        if seconds > 0:
            await self.sleep(seconds)


def xml_response(body: bytes) -> Response:
    return Response(body, status_code=200, media_type=None, headers={"Content-Type": XML_CONTENT_TYPE})


def faulty_response(fault: Fault, normal: bytes) -> Response | None:
    """The failure `fault` makes of the normal answer, or None when the fault leaves the answer alone.

    `timeout` and `reset` raise the httpx transport error an in-process client would meet; over uvicorn
    they surface as a dropped 500, since an ASGI app cannot stall or reset its own socket on demand.
    """
    if fault.kind == "timeout":
        raise httpx.ReadTimeout("simulated read timeout from the TD SYNNEX simulator")
    if fault.kind == "reset":
        raise httpx.RemoteProtocolError("simulated connection reset by the TD SYNNEX simulator")
    if fault.kind == "truncated":
        # The full length is declared and a part sent: over a socket the client sees the connection
        # close early; in-process, ServiceHTTP's length check sees the same thing.
        cut = normal[: max(1, len(normal) // 2)]
        headers = {"Content-Type": XML_CONTENT_TYPE, "Content-Length": str(len(normal))}
        return Response(cut, status_code=200, headers=headers)
    if fault.kind == "status":
        return Response(_HTML_500, status_code=fault.status, headers={"Content-Type": "text/html; charset=UTF-8"})
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
    if fault.kind == "answer":
        return xml_response((fault.body or "").encode("utf-8"))
    if fault.kind == "biz_error":
        return xml_response(render_biz_error(fault.detail or fault.message or "Internal API Fault"))
    if fault.kind == "status_500":
        return Response(_HTML_500, status_code=500, headers={"Content-Type": "text/html; charset=UTF-8"})
    if fault.kind == "status_429":
        return Response(
            b"Too Many Requests",
            status_code=429,
            headers={"Retry-After": str(fault.retry_after), "Content-Type": "text/plain"},
        )
    return None
