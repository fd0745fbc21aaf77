"""A journey as the UPS Tracking API's `trackResponse` (carriers.md §2.3-§2.5), activity newest first.

Activity types and 3-digit status codes are the documented ones (UPS appendix); the 2-character scan
codes are documented for the common scans (MP, PU, AR, DP, OT, F4, 2Q, 3H, B0, H8) and UNCONFIRMED for
the rest (COVERAGE.md). Local times are `YYYYMMDD`/`HHMMSS` with `gmtDate`/`gmtTime`/`gmtOffset`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from orderbridge.simulators.carriers.journeys import Journey, Step
from orderbridge.simulators.carriers.places import Place

# Step kind -> (type, statusCode, code, description)
UPS_STATUSES: dict[str, tuple[str, str, str, str]] = {
    "label_created": ("M", "003", "MP", "Shipper created a label, UPS has not received the package yet. "),
    "picked_up": ("I", "038", "PU", "Pickup Scan "),
    "arrived": ("I", "005", "AR", "Arrived at Facility"),
    "departed": ("I", "005", "DP", "Departed from Facility"),
    "delayed": ("I", "032", "WD", "Adverse weather may cause delay"),
    "out_for_delivery": ("I", "021", "OT", "Out For Delivery Today"),
    "failed_attempt": ("X", "022", "48", "The receiver was not available for delivery. We'll make a second attempt."),
    "held_for_pickup": ("I", "017", "ZP", "Held for customer pickup"),
    "exception": ("X", "013", "EX", "Exception"),
    "delivered": ("D", "011", "F4", "DELIVERED "),
    "delivered_elsewhere": ("D", "161", "2Q", "Delivered To UPS Access Point"),
    "returning": ("I", "035", "H8", "Returning to Sender"),
    "returned": ("D", "034", "B0", "Package delivered to original sender"),
    "unknown": ("NA", "", "", "Status not available"),
}
NEIGHBOUR = ("D", "011", "3H", "Delivered to neighbor")
SERVICES = {"UPS Ground": "003", "UPS Next Day Air": "001", "UPS 2 Day Air": "002", "UPS 3 Day Select": "012"}


def _status(step: Step) -> dict[str, str]:
    kind, code, scan, description = UPS_STATUSES[step.kind]
    if step.kind == "delivered_elsewhere" and step.place is not None and step.place.name == "NEIGHBOR":
        kind, code, scan, description = NEIGHBOUR
    return {
        "type": kind,
        "code": scan,
        "statusCode": code,
        "description": description,
        "simplifiedTextDescription": description.strip().capitalize(),
    }


def _local(moment: datetime, place: Place | None) -> datetime:
    return moment.astimezone(place.zone) if place is not None else moment.astimezone(UTC)


def _offset(local: datetime) -> str:
    offset = local.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _address(place: Place) -> dict[str, Any]:
    return {
        "city": place.city,
        "stateProvince": place.state,
        "postalCode": place.zip_code,
        "countryCode": place.country,
        "country": place.country,
    }


def _activity(step: Step) -> dict[str, Any]:
    local = _local(step.at, step.place)
    utc = step.at.astimezone(UTC)
    return {
        "date": local.strftime("%Y%m%d"),
        "time": local.strftime("%H%M%S"),
        "gmtDate": utc.strftime("%Y%m%d"),
        "gmtTime": utc.strftime("%H%M%S"),
        "gmtOffset": _offset(local),
        "location": {"address": _address(step.place) if step.place else {"countryCode": "US", "country": "US"}},
        "status": _status(step),
    }


def _day(value: date) -> str:
    return value.strftime("%Y%m%d")


def package_json(journey: Journey, now: datetime) -> dict[str, Any] | None:
    """The `package` entry at `now`, or None before UPS has any scan (the answer is then TW0001)."""
    seen = journey.seen(now)
    if not seen:
        return None
    last = seen[-1]
    parcel = journey.parcel
    package: dict[str, Any] = {
        "trackingNumber": parcel.tracking_number,
        "packageCount": 1,
        "currentStatus": _status(last),
        "service": {
            "code": SERVICES.get(parcel.service or "", "003"),
            "levelCode": "011",
            "description": parcel.service or "UPS Ground",
        },
        "packageAddress": [
            {"type": "ORIGIN", "address": _address(parcel.origin)},
            {"type": "DESTINATION", "address": _address(journey.destination)},
        ],
        "activity": [_activity(step) for step in reversed(seen)],
    }
    if parcel.weight_oz:
        package["weight"] = {"unitOfMeasurement": "LBS", "weight": f"{parcel.weight_oz / 16:.1f}"}
    delivered = last.kind in ("delivered", "delivered_elsewhere")
    if delivered:
        local = _local(last.at, last.place)
        package["deliveryDate"] = [{"type": "DEL", "date": local.strftime("%Y%m%d")}]
        package["deliveryTime"] = {"type": "DEL", "endTime": local.strftime("%H%M%S")}
        where = last.place.name if last.place is not None and last.place.name else "Front Door"
        package["deliveryInformation"] = {"receivedBy": last.signer or "", "location": where}
    elif last.estimate is not None:
        first = seen[0].estimate
        dates = [{"type": "SDD", "date": _day(first or last.estimate)}]
        if first is not None and last.estimate != first:
            dates.append({"type": "RDD", "date": _day(last.estimate)})
        package["deliveryDate"] = dates
        package["deliveryTime"] = {"type": "EOD", "endTime": "235900"}
    return package


def track_response(number: str, package: dict[str, Any] | None) -> dict[str, Any]:
    if package is None:
        warning = {"code": "TW0001", "message": "Tracking Information Not Found"}
        return {"trackResponse": {"shipment": [{"inquiryNumber": number, "warnings": [warning]}]}}
    return {"trackResponse": {"shipment": [{"inquiryNumber": number, "package": [package]}]}}
