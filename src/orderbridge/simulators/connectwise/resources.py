"""The procurement and system endpoints: a route table and the generic list/count/get/write handlers.

Routes match case-insensitively below `/{codebase}/apis/3.0` (reference §3.1 "Path casing"). Handlers are
plain functions of a `Call`; `app.py` owns HTTP, auth, faults and the request log around them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import callbacks, fulfilment_kinds, kinds, paging, query, writes
from .errors import BadRequest, MethodNotAllowed, RouteNotFound
from .kinds import Kind
from .tables import Record

if TYPE_CHECKING:
    from .state import ConnectWiseState


@dataclass(slots=True)
class Call:
    state: ConnectWiseState
    method: str
    params: dict[str, str]  # query parameters, names lower-cased
    items: list[tuple[str, str]]  # query parameters as sent, for Link URLs
    url_base: str  # scheme://host/path, no query
    body: bytes
    forward_only: bool
    groups: tuple[str, ...] = ()

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            raise BadRequest("The request body is not valid JSON.") from None


@dataclass(slots=True)
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Call], Reply]


def _shaped(call: Call, record: Record) -> Any:
    fields = call.params.get("fields")
    return query.project(record, query.parse_fields(fields)) if fields and fields.strip() else record


def _parent(call: Call, kind: Kind) -> Record | None:
    return writes.find(call.state, kinds.PURCHASE_ORDER, int(call.groups[0])) if kind.child else None


def _matching(call: Call, kind: Kind, parent: Record | None) -> tuple[Any, Callable[[Record], bool] | None, Any]:
    table = kind.table(call.state)
    ids = kind.children(call.state, parent["id"]) if parent is not None else None
    # childConditions filters array members (e.g. company types); no procurement record here has such an
    # array worth filtering, so it is accepted and ignored (COVERAGE.md).
    params = call.params
    predicate = query.compile_filter(kind.schema, params.get("conditions"), params.get("customfieldconditions"))
    return table, predicate, ids


def list_records(call: Call, kind: Kind) -> Reply:
    parent = _parent(call, kind)
    request = paging.parse_paging(call.params, call.forward_only)
    table, predicate, ids = _matching(call, kind, parent)
    if request.forward_only:
        rows: list[Record] = []
        more = False
        for row in table.scan(after=request.page_id, ids=ids):
            if predicate is None or predicate(row):
                if len(rows) == request.size:
                    more = True  # look one row ahead so the last page carries an empty Link
                    break
                rows.append(row)
        link = paging.forward_link(call.url_base, call.items, request, rows[-1]["id"] if more else None)
    else:
        matched = [row for row in table.scan(ids=ids) if predicate is None or predicate(row)]
        order_by = call.params.get("orderby", "").strip()
        if order_by:
            matched = query.sort_records(kind.schema, matched, order_by)
        start = (request.page - 1) * request.size
        rows = matched[start : start + request.size]
        link = paging.navigable_links(call.url_base, call.items, request, len(matched))
    return Reply(200, [_shaped(call, row) for row in rows], {"Link": link})


def count_records(call: Call, kind: Kind) -> Reply:
    parent = _parent(call, kind)
    table, predicate, ids = _matching(call, kind, parent)
    if predicate is None:
        return Reply(200, {"count": len(ids) if ids is not None else len(table)})
    return Reply(200, {"count": sum(1 for row in table.scan(ids=ids) if predicate(row))})


def _record_id(call: Call, kind: Kind) -> int:
    return int(call.groups[1] if kind.child else call.groups[0])


def get_record(call: Call, kind: Kind) -> Reply:
    return Reply(200, _shaped(call, writes.find(call.state, kind, _record_id(call, kind), _parent(call, kind))))


def create_record(call: Call, kind: Kind) -> Reply:
    record = writes.create(call.state, kind, call.json(), parent=_parent(call, kind))
    return Reply(201, _shaped(call, record))


def replace_record(call: Call, kind: Kind) -> Reply:
    parent = _parent(call, kind)
    record = writes.replace(call.state, kind, _record_id(call, kind), call.json(), parent=parent)
    return Reply(200, _shaped(call, record))


def patch_record(call: Call, kind: Kind) -> Reply:
    parent = _parent(call, kind)
    record = writes.apply_patch(call.state, kind, _record_id(call, kind), call.json(), parent=parent)
    return Reply(200, _shaped(call, record))


def delete_record(call: Call, kind: Kind) -> Reply:
    writes.delete(call.state, kind, _record_id(call, kind), parent=_parent(call, kind))
    return Reply(204)


def system_info(call: Call) -> Reply:
    state = call.state
    return Reply(
        200,
        {
            "version": f"v{state.api_version}",
            "isCloud": False,
            "serverTimeZone": "Eastern Standard Time",
            "licenseBits": [],
            "maxWorkFlowRecordsAllowed": 1000,
        },
    )


_OPERATIONS: dict[str, Callable[[Call, Kind], Reply]] = {
    "list": list_records,
    "count": count_records,
    "get": get_record,
    "create": create_record,
    "replace": replace_record,
    "patch": patch_record,
    "delete": delete_record,
}
_COLLECTION = {"GET": "list", "POST": "create"}
_READ_ONLY_COLLECTION = {"GET": "list"}
_ITEM = {"GET": "get", "PUT": "replace", "PATCH": "patch", "DELETE": "delete"}
_SETUP_ITEM = {"GET": "get", "PUT": "replace", "PATCH": "patch"}


def _routes_for(prefix: str, kind: Kind, collection: dict[str, str], item: dict[str, str]) -> list[Any]:
    return [
        (prefix, kind, collection),
        (prefix + "/count", kind, {"GET": "count"}),
        (prefix + r"/(\d+)", kind, item),
    ]


_PO = "/procurement/purchaseorders"
_TABLE: list[tuple[str, Kind, dict[str, str]]] = [
    *_routes_for(_PO, kinds.PURCHASE_ORDER, _COLLECTION, _ITEM),
    *_routes_for(_PO + r"/(\d+)/lineitems", kinds.LINE_ITEM, _COLLECTION, _ITEM),
    *_routes_for(_PO + r"/(\d+)/notes", kinds.NOTE, _COLLECTION, _ITEM),
    *_routes_for("/procurement/purchaseorderstatuses", kinds.STATUS, _COLLECTION, _SETUP_ITEM),
    *_routes_for("/procurement/shipmentmethods", kinds.SHIPMENT_METHOD, _COLLECTION, _SETUP_ITEM),
    *_routes_for("/system/userdefinedfields", kinds.USER_DEFINED_FIELD, _READ_ONLY_COLLECTION, {"GET": "get"}),
    *(route for path, kind in fulfilment_kinds.ROUTES for route in _routes_for(path, kind, _COLLECTION, _ITEM)),
]
ROUTES: list[tuple[re.Pattern[str], Kind | None, dict[str, str]]] = [
    (re.compile(f"^{pattern}$", re.IGNORECASE), kind, methods) for pattern, kind, methods in _TABLE
]


def dispatch(call: Call, resource: str) -> Reply:
    """Answer one API call; `resource` is the path below `/apis/3.0`."""
    path = resource.rstrip("/") or "/"
    if path.lower() == "/system/info":
        if call.method != "GET":
            raise MethodNotAllowed(call.method)
        return system_info(call)
    if path.lower().startswith("/system/callbacks"):
        return callbacks.dispatch(call, path)
    if fulfilment_kinds.TICKET_CONFIGURATIONS.match(path):
        body = call.json() if call.method == "POST" else None
        return Reply(*fulfilment_kinds.ticket_configurations(call.state, call.method, path, body))
    for pattern, kind, methods in ROUTES:
        match = pattern.match(path)
        if match is None or kind is None:
            continue
        operation = methods.get(call.method)
        if operation is None:
            raise MethodNotAllowed(call.method)
        call.groups = match.groups()
        return _OPERATIONS[operation](call, kind)
    raise RouteNotFound()
