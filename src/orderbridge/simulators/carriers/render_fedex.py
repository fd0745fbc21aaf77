"""A journey as the FedEx Track API's `trackResult` (carriers.md §3.4-§3.6), scans newest first.

Codes are FedEx Tracking Status Codes (FDX-REF); times are ISO-8601 with the scan place's offset.
"Unknown" steps use `ZZ`, deliberately outside the published vocabulary, so tests can see what an
unmapped code looks like. Whether `streetLines` is filled in tracking answers is UNCONFIRMED.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from orderbridge.simulators.carriers.journeys import Journey, Step
from orderbridge.simulators.carriers.places import Place

# Step kind -> (code, description)
FEDEX_CODES: dict[str, tuple[str, str]] = {
    "label_created": ("OC", "Shipment information sent to FedEx"),
    "picked_up": ("PU", "Picked up"),
    "arrived": ("AR", "Arrived at FedEx location"),
    "departed": ("DP", "Departed FedEx location"),
    "delayed": ("DY", "Delay"),
    "out_for_delivery": ("OD", "On FedEx vehicle for delivery"),
    "failed_attempt": ("DE", "Delivery exception"),
    "held_for_pickup": ("HP", "Ready for recipient pickup"),
    "exception": ("SE", "Shipment exception"),
    "delivered": ("DL", "Delivered"),
    "delivered_elsewhere": ("DL", "Delivered"),
    "returning": ("RS", "Return to shipper"),
    "returned": ("RS", "Returned to shipper"),
    "unknown": ("ZZ", "Status not available"),
}
EXCEPTIONS = {
    "not available": ("007", "Customer not available or business closed"),
    "refused": ("019", "Recipient refused package"),
    "damaged": ("041", "Package damaged"),
    "held": ("099", "Unable to deliver"),
    "lost": ("099", "Package not located"),
}
SERVICES = {"FedEx Ground": "FEDEX_GROUND", "FedEx 2 Day": "FEDEX_2_DAY", "FedEx Express Saver": "FEDEX_EXPRESS_SAVER"}
NOT_FOUND = {
    "code": "TRACKING.TRACKINGNUMBER.NOTFOUND",
    "message": "Tracking number cannot be found. Please correct the tracking number and try again.",
}
INVALID = {"code": "TRACKING.TRACKINGNUMBER.INVALID", "message": "Invalid tracking number."}  # UNCONFIRMED code


def _iso(moment: datetime, place: Place | None) -> str:
    return (moment.astimezone(place.zone) if place is not None else moment.astimezone(UTC)).isoformat(
        timespec="seconds"
    )


def _address(place: Place, *, street: bool = False) -> dict[str, Any]:
    address: dict[str, Any] = {
        "city": place.city,
        "stateOrProvinceCode": place.state,
        "postalCode": place.zip_code,
        "countryCode": place.country,
        "residential": False,
    }
    if street and place.street:
        address["streetLines"] = [place.street]
    return address


def _exception(step: Step) -> tuple[str, str]:
    if step.kind in ("failed_attempt", "exception") and step.note:
        return EXCEPTIONS.get(step.note, ("099", step.note))
    return "", ""


def _scan(step: Step) -> dict[str, Any]:
    code, description = FEDEX_CODES[step.kind]
    exception_code, exception = _exception(step)
    return {
        "date": _iso(step.at, step.place),
        "eventType": code,
        "eventDescription": description,
        "exceptionCode": exception_code,
        "exceptionDescription": exception,
        "scanLocation": _address(step.place) if step.place else {},
        "locationType": "DELIVERY_LOCATION" if step.kind in ("delivered", "delivered_elsewhere") else "FEDEX_FACILITY",
        "derivedStatusCode": code,
        "derivedStatus": description,
    }


def _carrier_code(journey: Journey) -> str:
    return "FDXG" if (journey.parcel.service or "FedEx Ground") in ("FedEx Ground", "FedEx Home Delivery") else "FDXE"


def track_result(journey: Journey, now: datetime) -> dict[str, Any] | None:
    """The `trackResult` at `now`, or None before FedEx has any scan (the answer is then NOTFOUND)."""
    seen = journey.seen(now)
    if not seen:
        return None
    last, parcel = seen[-1], journey.parcel
    ground = _carrier_code(journey) == "FDXG"
    code, description = FEDEX_CODES[last.kind]
    latest: dict[str, Any] = {
        "code": code,
        "derivedCode": code,
        "statusByLocale": description,
        "description": description,
        "scanLocation": _address(last.place) if last.place else {},
    }
    exception_code, exception = _exception(last)
    if exception:
        latest["ancillaryDetails"] = [{"reason": exception_code, "reasonDescription": exception}]
    if any(step.kind == "delayed" for step in seen) and last.kind not in ("delivered", "delivered_elsewhere"):
        latest["delayDetail"] = {"type": "WEATHER", "status": "DELAYED"}
    times = [{"type": "SHIP", "dateTime": _iso(parcel.shipped_at, parcel.origin)}]
    pickup = next((step for step in seen if step.kind == "picked_up"), None)
    if pickup is not None:
        times.append({"type": "ACTUAL_PICKUP", "dateTime": _iso(pickup.at, pickup.place)})
    result: dict[str, Any] = {
        "trackingNumberInfo": {
            "trackingNumber": parcel.tracking_number,
            "carrierCode": _carrier_code(journey),
            "trackingNumberUniqueId": f"12029~{parcel.tracking_number}~{'FDEG' if ground else 'FX'}",
        },
        "latestStatusDetail": latest,
        "dateAndTimes": times,
        "scanEvents": [_scan(step) for step in reversed(seen)],
        "serviceDetail": {
            "type": SERVICES.get(parcel.service or "", "FEDEX_GROUND"),
            "description": parcel.service or "FedEx Ground",
        },
        "shipperInformation": {"address": _address(parcel.origin)},
        "recipientInformation": {"address": _address(journey.destination, street=True)},
    }
    attempts = sum(1 for step in seen if step.kind == "failed_attempt")
    if last.kind in ("delivered", "delivered_elsewhere") and last.place is not None:
        times.insert(0, {"type": "ACTUAL_DELIVERY", "dateTime": _iso(last.at, last.place)})
        result["deliveryDetails"] = {
            "receivedByName": last.signer or "",
            "deliveryAttempts": str(attempts),
            "locationType": "RESIDENCE"
            if last.place.name == "NEIGHBOR"
            else "FEDEX_LOCATION"
            if last.place.name
            else "SHIPPING_RECEIVING",
            "locationDescription": last.place.name or "Shipping/Receiving",
            "actualDeliveryAddress": _address(last.place, street=True),
        }
    elif last.estimate is not None:
        estimate = datetime.combine(last.estimate, datetime.min.time(), journey.destination.zone)
        times.insert(
            0, {"type": "ESTIMATED_DELIVERY", "dateTime": _iso(estimate + timedelta(hours=20), journey.destination)}
        )
        window = {
            "begins": _iso(estimate + timedelta(hours=8), journey.destination),
            "ends": _iso(estimate + timedelta(hours=20), journey.destination),
        }
        result["estimatedDeliveryTimeWindow"] = {"window": window, "type": "ESTIMATED_DELIVERY"}
        if attempts:
            result["deliveryDetails"] = {"deliveryAttempts": str(attempts)}
    return result


def complete_result(number: str, result: dict[str, Any] | None, *, invalid: bool = False) -> dict[str, Any]:
    if result is not None:
        return {"trackingNumber": number, "trackResults": [result]}
    info = {"trackingNumber": number, "trackingNumberUniqueId": "", "carrierCode": ""}
    return {
        "trackingNumber": number,
        "trackResults": [{"trackingNumberInfo": info, "error": INVALID if invalid else NOT_FOUND}],
    }
