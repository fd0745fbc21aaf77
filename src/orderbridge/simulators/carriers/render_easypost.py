"""A journey as EasyPost's Tracker object (carriers.md §1.4-§1.6), oldest scan first.

Fields and value shapes follow the composed example in the notes: `status`/`status_detail` from the
documented vocabularies, `weight` in ounces as a float, `datetime` as `...Z`, the carrier's own scan
code in `carrier_code`, `est_delivery_date` at midnight UTC plus `carrier_detail.est_delivery_date_local`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from orderbridge.simulators.carriers.journeys import Journey, Step
from orderbridge.simulators.carriers.places import Place
from orderbridge.simulators.carriers.render_fedex import FEDEX_CODES
from orderbridge.simulators.carriers.render_ups import UPS_STATUSES
from orderbridge.simulators.carriers.state import Tracker

# Step kind -> (status, status_detail, message)
EASYPOST_STATUSES: dict[str, tuple[str, str, str]] = {
    "label_created": ("pre_transit", "label_created", "Shipping label created"),
    "picked_up": ("in_transit", "arrived_at_facility", "Picked up"),
    "arrived": ("in_transit", "arrived_at_facility", "Arrived at facility"),
    "departed": ("in_transit", "departed_facility", "Departed facility"),
    "delayed": ("in_transit", "weather_delay", "Delayed: weather"),
    "out_for_delivery": ("out_for_delivery", "out_for_delivery", "Out for delivery"),
    "failed_attempt": ("in_transit", "delivery_exception", "Delivery attempted"),
    "held_for_pickup": ("available_for_pickup", "arrived_at_pickup_location", "Available for pickup"),
    "exception": ("failure", "failure", "Shipment exception"),
    "delivered": ("delivered", "arrived_at_destination", "Delivered"),
    "delivered_elsewhere": ("delivered", "arrived_at_destination", "Delivered"),
    "returning": ("return_to_sender", "return", "Returning to sender"),
    "returned": ("return_to_sender", "return", "Delivered to sender"),
    "unknown": ("unknown", "status_update", "Status update"),
}
DISPLAY_NAMES = {"UPS": "UPS", "FedEx": "FedEx", "USPS": "USPS", "DHL": "DHLExpress"}
TEST_MODE_MESSAGE = (
    "In test mode, only test tracking numbers are valid. Test tracking numbers are EZ1000000001, "
    "EZ2000000002, ... , EZ7000000007"
)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _location(place: Place | None) -> dict[str, Any]:
    if place is None:
        return {"object": "TrackingLocation", "city": None, "state": None, "country": None, "zip": None}
    return {
        "object": "TrackingLocation",
        "city": place.city,
        "state": place.state,
        "country": place.country,
        "zip": place.zip_code,
    }


def _carrier_code(carrier: str, step: Step) -> str | None:
    if carrier == "FedEx":
        return FEDEX_CODES[step.kind][0]
    if carrier == "UPS":
        return UPS_STATUSES[step.kind][2]
    return None


def _detail(journey: Journey, step: Step) -> dict[str, Any]:
    status, detail, message = EASYPOST_STATUSES[step.kind]
    if step.kind == "exception" and step.note:
        detail, message = step.note, f"Shipment exception: {step.note}"
    elif step.kind == "delivered_elsewhere" and step.place is not None:
        message = f"Delivered to {step.place.name or 'another address'}"
    elif step.kind == "failed_attempt" and step.note:
        message = f"Delivery attempted: receiver {step.note}"
    return {
        "object": "TrackingDetail",
        "message": message,
        "description": message,
        "status": status,
        "status_detail": detail,
        "datetime": stamp(step.at),
        "source": journey.parcel.carrier,
        "carrier_code": _carrier_code(journey.parcel.carrier, step),
        "est_delivery_date": None,
        "tracking_location": _location(step.place),
    }


def tracker_json(
    tracker: Tracker, journey: Journey | None, now: datetime, *, test_mode_error: bool = False
) -> dict[str, Any]:
    seen = journey.seen(now) if journey is not None else ()
    details = [_detail(journey, step) for step in seen] if journey is not None else []
    if test_mode_error:
        status, sub = "error", None
        details = [
            {
                "object": "TrackingDetail",
                "message": TEST_MODE_MESSAGE,
                "status": "error",
                "status_detail": None,
                "datetime": stamp(tracker.created_at),
                "source": "ProcessingError",
                "tracking_location": _location(None),
            }
        ]
    elif details:
        status, sub = details[-1]["status"], details[-1]["status_detail"]
    else:
        status, sub = "unknown", "unknown"
    last = seen[-1] if seen else None
    estimate = last.estimate if last is not None else None
    carrier = tracker.carrier or (DISPLAY_NAMES.get(journey.parcel.carrier, journey.parcel.carrier) if journey else "")
    delivered = last is not None and last.kind in ("delivered", "delivered_elsewhere")
    weight = journey.parcel.weight_oz if journey is not None else None
    return {
        "id": tracker.id,
        "object": "Tracker",
        "mode": tracker.mode,
        "tracking_code": tracker.tracking_code,
        "status": status,
        "status_detail": sub,
        "signed_by": last.signer if delivered and last is not None else None,
        "weight": float(weight) if weight is not None else None,
        "est_delivery_date": f"{estimate.isoformat()}T00:00:00Z" if estimate else None,
        "shipment_id": None,
        "carrier": carrier,
        "tracking_details": details,
        "carrier_detail": {
            "object": "CarrierDetail",
            "service": journey.parcel.service if journey is not None else None,
            "container_type": None,
            "est_delivery_date_local": estimate.isoformat() if estimate else None,
            "est_delivery_time_local": None,
            "origin_location": " ".join((journey.parcel.origin.city, journey.parcel.origin.state, "US"))
            if journey
            else None,
            "destination_location": " ".join((journey.destination.city, journey.destination.state, "US"))
            if journey
            else None,
            "guaranteed_delivery_date": None,
            "alternate_identifier": None,
            "initial_delivery_attempt": next((stamp(s.at) for s in seen if s.kind == "failed_attempt"), None),
        },
        "finalized": status in ("delivered", "return_to_sender", "failure", "error"),
        "is_return": False,
        "public_url": f"https://track.easypost.com/{tracker.id.removeprefix('trk_')}",
        "fees": [],
        "created_at": stamp(tracker.created_at),
        "updated_at": stamp(last.at if last is not None and last.at > tracker.created_at else tracker.created_at),
    }


def fingerprint(tracker_body: dict[str, Any]) -> tuple[Any, ...]:
    """What a tracker.updated event reports a change of: status, estimate, the number of scans."""
    details = tracker_body.get("tracking_details") or []
    return (
        tracker_body.get("status"),
        tracker_body.get("status_detail"),
        tracker_body.get("est_delivery_date"),
        len(details),
    )
