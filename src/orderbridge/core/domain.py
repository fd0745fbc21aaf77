"""Pure value types shared by every layer: what TD SYNNEX says, what ConnectWise holds, and stages.

Nothing here does I/O. Clients turn wire formats into these types; the planner compares them; the
store persists them. Keeping them in one module means a codec change never ripples into the planner.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any


class Stage(enum.IntEnum):
    """Where a PO is in its TD SYNNEX life. Ordered: a stage never moves backwards (DESIGN.md §2)."""

    ACCEPTED = 1
    RELEASED = 2
    SHIPPED = 3
    INVOICED = 4
    CLOSED = 5

    @property
    def label(self) -> str:
        return self.name.capitalize()


class StatusCode(enum.StrEnum):
    """A TD SYNNEX order or line `Code`, normalised. The wire value is kept beside it as `raw_code`."""

    ACCEPTED = "accepted"
    SHIPPED = "shipped"
    INVOICED = "invoiced"
    DELETED = "deleted"
    REJECTED = "rejected"
    NOT_FOUND = "notfound"
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, raw: str | None) -> StatusCode:
        """Case- and spacing-insensitive: `notFound`, `NOT FOUND` and `NOTFOUND` are one code (td-synnex.md §1.4)."""
        if raw is None:
            return cls.UNKNOWN
        key = "".join(raw.split()).replace("_", "").lower()
        for member in cls:
            if member.value == key and member is not cls.UNKNOWN:
                return member
        return cls.UNKNOWN


@dataclass(frozen=True, slots=True)
class Package:
    """One carton. Several lines can share one tracking number (td-synnex.md §1.6)."""

    tracking_number: str | None
    weight: Decimal | None = None
    ship_item_quantity: int | None = None
    serial_numbers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DistributorLine:
    """One `<Item>`: a (PO line x sales order) pair, so `line_number` can repeat within an order."""

    line_number: int
    code: StatusCode
    raw_code: str
    order_number: str | None = None
    order_type: str | None = None
    order_quantity: int | None = None
    unit_price: Decimal | None = None
    sku: str | None = None
    mfg_pn: str | None = None
    product_name: str | None = None
    ship_quantity: int | None = None
    ship_datetime: datetime | None = None
    warehouse: str | None = None
    ship_from_city: str | None = None
    ship_from_state: str | None = None
    ship_from_zip: str | None = None
    ship_method: str | None = None
    ship_method_description: str | None = None
    eta_date: date | None = None
    estimated_ship_date: date | None = None
    estimated_delivery_date: date | None = None
    # Freight/HandlingFee/Tax/RecyclingFee elements on the item: in v2.40 answers once an order is released to
    # ship (spec v2.42), in the real v2.7 answer on every item (td-synnex.md §1.6); stages.py weighs which.
    fees_present: bool = False
    # An explicit release signal: the Partner API line status "Released" (td-synnex.md §3.1). The XML has none.
    released: bool = False
    packages: tuple[Package, ...] = ()

    @property
    def key(self) -> tuple[str, int, str]:
        """TD SYNNEX repeats a line number once per sales order, so lines are keyed by (order, line, SKU)."""
        return (self.order_number or "", self.line_number, self.sku or "")

    @property
    def tracking_numbers(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for package in self.packages:
            if package.tracking_number:
                seen.setdefault(package.tracking_number, None)
        return tuple(seen)

    @property
    def serial_numbers(self) -> tuple[str, ...]:
        return tuple(s for package in self.packages for s in package.serial_numbers)


@dataclass(frozen=True, slots=True)
class DistributorOrder:
    """The answer to one PO Status query: every sales order and line behind one reseller PO."""

    customer_number: str | None
    po_number: str
    code: StatusCode
    raw_code: str
    reason: str | None = None
    po_datetime: datetime | None = None
    response_datetime: datetime | None = None
    version: str | None = None
    lines: tuple[DistributorLine, ...] = ()

    @property
    def live_lines(self) -> tuple[DistributorLine, ...]:
        return tuple(line for line in self.lines if line.code is not StatusCode.DELETED)

    @property
    def order_numbers(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for line in self.lines:
            if line.order_number:
                seen.setdefault(line.order_number, None)
        return tuple(seen)


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    """One `Invoice/Items/Item`: what was billed for one product, with the serials shipped."""

    sku: str | None = None
    mfg_pn: str | None = None
    description: str | None = None
    unit_price: Decimal | None = None
    ship_quantity: int | None = None
    serial_numbers: tuple[str, ...] = ()
    line_number: int | None = None


@dataclass(frozen=True, slots=True)
class Invoice:
    """One TD SYNNEX invoice (a PO can have one per sales order or shipment)."""

    invoice_number: str
    invoice_date: date | None = None
    order_number: str | None = None
    total: Decimal | None = None
    tracking_numbers: tuple[str, ...] = ()
    po_number: str | None = None
    ship_date: date | None = None
    sales_tax: Decimal | None = None
    freight: Decimal | None = None
    lines: tuple[InvoiceLine, ...] = ()

    @property
    def serial_numbers(self) -> tuple[str, ...]:
        return tuple(serial for line in self.lines for serial in line.serial_numbers)


@dataclass(frozen=True, slots=True)
class Reference:
    """A ConnectWise `{id, name}` reference (status, shipment method, vendor...)."""

    id: int | None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class PurchaseOrderStatus:
    id: int
    name: str
    closed_flag: bool = False
    inactive_flag: bool = False


@dataclass(frozen=True, slots=True)
class ShipmentMethod:
    id: int
    name: str
    tracking_url: str | None = None


@dataclass(frozen=True, slots=True)
class CustomField:
    id: int | None
    caption: str
    type: str = "Text"
    entry_method: str = "EntryField"
    number_of_decimals: int = 0
    value: Any = None


@dataclass(frozen=True, slots=True)
class PurchaseOrderLine:
    """A ConnectWise PO line item, with only the fields the sync reads or writes."""

    id: int
    line_number: int | None
    description: str | None = None
    product_identifier: str | None = None
    vendor_sku: str | None = None
    quantity: float | None = None
    tracking_number: str | None = None
    ship_date: datetime | None = None
    shipment_method: Reference | None = None
    vendor_order_number: str | None = None
    serial_numbers: str | None = None
    expected_ship_date: datetime | None = None
    expected_arrival_date: datetime | None = None
    backordered_flag: bool | None = None
    canceled_flag: bool | None = None
    canceled_reason: str | None = None
    # Receiving (rules/fulfilment.py): what ConnectWise says has arrived of this line.
    received_quantity: int | None = None
    received_status: str | None = None
    date_received: datetime | None = None


@dataclass(frozen=True, slots=True)
class PurchaseOrder:
    """A ConnectWise PO header, with only the fields the sync reads or writes."""

    id: int
    po_number: str | None
    status: Reference | None = None
    closed_flag: bool = False
    vendor_order_number: str | None = None
    tracking_number: str | None = None
    shipment_date: datetime | None = None
    shipment_method: Reference | None = None
    vendor_invoice_number: str | None = None
    vendor_invoice_date: datetime | None = None
    last_updated: datetime | None = None
    custom_fields: tuple[CustomField, ...] = ()
    lines: tuple[PurchaseOrderLine, ...] | None = None
    # Who the goods are for (connectwise-psa.md §3.2): configurations and the coordination ticket go on
    # this company; the dashboard shows it. `drop_ship` is `dropShipCustomerFlag` (None: not sent).
    customer_company: Reference | None = None
    customer_contact: Reference | None = None
    customer_site: Reference | None = None
    customer_name: str | None = None
    drop_ship: bool | None = None

    def custom_field(self, caption: str) -> CustomField | None:
        wanted = caption.casefold()
        for custom in self.custom_fields:
            if custom.caption.casefold() == wanted:
                return custom
        return None


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field the planner wants different in ConnectWise. `line_id` is None for the PO header.

    `new` is in ConnectWise's JSON shape already (a reference is `{"id": n}`, a date an ISO string), so
    the action layer turns it into a JSON Patch op without knowing the business rule behind it.
    `new_name` is the name of the record a reference points at ("TDS Shipped"): ConnectWise is sent the
    id alone, people (dry run, activity log, dashboard) read `labelled_new`.
    """

    field: str
    old: Any
    new: Any
    reason: str
    line_id: int | None = None
    new_name: str | None = None

    @property
    def labelled_new(self) -> Any:
        """`new` with the referenced record's name beside its id (`{"id": 7, "name": "TDS Shipped"}`)."""
        if self.new_name and isinstance(self.new, dict) and "id" in self.new:
            return {**self.new, "name": self.new_name}
        return self.new


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened to a PO that people care about: a stage change, a new shipment."""

    kind: str
    summary: str
    stage: Stage | None = None
    key: str = ""
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Note:
    """A PO note the planner wants written. `key` is the event key it belongs to; its text ends with a marker."""

    key: str
    text: str


@dataclass(frozen=True, slots=True)
class Plan:
    """What one PO needs: field changes, events to record, and problems to report. Pure data."""

    po_id: int
    po_number: str | None
    changes: tuple[FieldChange, ...] = ()
    events: tuple[Event, ...] = ()
    problems: tuple[str, ...] = ()
    stage: Stage | None = None
    previous_stage: Stage | None = None
    status_owned_by_person: bool = False
    notes: tuple[Note, ...] = ()
    needs_setup: bool = False  # a problem `orderbridge setup` fixes (a TDS status missing or inactive)

    @property
    def header_changes(self) -> tuple[FieldChange, ...]:
        return tuple(c for c in self.changes if c.line_id is None)

    def line_changes(self) -> dict[int, tuple[FieldChange, ...]]:
        grouped: dict[int, list[FieldChange]] = {}
        for change in self.changes:
            if change.line_id is not None:
                grouped.setdefault(change.line_id, []).append(change)
        return {line_id: tuple(changes) for line_id, changes in grouped.items()}
