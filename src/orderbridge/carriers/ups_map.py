"""A UPS Tracking API `package` onto `ParcelStatus`: pure.

Each activity carries `status.type` (UPS "Package Activity Types"), a 3-digit `statusCode` (zero-padded
on the wire, "011") and a 2-character `code` (carriers.md §2.4, §5). The first matching row wins:

| statusCode / code                                  | type     | ParcelState        | also                   |
|----------------------------------------------------|----------|--------------------|------------------------|
| 022 023 024 060 061 062 145 (delivery attempted)   | any      | FAILED_ATTEMPT     |                        |
| 033 034 035 036 067 118 119; DIALS code B0         | any      | RETURNED_TO_SENDER |                        |
| 017 040 144 (held / ready for customer pickup)     | any      | OUT_FOR_DELIVERY   | awaiting_pickup        |
|                                                    | D        | DELIVERED          | delivered_elsewhere if |
|                                                    |          |                    | 026 143 161 or DIALS   |
|                                                    |          |                    | 2Q 3H 3F (access point,|
|                                                    |          |                    | neighbour, other place)|
| 006 021 037 072 089 091 146 162; code OT OF OD     | I        | OUT_FOR_DELIVERY   |                        |
|                                                    | I        | IN_TRANSIT         |                        |
|                                                    | M        | LABEL_CREATED      |                        |
|                                                    | X, MV    | EXCEPTION          | (MV: label voided)     |
| (anything else: NA, freight DO/DD/W, new types)    |          | UNKNOWN            | raw type/statusCode/code kept |

The package's state comes from `currentStatus` (else the newest activity). Times: `gmtDate`+`gmtTime`
are UTC; without them `date`+`time` with `gmtOffset`; without that, local time taken as UTC (said so
here because UPS's local time has no zone). The estimate is `deliveryDate` RDD (rescheduled) over SDD.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from orderbridge.carriers.provider import place
from orderbridge.carriers.replies import records, text
from orderbridge.core.delivery import ParcelState, ParcelStatus, ScanEvent

PROVIDER = "ups"
S = ParcelState
FAILED_ATTEMPT_CODES = frozenset({"022", "023", "024", "060", "061", "062", "145"})
RETURNED_CODES = frozenset({"033", "034", "035", "036", "067", "118", "119"})
PICKUP_CODES = frozenset({"017", "040", "144"})
OUT_FOR_DELIVERY_CODES = frozenset({"006", "021", "037", "072", "089", "091", "146", "162"})
OUT_FOR_DELIVERY_SCANS = frozenset({"OT", "OF", "OD"})
ELSEWHERE_CODES = frozenset({"026", "143", "161"})
ELSEWHERE_DIALS = frozenset({"2Q", "3H", "3F"})
TYPES = {"D": S.DELIVERED, "I": S.IN_TRANSIT, "M": S.LABEL_CREATED, "X": S.EXCEPTION, "MV": S.EXCEPTION}


def _parts(status: Any) -> tuple[str, str, str]:
    if not isinstance(status, Mapping):
        return "", "", ""
    number = text(status.get("statusCode"))  # 3 digits, zero-padded on the wire ("011"); "11" means the same
    return (
        (text(status.get("type")) or "").upper(),
        number.zfill(3) if number else "",
        (text(status.get("code")) or "").upper(),
    )


def state_of(kind: str, status_code: str, code: str) -> ParcelState:
    if status_code in FAILED_ATTEMPT_CODES:
        return S.FAILED_ATTEMPT
    if status_code in RETURNED_CODES or (kind == "D" and code == "B0"):
        return S.RETURNED_TO_SENDER
    if status_code in PICKUP_CODES:
        return S.OUT_FOR_DELIVERY
    if kind == "I" and (status_code in OUT_FOR_DELIVERY_CODES or code in OUT_FOR_DELIVERY_SCANS):
        return S.OUT_FOR_DELIVERY
    return TYPES.get(kind, S.UNKNOWN)


def _clock(day: Any, hhmmss: Any) -> datetime | None:
    day_text, time_text = text(day) or "", (text(hhmmss) or "000000").ljust(6, "0")
    try:
        return datetime.strptime(day_text + time_text[:6], "%Y%m%d%H%M%S")
    except ValueError:
        return None


def activity_time(activity: Mapping[str, Any]) -> datetime | None:
    gmt = _clock(activity.get("gmtDate"), activity.get("gmtTime"))
    if gmt is not None:
        return gmt.replace(tzinfo=UTC)
    local = _clock(activity.get("date"), activity.get("time"))
    if local is None:
        return None
    offset = text(activity.get("gmtOffset")) or ""
    try:
        sign = -1 if offset.startswith("-") else 1
        hours, minutes = offset.lstrip("+-").split(":")
        shift = timedelta(hours=int(hours), minutes=int(minutes)) * sign
    except ValueError:
        shift = timedelta(0)
    return (local - shift).replace(tzinfo=UTC)


def _location(activity: Mapping[str, Any]) -> str | None:
    where = activity.get("location")
    address = where.get("address") if isinstance(where, Mapping) else None
    if not isinstance(address, Mapping):
        return None
    return place(address.get("city"), address.get("stateProvince"), address.get("countryCode"))


def _event(activity: Mapping[str, Any]) -> ScanEvent | None:
    at = activity_time(activity)
    if at is None:
        return None
    kind, status_code, code = _parts(activity.get("status"))
    status = activity.get("status")
    description = (text(status.get("description"), 500) if isinstance(status, Mapping) else None) or ""
    raw = "/".join(part for part in (kind, status_code, code) if part) or None
    return ScanEvent(at, state_of(kind, status_code, code), description, _location(activity), raw)


def _dated(entries: Any, kind: str) -> date | None:
    for entry in entries if isinstance(entries, list) else ():
        if isinstance(entry, Mapping) and text(entry.get("type")) == kind:
            try:
                return datetime.strptime(text(entry.get("date")) or "", "%Y%m%d").date()
            except ValueError:
                return None
    return None


def parcel_status(package: Mapping[str, Any], *, tracking_number: str, carrier: str) -> ParcelStatus:
    activities = records(package.get("activity"))
    events = sorted((e for e in map(_event, activities) if e is not None), key=lambda e: e.at)
    current = package.get("currentStatus")
    if not isinstance(current, Mapping):
        current = activities[0].get("status") if activities else None  # activity[] is newest first
    kind, status_code, code = _parts(current)
    state = state_of(kind, status_code, code)
    delivered = next((a for a in activities if _parts(a.get("status"))[0] == "D"), None)
    info = package.get("deliveryInformation")
    info = info if isinstance(info, Mapping) else {}
    elsewhere = False
    delivered_to = None
    if state is S.DELIVERED and delivered is not None:
        _, delivered_code, dials = _parts(delivered.get("status"))
        elsewhere = delivered_code in ELSEWHERE_CODES or dials in ELSEWHERE_DIALS or status_code in ELSEWHERE_CODES
        if elsewhere:
            status = delivered.get("status")
            said = text(status.get("description"), 200) if isinstance(status, Mapping) else None
            delivered_to = place(said, text(info.get("location")), _location(delivered))
    if events and state is S.UNKNOWN and events[-1].state is not S.UNKNOWN:
        at = events[-1].at
        raw = "/".join(part for part in (kind, status_code, code) if part) or "?"
        events.append(ScanEvent(at, S.UNKNOWN, "UPS status outside the mapping", None, raw))
    return ParcelStatus(
        tracking_number=tracking_number,
        carrier=carrier,
        provider=PROVIDER,
        state=state,
        estimated_delivery=_dated(package.get("deliveryDate"), "RDD") or _dated(package.get("deliveryDate"), "SDD"),
        delivered_at=(activity_time(delivered) if delivered is not None else None) if state is S.DELIVERED else None,
        signed_by=text(info.get("receivedBy"), 100) if state is S.DELIVERED else None,
        delivered_elsewhere=elsewhere,
        delivered_to=delivered_to,
        events=tuple(events),
        found=bool(events) or state is not S.UNKNOWN,
        awaiting_pickup=status_code in PICKUP_CODES,
    )


def not_found(tracking_number: str, carrier: str) -> ParcelStatus:
    return ParcelStatus(tracking_number, carrier, PROVIDER, S.UNKNOWN, found=False)
