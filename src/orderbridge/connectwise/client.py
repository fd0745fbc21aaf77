"""The ConnectWise PSA client for procurement: auth, paging, reads, JSON Patch writes and notes.

All HTTP goes through `ServiceHTTP` (one retry/limit policy); this module adds what is ConnectWise's
own: the headers and the two paging styles. What each reply means (errors, shapes, the next page)
lives in `replies.py`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from orderbridge.config import ConnectWiseSettings, HttpSettings
from orderbridge.connectwise.conditions import all_of, condition
from orderbridge.connectwise.models import (
    CustomFieldDefinition,
    PurchaseOrderLineItemModel,
    PurchaseOrderModel,
    PurchaseOrderNote,
    PurchaseOrderNoteModel,
    PurchaseOrderStatusModel,
    ShipmentMethodModel,
    UserDefinedFieldModel,
)
from orderbridge.connectwise.patch import is_idempotent
from orderbridge.connectwise.replies import SERVICE, MalformedApiResponse, decode, next_cursor, parse, raise_for_error
from orderbridge.core.domain import PurchaseOrder, PurchaseOrderLine, PurchaseOrderStatus, ShipmentMethod
from orderbridge.core.errors import MalformedResponse
from orderbridge.core.redaction import register_secret
from orderbridge.http import Reply, ServiceClient, ServiceHTTP, ServicePolicy

__all__ = ["ConnectWiseClient", "MalformedApiResponse"]

PO_PATH = "/procurement/purchaseorders"
MAX_PAGE_SIZE = 1000
_log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)


def tracked(tracking_field: str) -> str:
    """The `customFieldConditions` of a tracked PO: the checkbox field `tracking_field` is ticked.

    Checkbox filter syntax `value=true` is UNCONFIRMED; it is the form the DG grammar implies."""
    return all_of(condition("caption", "=", tracking_field), condition("value", "=", True))


class ConnectWiseClient(ServiceClient):
    """One tenant's ConnectWise API. Pass `transport=httpx.ASGITransport(app)` to talk to the simulator."""

    def __init__(
        self,
        settings: ConnectWiseSettings,
        http: HttpSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._settings = settings
        private_key = settings.private_key.get_secret_value()
        register_secret(private_key)
        policy = ServicePolicy.from_settings(
            SERVICE, http, concurrency=settings.concurrency, requests_per_minute=settings.requests_per_minute
        )
        self._http = ServiceHTTP(
            policy,
            base_url=settings.base_url,
            auth=httpx.BasicAuth(f"{settings.company}+{settings.public_key}", private_key),
            headers={
                "clientId": settings.client_id,
                "Accept": f"application/vnd.connectwise.com+json; version={settings.api_version}",
            },
            transport=transport,
            sleep=sleep,
        )

    def __repr__(self) -> str:
        return f"ConnectWiseClient(company={self._settings.company!r}, base_url={self._settings.base_url!r})"

    async def _call(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: dict[str, Any] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        idempotent: bool | None = None,
        per_record: bool = False,
    ) -> Reply:
        extra = dict(headers or {})
        kwargs: dict[str, Any] = {}
        if body is not None:
            extra["Content-Type"] = "application/json"
            kwargs["content"] = json.dumps(body).encode()
        reply = await self._http.request(method, path, params=params, headers=extra, idempotent=idempotent, **kwargs)
        raise_for_error(reply, method=method, what=what, write=method not in ("GET", "HEAD"), per_record=per_record)
        return reply

    async def _pages(
        self, path: str, params: dict[str, Any], *, what: str, forward_only: bool = False, per_record: bool = False
    ) -> AsyncIterator[tuple[Reply, list[Any]]]:
        """Yield one page at a time, so a 100k-PO tenant is never held in memory at once."""
        size = int(params["pageSize"])
        headers = {"pagination-type": "forward-only"} if forward_only else None
        cursor: dict[str, str] = {} if forward_only else {"page": "1"}
        links_seen = False
        while True:
            reply, items = await self._page(
                path, {**params, **cursor}, what=what, headers=headers, per_record=per_record
            )
            yield reply, items
            # A short page is the last one whatever the Link header says (DJCW, TRI stop the same way).
            if len(items) < size:
                return
            following = next_cursor(reply, items, cursor, forward_only=forward_only, links_seen=links_seen)
            links_seen = links_seen or "link" in reply.headers
            if following is None:
                return
            key = next(iter(following))
            if key in cursor and int(following[key]) <= int(cursor[key]):
                raise MalformedApiResponse(
                    f"{what}: paging did not advance ({key} {cursor[key]} -> {following[key]})",
                    service=SERVICE,
                    status=reply.status,
                    request_id=reply.request_id,
                )
            cursor = following

    async def _page(
        self, path: str, params: dict[str, Any], *, what: str, headers: dict[str, str] | None, per_record: bool
    ) -> tuple[Reply, list[Any]]:
        """One page, asked for once more if its body is not a JSON list (a proxy's page, a cut body with
        an honest length): a GET is safe to repeat, and one bad page would otherwise end the listing,
        and with it the cycle's discovery, for every PO after it."""
        for attempt in (1, 2):
            reply = await self._call("GET", path, what=what, params=params, headers=headers, per_record=per_record)
            try:
                return reply, decode(reply, what, list)
            except MalformedApiResponse as exc:
                if attempt == 2:
                    raise
                # Counted with the transport's retries (summary, metrics, fault report), not logged each time.
                self.stats.retries += 1
                self.stats.retried["malformed"] += 1
                _log.debug("%s; asking for that page once more", exc.message)
        raise AssertionError("unreachable")

    async def _list(
        self, model: type[M], path: str, what: str, params: dict[str, Any] | None = None, *, per_record: bool = False
    ) -> list[M]:
        """Every record of a list endpoint. `per_record`: the list belongs to one PO (its lines, its notes),
        so a 401/403 there fails that PO only (replies.raise_for_error)."""
        found: list[M] = []
        pages = self._pages(path, {**(params or {}), "pageSize": MAX_PAGE_SIZE}, what=what, per_record=per_record)
        async for reply, items in pages:
            found.extend(parse(model, item, what, reply) for item in items)
        return found

    # Generic record access, for the endpoint modules beside this one (context, tickets, configurations):
    # they name the path and the model; paging, errors and the no-resend rule stay here.

    async def list_records(
        self,
        model: type[M],
        path: str,
        *,
        what: str,
        conditions: str | None = None,
        child_conditions: str | None = None,
        fields: str | None = None,
        per_record: bool = False,
    ) -> list[M]:
        """Every record of a list endpoint matching ConnectWise `conditions` (all pages)."""
        params: dict[str, Any] = {}
        if conditions:
            params["conditions"] = conditions
        if child_conditions:
            params["childConditions"] = child_conditions
        if fields:
            params["fields"] = fields
        return await self._list(model, path, what, params, per_record=per_record)

    async def get_record(self, model: type[M], path: str, *, what: str, per_record: bool = True) -> M:
        reply = await self._call("GET", path, what=what, per_record=per_record)
        return parse(model, decode(reply, what, dict), what, reply)

    async def create_record(self, model: type[M], path: str, body: dict[str, Any], *, what: str) -> M:
        """POST one record; never repeated after a timeout (a second POST would be a second record)."""
        reply = await self._call("POST", path, what=what, body=body, idempotent=False, per_record=True)
        return parse(model, decode(reply, what, dict), what, reply)

    async def patch_record(self, model: type[M], path: str, ops: list[dict[str, Any]], *, what: str) -> M:
        """JSON Patch one record (absolute values only are idempotent; see patch.is_idempotent)."""
        reply, data = await self._patch(path, ops, what)
        return parse(model, data, what, reply)

    async def list_purchase_orders(
        self,
        *,
        conditions: str | None = None,
        custom_field_conditions: str | None = None,
        page_size: int | None = None,
        what: str = "purchase order list",
        skip_unreadable: bool = True,
    ) -> AsyncIterator[PurchaseOrder]:
        """POs matching ConnectWise `conditions` / `customFieldConditions`, streamed in id order a page at
        a time (forward-only paging), so a 100k-PO tenant is never held in memory at once.

        With `skip_unreadable`, one malformed record is logged and skipped so it cannot hide every PO
        after it; without, it raises MalformedResponse (a listing whose gaps would be read as "gone").
        """
        params: dict[str, Any] = {"pageSize": page_size or self._settings.page_size}
        if conditions:
            params["conditions"] = conditions
        if custom_field_conditions:
            params["customFieldConditions"] = custom_field_conditions
        async for reply, items in self._pages(PO_PATH, params, what=what, forward_only=True):
            for item in items:
                try:
                    po = parse(PurchaseOrderModel, item, what, reply)
                except MalformedResponse as exc:
                    if not skip_unreadable:
                        raise
                    record = item.get("id") if isinstance(item, dict) else None
                    _log.warning("skipping unreadable purchase order %s: %s", record, exc)
                    continue
                yield po.to_domain()

    def iter_tracked_purchase_orders(
        self, *, tracking_field: str, updated_since: datetime | None = None
    ) -> AsyncIterator[PurchaseOrder]:
        """Open POs whose checkbox custom field `tracking_field` is ticked, streamed in id order."""
        filters = [condition("closedFlag", "=", False)]
        if updated_since is not None:
            filters.append(condition("_info/lastUpdated", ">=", updated_since))
        return self.list_purchase_orders(conditions=all_of(*filters), custom_field_conditions=tracked(tracking_field))

    async def iter_tracked_po_numbers(self, *, tracking_field: str) -> AsyncIterator[tuple[int, str | None]]:
        """(id, poNumber) of every open tracked PO, the same listing as `iter_tracked_purchase_orders`
        asked for those two fields only (`fields`, connectwise-psa.md §2.4): a few dozen bytes a PO."""
        params: dict[str, Any] = {
            "pageSize": self._settings.page_size,
            "conditions": condition("closedFlag", "=", False),
            "customFieldConditions": tracked(tracking_field),
            "fields": "id,poNumber",
        }
        what = "purchase order numbers"
        async for _reply, items in self._pages(PO_PATH, params, what=what, forward_only=True):
            for item in items:
                po_id = item.get("id") if isinstance(item, dict) else None
                number = item.get("poNumber") if isinstance(item, dict) else None
                if not isinstance(po_id, int) or not isinstance(number, str | None):
                    _log.warning("skipping an unreadable entry of the %s: %.100r", what, item)
                    continue
                yield po_id, number

    async def get_purchase_order(self, po_id: int) -> PurchaseOrder:
        what = f"PO {po_id}"
        reply = await self._call("GET", f"{PO_PATH}/{po_id}", what=what, per_record=True)
        return parse(PurchaseOrderModel, decode(reply, what, dict), what, reply).to_domain()

    async def list_line_items(self, po_id: int) -> list[PurchaseOrderLine]:
        lines = await self._list(
            PurchaseOrderLineItemModel, f"{PO_PATH}/{po_id}/lineitems", f"lines of PO {po_id}", per_record=True
        )
        return [line.to_domain() for line in lines]

    async def _patch(self, path: str, ops: list[dict[str, Any]], what: str) -> tuple[Reply, Any]:
        if not ops:
            raise ValueError(f"empty JSON Patch for {what}: nothing changed means no write at all")
        reply = await self._call("PATCH", path, what=what, body=ops, idempotent=is_idempotent(ops), per_record=True)
        if reply.status == 204 or not reply.content.strip():
            # The SPEC says 200 + the record; TRI reports 204/empty. Read it back under either reading.
            reply = await self._call("GET", path, what=what, per_record=True)
        return reply, decode(reply, what, dict)

    async def patch_purchase_order(self, po_id: int, ops: list[dict[str, Any]]) -> PurchaseOrder:
        what = f"PO {po_id}"
        reply, data = await self._patch(f"{PO_PATH}/{po_id}", ops, what)
        return parse(PurchaseOrderModel, data, what, reply).to_domain()

    async def patch_line_item(self, po_id: int, line_id: int, ops: list[dict[str, Any]]) -> PurchaseOrderLine:
        what = f"line {line_id} of PO {po_id}"
        reply, data = await self._patch(f"{PO_PATH}/{po_id}/lineitems/{line_id}", ops, what)
        return parse(PurchaseOrderLineItemModel, data, what, reply).to_domain()

    async def list_statuses(self) -> list[PurchaseOrderStatus]:
        statuses = await self._list(PurchaseOrderStatusModel, "/procurement/purchaseorderstatuses", "PO statuses")
        return [status.to_domain() for status in statuses]

    async def create_status(self, name: str, *, closed: bool = False) -> PurchaseOrderStatus:
        what = f"PO status {name!r}"
        reply = await self._call(
            "POST",
            "/procurement/purchaseorderstatuses",
            what=what,
            body={"name": name, "closedFlag": closed},
            idempotent=False,
        )
        return parse(PurchaseOrderStatusModel, decode(reply, what, dict), what, reply).to_domain()

    async def rename_status(self, status_id: int, name: str) -> PurchaseOrderStatus:
        """Give a PO status its name back (`orderbridge setup --rename-back`); its id, and every PO's
        reference to it, stay as they are."""
        what = f"PO status {status_id}"
        ops = [{"op": "replace", "path": "name", "value": name}]
        reply, data = await self._patch(f"/procurement/purchaseorderstatuses/{status_id}", ops, what)
        return parse(PurchaseOrderStatusModel, data, what, reply).to_domain()

    async def list_custom_fields(self) -> list[CustomFieldDefinition]:
        """Every user-defined field definition, for naming the close matches of a caption not found."""
        fields = await self._list(UserDefinedFieldModel, "/system/userDefinedFields", "user-defined fields")
        return [field.to_domain() for field in fields]

    async def list_shipment_methods(self) -> list[ShipmentMethod]:
        methods = await self._list(ShipmentMethodModel, "/procurement/shipmentmethods", "shipment methods")
        return [method.to_domain() for method in methods]

    async def list_notes(self, po_id: int) -> list[PurchaseOrderNote]:
        notes = await self._list(
            PurchaseOrderNoteModel, f"{PO_PATH}/{po_id}/notes", f"notes of PO {po_id}", per_record=True
        )
        return [note.to_domain() for note in notes]

    async def add_note(self, po_id: int, text: str) -> int:
        """POST a note; never repeated after a timeout (a second POST would be a second note).

        Note type ids are tenant data (UNCONFIRMED), so no `type` is sent and ConnectWise picks its default.
        """
        what = f"note on PO {po_id}"
        body = {"text": text, "flagged": False}
        reply = await self._call(
            "POST", f"{PO_PATH}/{po_id}/notes", what=what, body=body, idempotent=False, per_record=True
        )
        return parse(PurchaseOrderNoteModel, decode(reply, what, dict), what, reply).id

    async def find_custom_field(self, caption: str) -> CustomFieldDefinition | None:
        """The user-defined field with this caption, preferring one on the PO screen if several share it."""
        fields = await self._list(
            UserDefinedFieldModel,
            "/system/userDefinedFields",
            "user-defined fields",
            {"conditions": condition("caption", "=", caption)},
        )
        matches = [field.to_domain() for field in fields if field.caption.casefold() == caption.casefold()]
        # TRI names the PO header screen `purchase_order` (UNCONFIRMED); fall back to any match.
        on_po = [m for m in matches if "purchase" in f"{m.screen_id} {m.pod_id}".lower()]
        best = on_po or matches
        return best[0] if best else None

    async def list_callbacks(self) -> list[dict[str, Any]]:
        """Callback entries (`/system/callbacks`) as sent; `callbacks/register.py` decides what they mean."""
        found: list[dict[str, Any]] = []
        async for _reply, items in self._pages("/system/callbacks", {"pageSize": MAX_PAGE_SIZE}, what="callbacks"):
            found.extend(item for item in items if isinstance(item, dict))
        return found

    async def create_callback(self, entry: dict[str, Any]) -> dict[str, Any]:
        """POST one callback entry; never repeated (a second POST would register it twice)."""
        what = "callback entry"
        reply = await self._call("POST", "/system/callbacks", what=what, body=entry, idempotent=False)
        created: dict[str, Any] = decode(reply, what, dict)
        return created

    async def system_info(self) -> dict[str, Any]:
        reply = await self._call("GET", "/system/info", what="system info")
        info: dict[str, Any] = decode(reply, "system info", dict)
        return info
