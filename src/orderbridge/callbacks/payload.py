"""What a ConnectWise callback body says, read in two steps: the envelope before the signature check,
and the message once the body is proven genuine.

Before the HMAC only what the check needs is read (MessageId present, Metadata.key_url); nothing else
is believed. After it, the record id is parsed strictly: ConnectWise ids are int32 (connectwise-psa.md
§3.2, §7.1), so only ASCII digits within 1..2**31-1 pass. `int()` alone would take "１２３" and ids
past 2**63 that the store cannot hold; a bad id is a 400 naming the field, never a 500.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from orderbridge.callbacks.verify import CallbackRejected

PO_TYPE = "purchaseorder"
RECORD_ID_MAX = 2**31 - 1  # int32, the type of every ConnectWise record id
MESSAGE_ID_MAX = 100  # the inbox column; ConnectWise's own are GUIDs (36 characters)
ACTION_MAX = 20


class BadCallback(Exception):
    """A genuine callback we cannot act on; `reason` goes back in the 400 answer and names the field."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Envelope:
    """The parts of a not-yet-verified body the signature check needs."""

    data: dict[str, Any]
    key_url: Any


@dataclass(frozen=True)
class POCallback:
    message_id: str
    po_id: int
    action: str


def read_envelope(body: bytes) -> Envelope:
    """The parsed body and its key URL, or CallbackRejected when a field every callback has is missing."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise CallbackRejected("body is not JSON") from None
    if not isinstance(data, dict):
        raise CallbackRejected("body is not a JSON object")
    message_id = data.get("MessageId")
    if not isinstance(message_id, str) or not message_id.strip():
        raise CallbackRejected("payload has no MessageId")
    metadata = data.get("Metadata")
    key_url = metadata.get("key_url") if isinstance(metadata, dict) else None
    if not isinstance(key_url, str) or not key_url.strip():
        raise CallbackRejected("Metadata.key_url is missing")
    return Envelope(data, key_url)


def record_id(value: object) -> int:
    """A ConnectWise record id: a JSON integer, or a string of ASCII digits, within 1..2**31-1."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise BadCallback(f"ID must be a whole number, not {type(value).__name__}")
    if isinstance(value, str):
        # str.isdigit() is true for "１２３" and "١٢٣"; ConnectWise sends plain ASCII digits only.
        if not (value.isascii() and value.isdigit()) or len(value) > len(str(RECORD_ID_MAX)):
            raise BadCallback(f"ID {value[:20]!r} is not a ConnectWise record id (ASCII digits only)")
        value = int(value)
    if not 1 <= value <= RECORD_ID_MAX:
        shown = str(value) if abs(value) < 10**30 else f"{str(value)[:20]}…"
        raise BadCallback(f"ID {shown} is outside ConnectWise's record ids (1 to {RECORD_ID_MAX})")
    return value


def po_callback(envelope: Envelope, *, company: str) -> POCallback | None:
    """What a verified body asks of us; None for callbacks about other record types."""
    data = envelope.data
    sender = data.get("CompanyId")
    # ConnectWise names the company in every message (§7.3); one tenant's endpoint never acts on
    # another company's callback, however it is signed.
    if isinstance(sender, str) and sender.casefold() != company.casefold():
        raise CallbackRejected("callback is for another company")
    if str(data.get("Type", "")).lower() != PO_TYPE:
        return None
    message_id = str(data["MessageId"]).strip()
    if len(message_id) > MESSAGE_ID_MAX:
        raise BadCallback(f"MessageId is longer than {MESSAGE_ID_MAX} characters")
    action = data.get("Action") or "updated"
    if not isinstance(action, str) or len(action) > ACTION_MAX:
        raise BadCallback(f"Action must be a short string such as 'updated', not {str(action)[:20]!r}")
    return POCallback(message_id, record_id(data.get("ID")), action.lower())
