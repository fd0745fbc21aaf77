"""ConnectWise wire models: the JSON shapes of the procurement API, and their turn into domain types.

Kept apart from the client so parsing can be tested on golden JSON without any HTTP. Every model
ignores unknown keys (the DG: adding fields is not a breaking change) and treats every field but `id`
as optional, because live records omit empty fields (connectwise-psa.md §9.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
)
from pydantic.alias_generators import to_camel

from orderbridge.core import domain


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _to_utc(value: datetime | None) -> datetime | None:
    # ConnectWise writes UTC with a `Z`; a value without an offset is read as UTC too, not local.
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDatetime = Annotated[datetime | None, BeforeValidator(_blank_to_none), AfterValidator(_to_utc)]
_UTC_DATETIME: TypeAdapter[datetime | None] = TypeAdapter(UtcDatetime)


def parse_utc(raw: Any) -> datetime | None:
    """A lenient read of a date in `_info` (a string map): None when absent or not a date."""
    try:
        return _UTC_DATETIME.validate_python(raw)
    except ValidationError:
        return None


# Empty scalars may come as "", null or not at all (UNCONFIRMED which); all three read as None.
OptionalText = Annotated[str | None, BeforeValidator(_blank_to_none)]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, alias_generator=to_camel, frozen=True)


class ReferenceModel(_Wire):
    """Any `{id, name, identifier, _info}` reference: status, shipment method, vendor, product."""

    id: int | None = None
    name: str | None = None
    identifier: str | None = None

    def to_domain(self) -> domain.Reference:
        return domain.Reference(id=self.id, name=self.name or self.identifier)


def _reference(model: ReferenceModel | None) -> domain.Reference | None:
    return model.to_domain() if model is not None and (model.id is not None or model.name) else None


class CustomFieldValueModel(_Wire):
    id: int | None = None
    caption: str = ""
    type: str | None = None
    entry_method: str | None = None
    number_of_decimals: int | None = None
    value: Any = None  # untyped on the wire: bool for checkboxes, str, number or null
    connect_wise_id: str | None = Field(default=None, validation_alias=AliasChoices("connectWiseId", "connectWiseID"))

    def to_domain(self) -> domain.CustomField:
        return domain.CustomField(
            id=self.id,
            caption=self.caption,
            type=self.type or "Text",
            entry_method=self.entry_method or "EntryField",
            number_of_decimals=self.number_of_decimals or 0,
            value=self.value,
        )


def _last_updated(info: dict[str, Any] | None) -> datetime | None:
    return parse_utc((info or {}).get("lastUpdated"))


class PurchaseOrderModel(_Wire):
    id: int
    po_number: OptionalText = None
    po_date: UtcDatetime = None
    status: ReferenceModel | None = None
    vendor_company: ReferenceModel | None = None
    closed_flag: bool | None = None
    vendor_order_number: OptionalText = None
    tracking_number: OptionalText = None
    shipment_date: UtcDatetime = None
    shipment_method: ReferenceModel | None = None
    vendor_invoice_number: OptionalText = None
    vendor_invoice_date: UtcDatetime = None
    internal_notes: OptionalText = None
    customer_company: ReferenceModel | None = None
    customer_contact: ReferenceModel | None = None
    customer_site: ReferenceModel | None = None
    customer_name: OptionalText = None
    drop_ship_customer_flag: bool | None = None
    custom_fields: list[CustomFieldValueModel] | None = None
    info: dict[str, Any] | None = Field(default=None, alias="_info")

    def to_domain(self) -> domain.PurchaseOrder:
        return domain.PurchaseOrder(
            id=self.id,
            po_number=self.po_number,
            status=_reference(self.status),
            closed_flag=bool(self.closed_flag),
            vendor_order_number=self.vendor_order_number,
            tracking_number=self.tracking_number,
            shipment_date=self.shipment_date,
            shipment_method=_reference(self.shipment_method),
            vendor_invoice_number=self.vendor_invoice_number,
            vendor_invoice_date=self.vendor_invoice_date,
            last_updated=_last_updated(self.info),
            custom_fields=tuple(field.to_domain() for field in self.custom_fields or ()),
            lines=None,
            customer_company=_reference(self.customer_company),
            customer_contact=_reference(self.customer_contact),
            customer_site=_reference(self.customer_site),
            customer_name=self.customer_name,
            drop_ship=self.drop_ship_customer_flag,
        )


class PurchaseOrderLineItemModel(_Wire):
    id: int
    purchase_order_id: int | None = None
    line_number: int | None = None
    description: OptionalText = None
    product: ReferenceModel | None = None
    vendor_sku: OptionalText = None
    quantity: float | None = None
    received_quantity: int | None = None
    received_status: OptionalText = None
    tracking_number: OptionalText = None
    ship_date: UtcDatetime = None
    shipment_method: ReferenceModel | None = None
    vendor_order_number: OptionalText = None
    serial_numbers: OptionalText = None
    expected_ship_date: UtcDatetime = None
    expected_arrival_date: UtcDatetime = None
    date_received: UtcDatetime = None
    backordered_flag: bool | None = None
    canceled_flag: bool | None = None
    canceled_reason: OptionalText = None
    custom_fields: list[CustomFieldValueModel] | None = None
    info: dict[str, Any] | None = Field(default=None, alias="_info")

    def to_domain(self) -> domain.PurchaseOrderLine:
        return domain.PurchaseOrderLine(
            id=self.id,
            line_number=self.line_number,
            description=self.description,
            product_identifier=self.product.identifier if self.product else None,
            vendor_sku=self.vendor_sku,
            quantity=self.quantity,
            tracking_number=self.tracking_number,
            ship_date=self.ship_date,
            shipment_method=_reference(self.shipment_method),
            vendor_order_number=self.vendor_order_number,
            serial_numbers=self.serial_numbers,
            expected_ship_date=self.expected_ship_date,
            expected_arrival_date=self.expected_arrival_date,
            backordered_flag=self.backordered_flag,
            canceled_flag=self.canceled_flag,
            canceled_reason=self.canceled_reason,
            received_quantity=self.received_quantity,
            received_status=self.received_status,
            date_received=self.date_received,
        )


class PurchaseOrderStatusModel(_Wire):
    id: int
    name: str
    closed_flag: bool | None = None
    inactive_flag: bool | None = None
    default_flag: bool | None = None
    default_closed_flag: bool | None = None
    sort_order: int | None = None

    def to_domain(self) -> domain.PurchaseOrderStatus:
        return domain.PurchaseOrderStatus(
            id=self.id, name=self.name, closed_flag=bool(self.closed_flag), inactive_flag=bool(self.inactive_flag)
        )


class ShipmentMethodModel(_Wire):
    id: int
    name: str
    tracking_url: OptionalText = None
    default_flag: bool | None = None

    def to_domain(self) -> domain.ShipmentMethod:
        return domain.ShipmentMethod(id=self.id, name=self.name, tracking_url=self.tracking_url)


@dataclass(frozen=True, slots=True)
class PurchaseOrderNote:
    """A note on a PO, as the sync reads it back to avoid writing the same note twice."""

    id: int
    text: str
    flagged: bool = False
    entered_by: str | None = None
    date_entered: datetime | None = None


class PurchaseOrderNoteModel(_Wire):
    id: int
    purchase_header_rec_id: int | None = Field(
        default=None, validation_alias=AliasChoices("purchaseHeaderRecID", "purchaseHeaderRecId")
    )
    text: str | None = None
    type: ReferenceModel | None = None
    flagged: bool | None = None
    entered_by: str | None = None
    info: dict[str, Any] | None = Field(default=None, alias="_info")

    def to_domain(self) -> PurchaseOrderNote:
        info = self.info or {}
        return PurchaseOrderNote(
            id=self.id,
            text=self.text or "",
            flagged=bool(self.flagged),
            entered_by=self.entered_by or info.get("enteredBy"),
            date_entered=parse_utc(info.get("dateEntered")),
        )


@dataclass(frozen=True, slots=True)
class CustomFieldDefinition:
    """A user-defined field as `setup` checks it: does the tracking checkbox exist, and where."""

    id: int
    caption: str
    field_type: str | None = None
    pod_id: str | None = None
    screen_id: str | None = None


class UserDefinedFieldModel(_Wire):
    id: int
    caption: str
    pod_id: str | None = None
    screen_id: str | None = None
    field_type_identifier: str | None = None
    entry_type_identifier: str | None = None
    sequence_number: int | None = None
    required_flag: bool | None = None
    read_only_flag: bool | None = None

    def to_domain(self) -> CustomFieldDefinition:
        return CustomFieldDefinition(
            id=self.id,
            caption=self.caption,
            field_type=self.field_type_identifier,
            pod_id=self.pod_id,
            screen_id=self.screen_id,
        )


class ValidationErrorModel(_Wire):
    code: str | None = None
    message: str | None = None
    resource: str | None = None
    field: str | None = None


class ErrorBody(_Wire):
    """`{code, message, errors[]}`; the 429 body says `error` where the others say `code` (DG)."""

    code: str | None = Field(default=None, validation_alias=AliasChoices("code", "error"))
    message: str | None = None
    errors: list[ValidationErrorModel] | None = None

    def summary(self) -> str:
        """`InvalidObject: trackingNumber: max length 50` — the code, then each field and what is wrong."""
        details = [
            f"{item.field}: {item.message or item.code}" if item.field else (item.message or item.code or "")
            for item in self.errors or ()
        ]
        details = [detail for detail in details if detail]
        text = "; ".join(details) if details else (self.message or "")
        return f"{self.code}: {text}" if self.code and text else (self.code or text or "no detail given")
