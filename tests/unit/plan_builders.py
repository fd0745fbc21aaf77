"""Builders for planner tests: a tenant's status and shipment-method tables, POs and TD SYNNEX orders.

Shared by every planner test (test_plan*.py, test_lines.py, test_shipping.py, test_closing.py...) so they
all speak of the same tenant. Also the tiny pure "applier" that stands in for ConnectWise taking a plan's
header, line and custom-field changes, and `remember`, the store's bookkeeping between cycles.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from orderbridge.config import StatusNames, SyncSettings
from orderbridge.core.domain import (
    CustomField,
    DistributorLine,
    DistributorOrder,
    FieldChange,
    Invoice,
    Package,
    Plan,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    Reference,
    ShipmentMethod,
    Stage,
    StatusCode,
)
from orderbridge.rules.plan import PlanContext, PriorState

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
ACCEPTED_PRIOR = PriorState(Stage.ACCEPTED, "TDS Accepted", event_keys=frozenset({"stage:ACCEPTED"}))
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


def ctx(
    *,
    statuses: tuple[PurchaseOrderStatus, ...] = STATUSES,
    release_on_fees: bool = True,
    now: datetime = NOW,
    methods: tuple[ShipmentMethod, ...] = METHODS,
    **sync: Any,
) -> PlanContext:
    return PlanContext(
        status_names=NAMES,
        statuses={s.name.casefold(): s for s in statuses},
        shipment_methods=methods,
        now=now,
        release_on_fees=release_on_fees,
        sync=SyncSettings(**sync),
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
    quantity: int = 1,
    shipped_quantity: int | None = None,
    sku: str | None = None,
    mfg_pn: str | None = None,
    eta: date | None = None,
    estimated_ship: date | None = None,
    estimated_delivery: date | None = None,
    packages: tuple[Package, ...] | None = None,
) -> DistributorLine:
    if shipped_quantity is None:
        shipped_quantity = quantity if shipped_at else 0
    return DistributorLine(
        line_number=n,
        code=StatusCode.parse(code),
        raw_code=code,
        order_number=so,
        order_type=order_type,
        order_quantity=quantity,
        sku=sku or f"SKU{n}",
        mfg_pn=mfg_pn or f"MPN-{n}",
        ship_quantity=shipped_quantity,
        ship_datetime=shipped_at,
        warehouse=warehouse,
        ship_method=method[0],
        ship_method_description=method[1],
        eta_date=eta,
        estimated_ship_date=estimated_ship,
        estimated_delivery_date=estimated_delivery,
        fees_present=fees,
        packages=packages if packages is not None else tuple(Package(t, ship_item_quantity=1) for t in tracking),
    )


def cw_line(n: int | None, *, line_id: int | None = None, **fields: Any) -> PurchaseOrderLine:
    """A ConnectWise PO line as the engine reads it; ids 9000+n so a test can tell lines from the header."""
    fields.setdefault("vendor_sku", f"SKU{n}" if n is not None else None)
    fields.setdefault("product_identifier", f"MPN-{n}" if n is not None else None)
    return PurchaseOrderLine(id=line_id if line_id is not None else 9000 + (n or 0), line_number=n, **fields)


def cw_lines(*numbers: int) -> tuple[PurchaseOrderLine, ...]:
    return tuple(cw_line(n) for n in numbers)


def invoice(number: str, day: date | None, *, so: str = "41000001", total: str | None = "100.00") -> Invoice:
    return Invoice(number, day, order_number=so, total=Decimal(total) if total is not None else None)


def order(*lines: DistributorLine, code: str = "accepted", reason: str | None = None) -> DistributorOrder:
    return DistributorOrder("100001", "PO-1001", StatusCode.parse(code), code, reason=reason, lines=lines)


def _parse_cw_datetime(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


_HEADER_FIELDS = {
    "trackingNumber": "tracking_number",
    "vendorOrderNumber": "vendor_order_number",
    "vendorInvoiceNumber": "vendor_invoice_number",
}
_LINE_FIELDS = {
    "trackingNumber": "tracking_number",
    "vendorOrderNumber": "vendor_order_number",
    "serialNumbers": "serial_numbers",
    "backorderedFlag": "backordered_flag",
    "canceledFlag": "canceled_flag",
    "canceledReason": "canceled_reason",
}
_DATE_FIELDS = {
    "shipmentDate": "shipment_date",
    "vendorInvoiceDate": "vendor_invoice_date",
    "shipDate": "ship_date",
    "expectedShipDate": "expected_ship_date",
    "expectedArrivalDate": "expected_arrival_date",
}


def _reference(change: FieldChange, methods: dict[int, ShipmentMethod]) -> Reference:
    return Reference(change.new["id"], methods[change.new["id"]].name)


def _custom_fields(current: tuple[CustomField, ...], array: list[dict[str, Any]]) -> tuple[CustomField, ...]:
    # The whole array comes back: every entry keeps its id and caption, only values move.
    assert [entry["id"] for entry in array] == [field.id for field in current]
    return tuple(dataclasses.replace(field, value=entry["value"]) for field, entry in zip(current, array, strict=True))


def _apply_line(line: PurchaseOrderLine, changes: tuple[FieldChange, ...], context: PlanContext) -> PurchaseOrderLine:
    methods = {m.id: m for m in context.shipment_methods}
    updates: dict[str, Any] = {}
    for change in changes:
        if change.field == "shipmentMethod":
            updates["shipment_method"] = _reference(change, methods)
        elif change.field in _DATE_FIELDS:
            updates[_DATE_FIELDS[change.field]] = _parse_cw_datetime(change.new)
        elif change.field in _LINE_FIELDS:
            updates[_LINE_FIELDS[change.field]] = change.new
        else:
            raise AssertionError(f"unexpected line field {change.field}")
    return dataclasses.replace(line, **updates)


def apply(purchase_order: PurchaseOrder, plan: Plan, context: PlanContext) -> PurchaseOrder:
    """What ConnectWise would hold after PATCHing the plan's header and line changes (a stand-in, not our code)."""
    by_id = {s.id: s for s in context.statuses.values()}
    methods = {m.id: m for m in context.shipment_methods}
    updates: dict[str, Any] = {}
    for change in plan.header_changes:
        if change.field == "status":
            updates["status"] = Reference(change.new["id"], by_id[change.new["id"]].name)
        elif change.field == "shipmentMethod":
            updates["shipment_method"] = _reference(change, methods)
        elif change.field in _DATE_FIELDS:
            updates[_DATE_FIELDS[change.field]] = _parse_cw_datetime(change.new)
        elif change.field in _HEADER_FIELDS:
            updates[_HEADER_FIELDS[change.field]] = change.new
        elif change.field == "customFields":
            updates["custom_fields"] = _custom_fields(purchase_order.custom_fields, change.new)
        else:
            raise AssertionError(f"unexpected field {change.field}")
    by_line = plan.line_changes()
    if by_line:
        assert purchase_order.lines is not None, "line changes for a PO whose lines were not fetched"
        known = {line.id for line in purchase_order.lines}
        assert set(by_line) <= known, f"changes for lines the PO does not have: {set(by_line) - known}"
        updates["lines"] = tuple(
            _apply_line(line, by_line[line.id], context) if line.id in by_line else line
            for line in purchase_order.lines
        )
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
