"""EasyPost webhooks: the HMAC signature check and the `tracker.*` event reader, both pure.

The signature (carriers.md §1.9; the same algorithm in EasyPost's Python, Node, Go and C# clients):
`X-Hmac-Signature: hmac-sha256-hex=<lower-case hex HMAC-SHA256 of the raw request body>`, keyed by the
UTF-8 bytes of the webhook secret after Unicode NFKD normalisation. No timestamp or path is signed, so
there is no replay protection: the receiver de-duplicates on the event id (`evt_...`). The simulator
signs with `signature_for` too, so both ends share one definition.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from orderbridge.carriers.easypost_map import TrackerError, parcel_status
from orderbridge.carriers.replies import text
from orderbridge.core.delivery import ParcelStatus
from orderbridge.core.errors import MalformedResponse

SIGNATURE_HEADER = "X-Hmac-Signature"
PREFIX = "hmac-sha256-hex="
TRACKER_EVENTS = frozenset({"tracker.created", "tracker.updated"})
# EasyPost's display names back to ours (rules/carriers.py); others are kept as EasyPost spells them.
CARRIER_NAMES = {"dhlexpress": "DHL", "fedex": "FedEx", "ups": "UPS", "usps": "USPS"}


def signature_for(secret: str, body: bytes) -> str:
    """The header value EasyPost sends for `body` signed with `secret`."""
    key = unicodedata.normalize("NFKD", secret).encode("utf-8")
    return PREFIX + hmac.new(key, body, hashlib.sha256).hexdigest()


def signature_is_valid(secret: str, body: bytes, header: str | None) -> bool:
    """True when `header` (the X-Hmac-Signature value, any header-name casing upstream) signs `body` with
    `secret`. A missing header, an empty secret or another algorithm prefix is never valid."""
    if not header or not secret:
        return False
    return hmac.compare_digest(header.strip().encode("utf-8"), signature_for(secret, body).encode("utf-8"))


@dataclass(frozen=True, slots=True)
class TrackerEvent:
    """One `tracker.created` / `tracker.updated` event: its id (de-duplicate on it), what changed, and the
    tracker as a ParcelStatus (or the problem message when the tracker's status is `error`)."""

    event_id: str
    description: str
    previous: Mapping[str, Any]
    status: ParcelStatus | str


def read_tracker_event(body: bytes) -> TrackerEvent | None:
    """The tracker event in a webhook body; None for another kind of event (batch.*, shipment.*).
    Raises MalformedResponse when the body is not an EasyPost Event. Check the signature first."""
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise MalformedResponse("EasyPost webhook: the body is not JSON") from None
    if not isinstance(event, Mapping) or event.get("object") != "Event":
        raise MalformedResponse("EasyPost webhook: the body is not an Event object")
    description = text(event.get("description")) or ""
    if description not in TRACKER_EVENTS:
        return None
    tracker = event.get("result")
    if not isinstance(tracker, Mapping) or not text(tracker.get("tracking_code")):
        raise MalformedResponse(f"EasyPost webhook {description}: the result is not a Tracker")
    carrier = text(tracker.get("carrier")) or ""
    previous = event.get("previous_attributes")
    try:
        status: ParcelStatus | str = parcel_status(tracker, carrier=CARRIER_NAMES.get(carrier.casefold(), carrier))
    except TrackerError as problem:
        status = str(problem)
    return TrackerEvent(
        event_id=text(event.get("id"), 64) or "",
        description=description,
        previous=previous if isinstance(previous, Mapping) else {},
        status=status,
    )
