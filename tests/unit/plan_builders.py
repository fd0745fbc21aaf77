"""Builders for planner tests: a tenant's status and shipment-method tables, POs and TD SYNNEX orders.

Shared by test_plan.py, test_plan_properties.py and test_shipping.py so every planner test speaks of
the same tenant. Also the tiny pure "applier" that stands in for ConnectWise taking a plan's changes.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from orderbridge.config import StatusNames
from orderbridge.domain import (
    DistributorLine,
    DistributorOrder,
    Package,
    Plan,
    PurchaseOrder,
    PurchaseOrderStatus,
    Reference,
    ShipmentMethod,
    StatusCode,
)
from orderbridge.sync.plan import PlanContext, PriorState

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
NAMES = StatusNames()
STATUSES = (
    PurchaseOrderStatus(1, "TDS Accepted"),
    PurchaseOrderStatus(2, "TDS Released"),
    PurchaseOrderStatus(3, "TDS Shipped"),
    PurchaseOrderStatus(4, "TDS Invoiced"),
    PurchaseOrderStatus(5, "TDS Closed", closed_flag=True),
    PurchaseOrderStatus(10, "On Order"),
    PurchaseOrderStatus(11, "Cancelled", closed_flag=True),
)
METHODS = (
    ShipmentMethod(21, "FedEx Ground", "https://www.fedex.com/fedextrack/?trknbr=[TrackingNumber]"),
    ShipmentMethod(22, "FedEx Priority Overnight"),
    ShipmentMethod(23, "UPS Ground", "https://www.ups.com/track?tracknum=[TrackingNumber]"),
    ShipmentMethod(24, "UPS Next Day Air"),
    ShipmentMethod(25, "Expeditors LTL"),
)


def ctx(*, statuses: tuple[PurchaseOrderStatus, ...] = STATUSES, release_on_fees: bool = True) -> PlanContext:
    return PlanContext(
        status_names=NAMES,
        statuses={s.name.casefold(): s for s in statuses},
        shipment_methods=METHODS,
        now=NOW,
        release_on_fees=release_on_fees,
    )


def status(name: str) -> Reference:
    return next(Reference(s.id, s.name) for s in STATUSES if s.name == name)


def po(status_name: str = "On Order", **fields: Any) -> PurchaseOrder:
    fields.setdefault("po_number", "PO-1001")
    return PurchaseOrder(id=501, status=status(status_name), **fields)


def item(
    n: int,
    code: str = "accepted",
    *,
    so: str = "41000001",
    order_type: str = "SO",
    shipped_at: datetime | None = None,
    tracking: tuple[str, ...] = (),
    method: tuple[str | None, str | None] = ("FG", "FedEx Ground"),
    fees: bool = False,
    warehouse: str | None = "9",
) -> DistributorLine:
    return DistributorLine(
        line_number=n,
        code=StatusCode.parse(code),
        raw_code=code,
        order_number=so,
        order_type=order_type,
        order_quantity=1,
        sku=f"SKU{n}",
        ship_quantity=1 if shipped_at else 0,
        ship_datetime=shipped_at,
        warehouse=warehouse,
        ship_method=method[0],
        ship_method_description=method[1],
        fees_present=fees,
        packages=tuple(Package(t, ship_item_quantity=1) for t in tracking),
    )


def order(*lines: DistributorLine, code: str = "accepted", reason: str | None = None) -> DistributorOrder:
    return DistributorOrder("100001", "PO-1001", StatusCode.parse(code), code, reason=reason, lines=lines)


def _parse_cw_datetime(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def apply(purchase_order: PurchaseOrder, plan: Plan, context: PlanContext) -> PurchaseOrder:
    """What ConnectWise would hold after PATCHing the plan's header changes (a stand-in, not our code)."""
    by_id = {s.id: s for s in context.statuses.values()}
    methods = {m.id: m for m in context.shipment_methods}
    updates: dict[str, Any] = {}
    for change in plan.header_changes:
        if change.field == "status":
            updates["status"] = Reference(change.new["id"], by_id[change.new["id"]].name)
        elif change.field == "shipmentMethod":
            updates["shipment_method"] = Reference(change.new["id"], methods[change.new["id"]].name)
        elif change.field == "shipmentDate":
            updates["shipment_date"] = _parse_cw_datetime(change.new)
        elif change.field == "trackingNumber":
            updates["tracking_number"] = change.new
        elif change.field == "vendorOrderNumber":
            updates["vendor_order_number"] = change.new
        else:
            raise AssertionError(f"unexpected field {change.field}")
    return dataclasses.replace(purchase_order, **updates)


def remember(prior: PriorState, plan: Plan, context: PlanContext) -> PriorState:
    """What the store keeps after a plan ran: the same bookkeeping the engine does."""
    written = prior.written_status
    for change in plan.header_changes:
        if change.field == "status":
            written = next(s.name for s in context.statuses.values() if s.id == change.new["id"])
    return PriorState(
        stage=plan.stage,
        written_status=written,
        person_status=plan.status_owned_by_person,
        event_keys=prior.event_keys | {e.key for e in plan.events},
    )
