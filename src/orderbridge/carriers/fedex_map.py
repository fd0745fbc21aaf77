"""A FedEx Track API `trackResult` onto `ParcelStatus`: pure.

FedEx Tracking Status Codes (carriers.md §3.5, §3.9, §5), read from `latestStatusDetail.code` (else
`derivedCode`) for the package and from `scanEvents[].eventType` (else `derivedStatusCode`) per scan:

| code                                                            | ParcelState        | also                 |
|-----------------------------------------------------------------|--------------------|----------------------|
| OC OX                                                           | LABEL_CREATED      |                      |
| PU PX IT IX OW AR DP AF FD OF SF AA PF PL LO EA EO EP TR CC CP  | IN_TRANSIT         |                      |
| AO AE US CH SP; delays DD DY PD CD (the revised estimate says it)| IN_TRANSIT        |                      |
| OD AD ED                                                        | OUT_FOR_DELIVERY   |                      |
| HL HP (held at a FedEx location, ready for pickup)              | OUT_FOR_DELIVERY   | awaiting_pickup      |
| DL                                                              | DELIVERED          | delivered_elsewhere *|
| DE (delivery exception: an attempt that failed)                 | FAILED_ATTEMPT     |                      |
| SE CA                                                           | EXCEPTION          |                      |
| RS                                                              | RETURNED_TO_SENDER |                      |
| anything else                                                   | UNKNOWN            | raw code kept        |

* `deliveryDetails.actualDeliveryAddress` "may differ [from the destination] due to delivery to a
behavior, hold at FedEx location" (FDX-TRK): delivered elsewhere when its city, postal code or first
street line differs from the (last updated) destination's. Times carry offsets and become UTC; the
estimate keeps the destination's date (`dateAndTimes` ESTIMATED_DELIVERY, else
`estimatedDeliveryTimeWindow.window.ends`). A number FedEx lists twice (recycled numbers,
`trackingNumberUniqueId`) is read from its most recently scanned result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from orderbridge.carriers.provider import local_date, place, utc
from orderbridge.carriers.replies import records, text
from orderbridge.core.delivery import ParcelState, ParcelStatus, ScanEvent

PROVIDER = "fedex"
S = ParcelState
_GROUPS: dict[ParcelState, str] = {
    S.LABEL_CREATED: "OC OX",
    S.IN_TRANSIT: "PU PX IT IX OW AR DP AF FD OF SF AA PF PL LO EA EO EP TR CC CP AO AE US CH SP DD DY PD CD",
    S.OUT_FOR_DELIVERY: "OD AD ED HL HP",
    S.DELIVERED: "DL",
    S.FAILED_ATTEMPT: "DE",
    S.EXCEPTION: "SE CA",
    S.RETURNED_TO_SENDER: "RS",
}
CODES: dict[str, ParcelState] = {code: state for state, codes in _GROUPS.items() for code in codes.split()}
PICKUP_CODES = frozenset({"HL", "HP"})
NOT_FOUND_ERRORS = frozenset({"TRACKING.TRACKINGNUMBER.NOTFOUND"})
_LONG_AGO = datetime.min.replace(tzinfo=UTC)


def state_of(code: str | None) -> ParcelState:
    return CODES.get((code or "").strip().upper(), S.UNKNOWN)


def _address(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _place(address: Mapping[str, Any]) -> str | None:
    return place(address.get("city"), address.get("stateOrProvinceCode"), address.get("countryCode"))


def _event(scan: Mapping[str, Any]) -> ScanEvent | None:
    at = utc(scan.get("date"))
    if at is None:
        return None
    code = text(scan.get("eventType")) or text(scan.get("derivedStatusCode"))
    description = text(scan.get("eventDescription"), 500) or text(scan.get("derivedStatus"), 500) or ""
    exception = text(scan.get("exceptionDescription"), 300)
    if exception:
        description = f"{description}: {exception}" if description else exception
    return ScanEvent(at, state_of(code), description, _place(_address(scan.get("scanLocation"))), code)


def _times(result: Mapping[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for entry in records(result.get("dateAndTimes")):
        if text(entry.get("type")) and text(entry.get("dateTime")):
            found.setdefault(text(entry.get("type")) or "", text(entry.get("dateTime")) or "")
    return found


def _first(value: Any) -> str | None:
    """A field, or the first of its lines (`streetLines` is a list)."""
    return text(value[0]) if isinstance(value, list) and value else text(value)


def _same(value: str) -> str:
    # ZIP+4 against ZIP and spacing or case differences are the same place.
    return " ".join(value.casefold().split())[:5] if value[:5].isdigit() else " ".join(value.casefold().split())


def _elsewhere(result: Mapping[str, Any]) -> tuple[bool, str | None]:
    details = _address(result.get("deliveryDetails"))
    actual = _address(details.get("actualDeliveryAddress"))
    recipient = _address(_address(result.get("recipientInformation")).get("address"))
    destination = _address(result.get("lastUpdatedDestinationAddress")) or recipient
    differs = False
    for key in ("city", "postalCode", "streetLines"):
        mine, theirs = _first(actual.get(key)), _first(destination.get(key))
        if mine and theirs and _same(mine) != _same(theirs):
            differs = True
    if not differs:
        return False, None
    return True, place(text(details.get("locationDescription")), _place(actual))


def last_scan(result: Mapping[str, Any]) -> datetime:
    """When this result last moved, for choosing among the results of a number FedEx lists twice."""
    times = [utc(s.get("date")) for s in records(result.get("scanEvents"))]
    return max((t for t in times if t is not None), default=_LONG_AGO)


def parcel_status(results: Sequence[Mapping[str, Any]], *, tracking_number: str, carrier: str) -> ParcelStatus | str:
    """The package from its `trackResults`: a ParcelStatus, found=False for NOTFOUND, or FedEx's own
    message when it refused this one number for another reason."""
    usable = [r for r in results if not isinstance(r.get("error"), Mapping)]
    if not usable:
        error = _address(results[0].get("error")) if results else {}
        code, message = text(error.get("code")), text(error.get("message"), 300)
        if code in NOT_FOUND_ERRORS or not results:
            return ParcelStatus(tracking_number, carrier, PROVIDER, S.UNKNOWN, found=False)
        return f"FedEx refused {tracking_number}: {code or 'no code'} {message or ''}".strip()
    result = max(usable, key=last_scan)
    latest = _address(result.get("latestStatusDetail"))
    code = text(latest.get("code")) or text(latest.get("derivedCode"))
    state = state_of(code)
    scans = records(result.get("scanEvents"))
    events = sorted((e for e in map(_event, scans) if e is not None), key=lambda e: e.at)
    if state is S.UNKNOWN and code and not (events and events[-1].code == code):
        said = text(latest.get("description"), 300) or "FedEx status outside the mapping"
        at = events[-1].at if events else utc(_times(result).get("SHIP"))
        if at is not None:
            events.append(ScanEvent(at, S.UNKNOWN, said, _place(_address(latest.get("scanLocation"))), code))
    times = _times(result)
    window = _address(_address(result.get("estimatedDeliveryTimeWindow")).get("window"))
    details = _address(result.get("deliveryDetails"))
    elsewhere, delivered_to = _elsewhere(result) if state is S.DELIVERED else (False, None)
    signer = text(details.get("signedByName"), 100) or text(details.get("receivedByName"), 100)
    return ParcelStatus(
        tracking_number=tracking_number,
        carrier=carrier,
        provider=PROVIDER,
        state=state,
        estimated_delivery=local_date(times.get("ESTIMATED_DELIVERY")) or local_date(window.get("ends")),
        delivered_at=utc(times.get("ACTUAL_DELIVERY")) if state is S.DELIVERED else None,
        signed_by=signer if state is S.DELIVERED else None,
        delivered_elsewhere=elsewhere,
        delivered_to=delivered_to,
        events=tuple(events),
        provider_ref=text(_address(result.get("trackingNumberInfo")).get("trackingNumberUniqueId"), 100),
        found=True,
        awaiting_pickup=(code or "").upper() in PICKUP_CODES,
    )
