"""Simulated ConnectWise callbacks: `/system/callbacks` CRUD, the signing-key page, and delivery.

After every purchase-order write the simulator queues, for each active `purchaseorder` entry, the
documented payload (connectwise-psa.md §7.3) signed as §7.4 describes, and POSTs it to the entry's
URL with the record id appended. Delivery follows §7.5: success on any 2xx; on 404/409/419/429 two
retries, 2 s and then 4 s later in *simulated* time; a 5 s timeout; an entry failing for 3 days is
made inactive. Sending goes through an injectable httpx transport (or a whole `sender`), so
in-process tests route it straight into the receiver app and never wait on a real clock.
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
from starlette.background import BackgroundTask
from starlette.requests import Request

from orderbridge.connectwise.signatures import signature_for

from .errors import FieldError, InvalidObject, MethodNotAllowed, NotFound, RouteNotFound
from .tables import Record, Table

if TYPE_CHECKING:
    from orderbridge.core.clock import Clock

    from .resources import Call, Reply
    from .state import ConnectWiseState

RETRY_STATUSES = frozenset({404, 409, 419, 429})
RETRY_DELAYS = (timedelta(seconds=2), timedelta(seconds=4))
DISABLE_AFTER = timedelta(days=3)
TIMEOUT_S = 5.0
PO_LEVELS = frozenset({"owner", "status", "vendor", "company", "purchaseorder"})
TYPES = frozenset(
    [
        "activity",
        "agreement",
        "company",
        "configuration",
        "contact",
        "expense",
        "invoice",
        "member",
        "opportunity",
        "productcatalog",
        "project",
        "purchaseorder",
        "schedule",
        "ticket",
        "time",
    ]
)
KEY_PATH = "system/callbackkey/index.rails"
Sender = Callable[[str, bytes, dict[str, str]], Awaitable[int]]


@dataclass
class Delivery:
    """One queued message for one entry; `attempts` so far, next try at `due_at` (simulated time)."""

    entry_id: int
    url: str
    body: bytes
    signature: str
    first_at: datetime
    due_at: datetime
    attempts: int = 0
    last_status: int | str | None = None


class CallbackHub:
    """Entries, their signing keys, the outbox and a log of every delivery attempt."""

    def __init__(self, clock: Clock, company: str, member: str) -> None:
        self.clock = clock
        self.company = company
        self.member = member
        self.entries = Table(first_id=26552)
        self.keys: dict[str, str] = {}  # key-page id (a GUID) -> signing key
        self.key_ids: dict[int, str] = {}  # entry id -> key-page id
        self.outbox: list[Delivery] = []
        self.attempts: list[Delivery] = []
        self.failing_since: dict[int, datetime] = {}
        self.transport: httpx.AsyncBaseTransport | None = None
        self.sender: Sender | None = None
        self.auto_deliver = True  # deliver right after the write; False leaves it to `deliver_due()`

    def clear(self) -> None:
        self.entries.clear()
        self.keys.clear()
        self.key_ids.clear()
        self.outbox.clear()
        self.attempts.clear()
        self.failing_since.clear()

    # --- registration -------------------------------------------------------------------------------------

    def create(self, body: Any, now_text: str) -> Record:
        errors = _validate(body)
        if errors:
            raise InvalidObject("callbackEntry", errors)
        key = (body["type"].lower(), body["level"].lower(), int(body["objectId"]), body["url"])
        for entry in self.entries.scan():
            if (entry["type"], entry["level"], entry["objectId"], entry["url"]) == key:
                message = "A matching callback entry already exists"
                raise InvalidObject("callbackEntry", [FieldError("ObjectExists", message, "callbackEntry", "objectId")])
        record: Record = {
            "description": str(body.get("description") or "")[:100],
            "url": body["url"],
            "objectId": int(body["objectId"]),
            "type": key[0],
            "level": key[1],
            "memberId": 243,
            "payloadVersion": "3.0.0",
            "inactiveFlag": bool(body.get("inactiveFlag", False)),
            "isSoapCallbackFlag": False,
            "isSelfSuppressedFlag": bool(body.get("isSelfSuppressedFlag", False)),
            "connectWiseID": str(uuid.uuid4()),
            "_info": {"lastUpdated": now_text, "updatedBy": self.member},
        }
        record = self.entries.insert(record)
        key_id = str(uuid.uuid4())
        self.key_ids[record["id"]] = key_id
        self.keys[key_id] = secrets.token_urlsafe(24)
        return record

    def rotate_key(self, entry_id: int) -> str:
        """A new signing key under a new key-page id (whether ConnectWise rotates is UNCONFIRMED)."""
        self.keys.pop(self.key_ids.get(entry_id, ""), None)
        key_id = self.key_ids[entry_id] = str(uuid.uuid4())
        self.keys[key_id] = secrets.token_urlsafe(24)
        return key_id

    def signing_key(self, key_id: str) -> str | None:
        return self.keys.get(key_id)

    # --- delivery ----------------------------------------------------------------------------------------

    def po_changed(self, action: str, po_id: int, record: Record | None, origin: str, codebase: str) -> int:
        """Queue one message per active PO entry; returns how many. `origin` is scheme://host[:port]."""
        now = self.clock.now()
        queued = 0
        for entry in self.entries.scan():
            if entry["type"] != "purchaseorder" or entry["inactiveFlag"] or not _level_matches(entry, po_id, record):
                continue
            key_id = self.key_ids[entry["id"]]
            payload = {
                "MessageId": str(uuid.uuid4()),
                "FromUrl": urlsplit(origin).netloc,
                "CompanyId": self.company,
                "MemberId": self.member,
                "Action": action,
                "Type": "purchaseorder",
                "ID": po_id,
                "ProductInstanceId": "sim-product-instance",
                "PartnerId": "sim-partner",
                # The live API embeds the record as a JSON *string*; null on delete (DJCW).
                "Entity": None if record is None else json.dumps(record, separators=(",", ":")),
                "Metadata": {"key_url": f"{origin}/{codebase}{KEY_PATH}?id={key_id}"},
                "CallbackObjectRecId": entry["id"],
            }
            body = json.dumps(payload, separators=(",", ":")).encode()
            signature = signature_for(self.keys[key_id], body)
            self.outbox.append(Delivery(entry["id"], entry["url"] + str(po_id), body, signature, now, now))
            queued += 1
        return queued

    async def deliver_due(self) -> int:
        """Send every queued message whose time has come; returns how many were sent (any outcome)."""
        now = self.clock.now()
        due = [d for d in self.outbox if d.due_at <= now]
        self.outbox = [d for d in self.outbox if d.due_at > now]
        for delivery in due:
            await self._attempt(delivery, now)
        return len(due)

    async def _attempt(self, delivery: Delivery, now: datetime) -> None:
        delivery.attempts += 1
        headers = {"content-type": "application/json", "x-content-signature": delivery.signature}
        try:
            status: int | str = await (self.sender or self._post)(delivery.url, delivery.body, headers)
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        delivery.last_status = status
        self.attempts.append(copy.copy(delivery))
        if isinstance(status, int) and 200 <= status < 300:
            self.failing_since.pop(delivery.entry_id, None)
            return
        since = self.failing_since.setdefault(delivery.entry_id, delivery.first_at)
        entry = self.entries.get(delivery.entry_id)
        if entry is not None and now - since >= DISABLE_AFTER:
            entry["inactiveFlag"] = True
        if status in RETRY_STATUSES and delivery.attempts <= len(RETRY_DELAYS):
            delivery.due_at = now + RETRY_DELAYS[delivery.attempts - 1]
            self.outbox.append(delivery)

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        async with httpx.AsyncClient(transport=self.transport, timeout=TIMEOUT_S, trust_env=False) as client:
            response = await client.post(url, content=body, headers=headers)
            return response.status_code


def _level_matches(entry: Record, po_id: int, record: Record | None) -> bool:
    level, object_id = entry["level"], entry["objectId"]
    if level == "owner":
        return True
    if level == "purchaseorder":
        return bool(object_id == po_id)
    field = {"status": "status", "vendor": "vendorCompany", "company": "customerCompany"}.get(level)
    reference = (record or {}).get(field or "")
    return isinstance(reference, dict) and bool(reference.get("id") == object_id)


def _validate(body: Any) -> list[FieldError]:
    resource = "callbackEntry"
    if not isinstance(body, dict):
        return [FieldError("InvalidField", "The request body must be a callbackEntry object.", resource, "url")]
    errors = []
    for name in ("url", "objectId", "type", "level"):
        if body.get(name) in (None, ""):
            errors.append(FieldError("MissingRequiredField", f"The {name} field is required.", resource, name))
    if errors:
        return errors
    url = body["url"]
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        errors.append(FieldError("InvalidField", "Invalid URL", resource, "url"))
    if not isinstance(body["objectId"], int) or isinstance(body["objectId"], bool):
        errors.append(FieldError("InvalidField", "The objectId field must be a number.", resource, "objectId"))
    kind, level = str(body["type"]).lower(), str(body["level"]).lower()
    if kind not in TYPES:
        errors.append(FieldError("InvalidField", f"Unrecognized type '{body['type']}'.", resource, "type"))
    elif level not in (PO_LEVELS if kind == "purchaseorder" else {"owner"} | {kind}):
        message = "Unrecognized level for type, see documentation for supported levels for each type"
        errors.append(FieldError("InvalidObject", message, resource, "level"))
    return errors


def dispatch(call: Call, path: str) -> Reply:
    """`/system/callbacks[/count|/{id}]` for `resources.dispatch`."""
    from .resources import Reply

    hub = call.state.callbacks
    rest = path.lower().removeprefix("/system/callbacks").strip("/")
    if rest == "":
        if call.method == "GET":
            return Reply(200, [copy.deepcopy(entry) for entry in hub.entries.scan()])
        if call.method == "POST":
            return Reply(201, copy.deepcopy(hub.create(call.json(), call.state.now_text())))
        raise MethodNotAllowed(call.method)
    if rest == "count":
        return Reply(200, {"count": len(hub.entries)})
    if not rest.isdigit():
        raise RouteNotFound()
    entry = hub.entries.get(int(rest))
    if entry is None:
        raise NotFound(f"Callback entry {rest} not found")
    if call.method == "GET":
        return Reply(200, copy.deepcopy(entry))
    if call.method == "DELETE":
        hub.entries.delete(entry["id"])
        hub.keys.pop(hub.key_ids.pop(entry["id"], ""), None)
        return Reply(204)
    if call.method in ("PUT", "PATCH"):
        return Reply(200, copy.deepcopy(_update(entry, call)))
    raise MethodNotAllowed(call.method)


def _update(entry: Record, call: Call) -> Record:
    body = call.json()
    changes: dict[str, Any] = {}
    if call.method == "PATCH" and isinstance(body, list):
        for op in body:
            if isinstance(op, dict) and op.get("op") in ("replace", "add"):
                changes[str(op.get("path", "")).strip("/")] = op.get("value")
    elif isinstance(body, dict):
        changes = body
    for name in ("description", "url", "inactiveFlag", "isSelfSuppressedFlag"):
        if name in changes:
            entry[name] = changes[name]
    entry["_info"] = {"lastUpdated": call.state.now_text(), "updatedBy": call.state.api_member}
    return entry


_PO_WRITE = re.compile(r"^/procurement/purchaseorders(?:/(\d+))?/?$", re.IGNORECASE)
_ACTIONS = {"POST": "added", "PUT": "updated", "PATCH": "updated", "DELETE": "deleted"}


def after_write(state: ConnectWiseState, request: Request, rest: str, status: int, body: Any) -> BackgroundTask | None:
    """Queue callbacks for a successful PO write and hand back the delivery to run after the answer.

    Line-item writes do not fire: whether ConnectWise sends PO callbacks for them is UNCONFIRMED.
    """
    action = _ACTIONS.get(request.method)
    match = _PO_WRITE.match(rest)
    if action is None or match is None or not 200 <= status < 300:
        return None
    po_id = int(match.group(1)) if match.group(1) else (body or {}).get("id") if isinstance(body, dict) else None
    if not isinstance(po_id, int):
        return None
    record = None if action == "deleted" else state.purchase_orders.get(po_id)
    origin = f"{request.url.scheme}://{request.url.netloc}"
    queued = state.callbacks.po_changed(action, po_id, copy.deepcopy(record), origin, state.codebase)
    if not queued or not state.callbacks.auto_deliver:
        return None
    return BackgroundTask(state.callbacks.deliver_due)


def key_page(state: ConnectWiseState, key_id: str) -> Reply:
    """`/{codebase}/system/callbackkey/index.rails?id=<guid>` → `{"signing_key": ...}`; no auth (§7.4)."""
    from .resources import Reply

    key = state.callbacks.signing_key(key_id.strip())
    if key is None:
        raise NotFound("Callback key not found")
    return Reply(200, {"signing_key": key})
