"""The PO page's customer and lines card: who the goods are for, each line's state, and the link that
opens the PO in ConnectWise. Read from the store only (the ConnectWise PO as the last planning cycle read
it, store/payloads.py), like every other dashboard page: the dashboard never calls ConnectWise.

Kept apart from orders.py because the PO page is assembled by several features; this card is the
fulfilment one (`templates/po_customer.html`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from orderbridge.config import Settings
from orderbridge.config.fulfilment import po_link
from orderbridge.store import ActivityEntry, Store
from orderbridge.store.payloads import CONNECTWISE, latest_payloads, payload_history

HISTORY = 20  # stored PO reads looked through for the latest one that carries the lines
# Line fields our own writes change, by activity-log name (sync/ledger.py writes "line <id>/<field>") and
# by the name the stored PO uses: a write after the last read is shown, not the value it replaced.
_WRITTEN = {
    "receivedQuantity": "received_quantity",
    "receivedStatus": "received_status",
    "dateReceived": "date_received",
    "expectedArrivalDate": "expected_arrival_date",
    "shipDate": "ship_date",
    "trackingNumber": "tracking_number",
}


@dataclass(frozen=True)
class LineView:
    number: int | None
    description: str
    ordered: float | None
    received: int | None
    state: str  # ordered, back-ordered, shipped, received, cancelled
    tracking: str | None
    shipped_on: str | None
    expected_arrival: str | None


@dataclass(frozen=True)
class CustomerView:
    company: str | None
    contact: str | None
    site: str | None
    name: str | None
    drop_ship: bool | None
    lines: tuple[LineView, ...] | None  # None: no cycle has read the lines yet
    link: str | None


def _name(reference: Any) -> str | None:
    if isinstance(reference, dict):
        name = reference.get("name")
        return str(name) if name else (f"id {reference['id']}" if reference.get("id") is not None else None)
    return None


def _day(value: Any) -> str | None:
    return str(value)[:10] if value else None


def _state(line: dict[str, Any]) -> str:
    quantity, received = line.get("quantity"), line.get("received_quantity")
    if line.get("canceled_flag"):
        return "cancelled"
    if line.get("received_status") == "FullyReceived" or (received and quantity and received >= quantity):
        return "received"
    if line.get("ship_date") or line.get("tracking_number"):
        return "shipped"
    return "back-ordered" if line.get("backordered_flag") else "ordered"


def _line(line: dict[str, Any]) -> LineView:
    return LineView(
        number=line.get("line_number"),
        description=str(line.get("description") or line.get("product_identifier") or line.get("vendor_sku") or ""),
        ordered=line.get("quantity"),
        received=line.get("received_quantity"),
        state=_state(line),
        tracking=line.get("tracking_number"),
        shipped_on=_day(line.get("ship_date")),
        expected_arrival=_day(line.get("expected_arrival_date")),
    )


def _read(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _overlay(lines: list[Any], activity: Sequence[ActivityEntry], since: datetime) -> list[Any]:
    """The stored lines with the values orderbridge wrote to them after that read, oldest write first."""
    by_id = {line.get("id"): dict(line) for line in lines if isinstance(line, dict)}
    for entry in sorted(activity, key=lambda e: e.at):
        if entry.action != "write" or not entry.field or not entry.field.startswith("line ") or entry.at < since:
            continue
        target, _, name = entry.field[5:].partition("/")
        line = by_id.get(int(target)) if target.isdigit() else None
        if line is not None and name in _WRITTEN:
            value: Any = entry.new_value
            if name == "receivedQuantity" and isinstance(value, str) and value.isdigit():
                value = int(value)
            line[_WRITTEN[name]] = value
    return [by_id.get(line.get("id"), line) if isinstance(line, dict) else line for line in lines]


def customer_view(
    store: Store, settings: Settings | None, tenant: str, po_id: int, activity: Sequence[ActivityEntry] = ()
) -> CustomerView:
    link = po_link(settings.fulfilment, settings.connectwise.base_url, po_id) if settings is not None else None
    latest = latest_payloads(store, tenant, [po_id], CONNECTWISE).get(po_id)
    po = _read(latest.body) if latest else {}
    lines = po.get("lines")
    if lines is None and latest is not None:
        # The last cycle may not have needed the lines; an earlier read that did still shows them.
        for older in payload_history(store, tenant, po_id, limit=HISTORY):
            if older.source == CONNECTWISE and (found := _read(older.body).get("lines")) is not None:
                lines = found
                break
    if isinstance(lines, list) and latest is not None:
        lines = _overlay(lines, activity, latest.fetched_at)
    return CustomerView(
        company=_name(po.get("customer_company")),
        contact=_name(po.get("customer_contact")),
        site=_name(po.get("customer_site")),
        name=po.get("customer_name"),
        drop_ship=po.get("drop_ship"),
        lines=tuple(_line(line) for line in lines if isinstance(line, dict)) if isinstance(lines, list) else None,
        link=link,
    )
