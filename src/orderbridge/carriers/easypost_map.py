"""EasyPost's Tracker object onto `ParcelStatus`: pure, shared by the client and the webhook reader.

Mapping (carriers.md §1.5, §1.10, §5). The tracker's `status` decides, refined by `status_detail`:

| status               | status_detail                                    | ParcelState        | also                 |
|----------------------|--------------------------------------------------|--------------------|----------------------|
| any but the finals   | delivery_exception, address_correction, refused  | FAILED_ATTEMPT     | a heuristic (§5)     |
| any but the finals   | damaged, lost, held, missorted, expired, failure,| EXCEPTION          |                      |
|                      | transit_exception, cancelled                     |                    |                      |
| any but the finals   | return                                           | RETURNED_TO_SENDER |                      |
| pre_transit          | (any other)                                      | LABEL_CREATED      |                      |
| in_transit           | (any other; delayed, weather_delay stay here)    | IN_TRANSIT         |                      |
| out_for_delivery     |                                                  | OUT_FOR_DELIVERY   |                      |
| available_for_pickup |                                                  | OUT_FOR_DELIVERY   | awaiting_pickup      |
| delivered            |                                                  | DELIVERED          | delivered_elsewhere *|
| return_to_sender     |                                                  | RETURNED_TO_SENDER |                      |
| failure, cancelled   |                                                  | EXCEPTION          |                      |
| unknown              |                                                  | UNKNOWN            | found=False, no scans|
| error                | (a per-package problem message: EasyPost could not track the number)                  |
| anything else        |                                                  | UNKNOWN            | raw status kept      |

The finals are delivered and return_to_sender. * EasyPost has no structured "delivered to" address
(carriers.md §1.10), so delivered_elsewhere is read from the delivery scan's message (access point,
neighbour, locker, pickup point, post office): a heuristic, said so. Each `tracking_details` entry
becomes a ScanEvent mapped the same way, with the carrier's own code (`carrier_code`) kept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from orderbridge.carriers.provider import local_date, place, utc
from orderbridge.carriers.replies import records, text
from orderbridge.core.delivery import ParcelState, ParcelStatus, ScanEvent

PROVIDER = "easypost"
S = ParcelState
STATUSES: dict[str, ParcelState] = {
    "pre_transit": S.LABEL_CREATED,
    "in_transit": S.IN_TRANSIT,
    "out_for_delivery": S.OUT_FOR_DELIVERY,
    "available_for_pickup": S.OUT_FOR_DELIVERY,
    "delivered": S.DELIVERED,
    "return_to_sender": S.RETURNED_TO_SENDER,
    "failure": S.EXCEPTION,
    "cancelled": S.EXCEPTION,
    "unknown": S.UNKNOWN,
}
FAILED_ATTEMPT_DETAILS = frozenset({"delivery_exception", "address_correction", "refused"})
EXCEPTION_DETAILS = frozenset(
    {"damaged", "lost", "held", "missorted", "transit_exception", "cancelled", "expired", "failure"}
)
FINAL = frozenset({"delivered", "return_to_sender"})
_ELSEWHERE = re.compile(
    r"access\s*point|neighbou?r|locker|pick\s*-?up\s*(point|location)|post\s*office|parcel\s*shop", re.IGNORECASE
)


class TrackerError(ValueError):
    """The tracker's status is `error`: EasyPost could not track the number (its message says why)."""


def state_of(status: str | None, detail: str | None) -> ParcelState:
    status, detail = (status or "").lower(), (detail or "").lower()
    if status not in FINAL:
        if detail in FAILED_ATTEMPT_DETAILS:
            return S.FAILED_ATTEMPT
        if detail in EXCEPTION_DETAILS:
            return S.EXCEPTION
        if detail == "return":
            return S.RETURNED_TO_SENDER
    return STATUSES.get(status, S.UNKNOWN)


def _event(detail: Mapping[str, Any]) -> ScanEvent | None:
    at = utc(detail.get("datetime"))
    if at is None:
        return None
    status, sub = text(detail.get("status")), text(detail.get("status_detail"))
    state = state_of(status, sub)
    where = detail.get("tracking_location")
    location = (
        place(where.get("city"), where.get("state"), where.get("country")) if isinstance(where, Mapping) else None
    )
    # An unmapped status keeps EasyPost's word; otherwise the carrier's own scan code, for people who know it.
    code = status if status and status.lower() not in STATUSES else text(detail.get("carrier_code")) or sub
    description = text(detail.get("message"), 500) or text(detail.get("description"), 500) or status or ""
    return ScanEvent(at, state, description, location, code)


def parcel_status(tracker: Mapping[str, Any], *, carrier: str, tracking_number: str | None = None) -> ParcelStatus:
    """The tracker as a ParcelStatus; raises TrackerError when its status is `error`."""
    status, detail = text(tracker.get("status")), text(tracker.get("status_detail"))
    details = records(tracker.get("tracking_details"))
    if (status or "").lower() == "error":
        messages = [text(d.get("message"), 300) for d in details]
        reason = next((m for m in reversed(messages) if m), None) or "no reason given"
        raise TrackerError(f"EasyPost could not track this number: {reason}")
    events = sorted((e for e in map(_event, details) if e is not None), key=lambda e: e.at)
    state = state_of(status, detail)
    unmapped = bool(status) and (status or "").lower() not in STATUSES
    if unmapped and not (events and events[-1].code == status):
        # A status outside the table: UNKNOWN, and EasyPost's word is kept where people will look for it.
        at = utc(tracker.get("updated_at")) or (events[-1].at if events else None)
        if at is not None:
            events.append(ScanEvent(at, S.UNKNOWN, f"EasyPost status {status}/{detail or '-'}", None, status))
    delivered = [d for d in details if (text(d.get("status")) or "").lower() == "delivered"]
    delivered_at = utc(delivered[-1].get("datetime")) if delivered else None
    message = (text(delivered[-1].get("message"), 500) or "") if delivered else ""
    elsewhere = state is S.DELIVERED and bool(_ELSEWHERE.search(message))
    carrier_detail = tracker.get("carrier_detail")
    local_estimate = carrier_detail.get("est_delivery_date_local") if isinstance(carrier_detail, Mapping) else None
    return ParcelStatus(
        tracking_number=tracking_number or text(tracker.get("tracking_code"), 64) or "",
        carrier=carrier,
        provider=PROVIDER,
        state=state,
        estimated_delivery=local_date(local_estimate) or local_date(tracker.get("est_delivery_date")),
        delivered_at=delivered_at if state is S.DELIVERED else None,
        signed_by=text(tracker.get("signed_by"), 100) if state is S.DELIVERED else None,
        delivered_elsewhere=elsewhere,
        delivered_to=message if elsewhere else None,
        events=tuple(events),
        provider_ref=text(tracker.get("id"), 64),
        found=not (state is S.UNKNOWN and not events),
        awaiting_pickup=(status or "").lower() == "available_for_pickup",
    )
