"""The orders list (with filters and CSV export) and one PO's timeline.

The list reads `order_facts`, so it answers "where is everything" without touching ConnectWise or
TD SYNNEX; the timeline merges the PO's events, activity and alerts into one story, newest first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from orderbridge.alerts.rules import RULE_LABELS
from orderbridge.config import Settings
from orderbridge.core.domain import Stage
from orderbridge.store import ActivityEntry, ActivityFilter, EventRecord, Store
from orderbridge.store.alerts import AlertRecord, list_alerts, open_alert_counts
from orderbridge.store.facts import FactsFilter, FactsRow, count_facts, facet_values, known_tenants, list_facts
from orderbridge.store.outbox import messages_for
from orderbridge.web import params
from orderbridge.web.packages import po_packages
from orderbridge.web.po_customer import customer_view
from orderbridge.web.rendering import Renderer, csv_response, cw_value, web_url

PAGE_SIZE = 50
EXPORT_LIMIT = 10_000
ORDER_COLUMNS = (
    "tenant",
    "po_id",
    "po_number",
    "stage",
    "carrier",
    "ship_method",
    "tracking_numbers",
    "warehouses",
    "sales_orders",
    "estimated_ship_date",
    "promised_ship_date",
    "expected_delivery_date",
    "first_shipped_at",
    "updated_at",
    "last_error",
)


@dataclass
class OrderViews:
    store: Store
    renderer: Renderer
    # The ConnectWise link on the PO page (web/po_customer.py): each tenant's own ConnectWise, else these.
    settings: Settings | None = None
    tenant_settings: dict[str, Settings] = field(default_factory=dict)
    reach_enabled: bool = False  # only for the PO page's "who was told what" hint

    def _filter(self, request: Request) -> tuple[FactsFilter, dict[str, Any]]:
        stage = params.stage(request)
        chosen: dict[str, Any] = {
            "tenant": params.text(request, "tenant"),
            "stage": stage.name.lower() if stage else None,
            "carrier": params.text(request, "carrier"),
            "warehouse": params.text(request, "warehouse", limit=20),
            "q": params.text(request, "q"),
            "alerts": params.text(request, "alerts") == "open",
        }
        po_ids = None
        if chosen["alerts"]:
            open_ones = list_alerts(self.store, tenant=chosen["tenant"], state="open", limit=EXPORT_LIMIT)
            po_ids = tuple(sorted({a.po_id for a in open_ones}))
        f = FactsFilter(
            tenant=chosen["tenant"],
            stages=(stage,) if stage else (),
            carrier=chosen["carrier"],
            warehouse=chosen["warehouse"],
            text=chosen["q"],
            po_ids=po_ids,
        )
        return f, chosen

    async def orders(self, request: Request) -> Response:
        f, chosen = self._filter(request)
        page = params.number(request, "page", 1)
        rows = list_facts(self.store, f, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        total = count_facts(self.store, f)
        carriers, warehouses = facet_values(self.store, f.tenant)
        badges = open_alert_counts(self.store, f.tenant, [r.po_id for r in rows])
        context = {
            "tab": "orders",
            "rows": rows,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "chosen": chosen,
            "carriers": carriers,
            "warehouses": warehouses,
            "tenants": known_tenants(self.store),
            "badges": badges,
        }
        return self.renderer.page(request, "orders.html", context)

    async def orders_csv(self, request: Request) -> Response:
        """The rows the list shows: the same filters, the current page unless `all=1`."""
        f, _ = self._filter(request)
        if request.query_params.get("all") == "1":
            rows = list_facts(self.store, f, limit=EXPORT_LIMIT)
        else:
            page = params.number(request, "page", 1)
            rows = list_facts(self.store, f, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        return csv_response(ORDER_COLUMNS, (_order_cells(r) for r in rows), "orderbridge-orders.csv")

    async def timeline(self, request: Request) -> Response:
        tenant = str(request.path_params["tenant"])
        po_id = int(request.path_params["po_id"])
        facts = list_facts(self.store, FactsFilter(tenant=tenant, po_ids=(po_id,)), limit=1)
        events = self.store.events_for(tenant, po_id)
        activity = self.store.query_activity(ActivityFilter(tenant=tenant, po_id=po_id, limit=500))
        if not facts and not events and not activity:
            return self.renderer.page(
                request, "missing.html", {"tab": "orders", "what": f"PO id {po_id} of tenant {tenant}"}, status_code=404
            )
        alerts = list_alerts(self.store, tenant=tenant, po_id=po_id, state="all")
        row = facts[0] if facts else None
        # Only http(s) links are rendered, whatever the stored facts hold (rendering.web_url).
        urls = {t.number: web_url(t.url) for t in row.tracking} if row else {}
        context = {
            "tab": "orders",
            "tenant": tenant,
            "po_id": po_id,
            "facts": row,
            "po_number": (row.po_number if row else None) or next((a.po_number for a in activity if a.po_number), None),
            "steps": _steps(row),
            "items": timeline_items(events, activity, alerts),
            "open_alerts": [a for a in alerts if a.is_open],
            "urls": urls,
            "packages": po_packages(self.store, tenant, po_id, urls),  # web/packages.py, packages.html
            "customer": customer_view(
                self.store, self.tenant_settings.get(tenant, self.settings), tenant, po_id, activity
            ),
            "told": messages_for(self.store, tenant, po_id),
            "reach_enabled": self.reach_enabled,
        }
        return self.renderer.page(request, "timeline.html", context)


def _order_cells(row: FactsRow) -> list[Any]:
    return [
        row.tenant,
        row.po_id,
        row.po_number,
        row.stage.label if row.stage else "",
        row.carrier,
        row.ship_method_name,
        " ".join(t.number for t in row.tracking),
        " ".join(row.warehouses),
        " ".join(row.sales_orders),
        row.estimated_ship_date.isoformat() if row.estimated_ship_date else "",
        row.promised_ship_date.isoformat() if row.promised_ship_date else "",
        row.expected_delivery_date.isoformat() if row.expected_delivery_date else "",
        row.first_shipped_at.isoformat() if row.first_shipped_at else "",
        row.updated_at.isoformat(),
        row.last_error,
    ]


@dataclass(frozen=True)
class Step:
    stage: Stage
    reached: bool
    at: datetime | None


def _steps(row: FactsRow | None) -> list[Step]:
    current = row.stage if row else None
    return [
        Step(stage, current is not None and stage <= current, row.reached(stage) if row else None) for stage in Stage
    ]


@dataclass(frozen=True)
class Item:
    at: datetime
    kind: str  # css class: stage, shipment, write, observe, error, alert, note
    title: str
    detail: str = ""
    tracking: Sequence[str] = ()


def timeline_items(
    events: Iterable[EventRecord], activity: Iterable[ActivityEntry], alerts: Iterable[AlertRecord]
) -> list[Item]:
    items: list[Item] = []
    for event in events:
        posted = f"Note {event.note_id} posted on the ConnectWise PO" if event.note_id else ""
        if event.kind == "stage_changed":
            items.append(Item(event.occurred_at, "stage", event.summary, posted))
        elif event.kind == "shipment":
            numbers = [str(n) for n in event.details.get("tracking_numbers", [])]
            items.append(Item(event.occurred_at, "shipment", event.summary, posted, tracking=numbers))
        else:
            items.append(Item(event.occurred_at, "note", event.summary, event.kind.replace("_", " ")))
    for entry in activity:
        # Events (and the PO notes written for them) are already on the timeline from the events table.
        if entry.action in ("event", "note"):
            continue
        if entry.action == "attention":
            items.append(Item(entry.at, "error", "Flagged as needing attention", entry.reason))
            continue
        if entry.action == "write":
            detail = f"{cw_value(entry.old_value)} → {cw_value(entry.new_value)}"
            items.append(Item(entry.at, "write", f"Wrote {entry.field} in ConnectWise", f"{detail} · {entry.reason}"))
        elif entry.action == "error":
            items.append(Item(entry.at, "error", "Check failed", entry.reason))
        elif entry.action == "observe":
            items.append(Item(entry.at, "observe", "TD SYNNEX answer changed", entry.new_value or ""))
        else:
            items.append(Item(entry.at, "note", entry.action, entry.reason))
    for alert in alerts:
        label = RULE_LABELS.get(alert.rule, alert.rule)
        items.append(Item(alert.opened_at, "alert", f"Alert opened: {label}", alert.message))
        if alert.resolved_at is not None:
            items.append(Item(alert.resolved_at, "resolved", f"Alert resolved: {label}", alert.message))
    return sorted(items, key=lambda item: item.at, reverse=True)
