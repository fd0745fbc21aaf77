"""Which fields each simulated record has, their types, limits and what they reference.

Taken from the 2025.8 spec as summarised in connectwise-psa.md §3.2–§3.6 and §4.2. One table drives
validation, condition field checks and PATCH path checks, so the three can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class FieldSpec:
    type: str  # str | int | float | bool | datetime | enum | ref | custom | any
    max_length: int | None = None
    required: bool = False
    required_on_update: bool = False
    read_only: bool = False
    lookup: str | None = None  # state lookup table a reference must resolve against; None = stored as sent
    choices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RecordSchema:
    resource: str  # name used in InvalidObject bodies, e.g. "purchaseOrder"
    label: str  # name used in NotFound messages, e.g. "Purchase Order"
    fields: dict[str, FieldSpec]
    _folded: dict[str, str] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        self._folded.update({name.lower(): name for name in self.fields})

    def canonical(self, name: str) -> str | None:
        """Field name as the API spells it; lookups by clients are case-insensitive (reference §2.1)."""
        return self._folded.get(name.lower())

    def knows(self, path: str) -> bool:
        """Whether a condition/orderBy path names a real field. Sub-keys of references are not checked."""
        head, _, rest = path.partition("/")
        if head.lower() == "lastupdated" and not rest:
            # "All objects react to the LastUpdated query even if no such field exists" (AMP, reference §2.1).
            return True
        name = self.canonical(head)
        if name is None:
            return False
        if not rest:
            return True
        return self.fields[name].type in ("ref", "any", "custom") or name == "_info"


_S = FieldSpec("str")
_B = FieldSpec("bool")
_I = FieldSpec("int")
_F = FieldSpec("float")
_D = FieldSpec("datetime")
_REF = FieldSpec("ref")
_RO = FieldSpec("any", read_only=True)


def _text(limit: int, *, required: bool = False, required_on_update: bool = False) -> FieldSpec:
    return FieldSpec("str", max_length=limit, required=required, required_on_update=required_on_update)


def _ref(lookup: str, *, required: bool = False) -> FieldSpec:
    return FieldSpec("ref", lookup=lookup, required=required)


_CUSTOMER = {
    f"customer{part}": _S
    for part in ("City", "Extension", "Name", "Phone", "SiteName", "State", "StreetLine1", "StreetLine2", "Zip")
}

PURCHASE_ORDER = RecordSchema(
    resource="purchaseOrder",
    label="Purchase Order",
    fields={
        "id": FieldSpec("int", read_only=True),
        "businessUnitId": _I,
        "businessUnit": _REF,
        "cancelReason": _S,
        # Follows the status; a direct write is refused (SPEC: "can only be updated via ... status").
        "closedFlag": FieldSpec("bool", read_only=True),
        "closedBy": FieldSpec("str", read_only=True),
        **_CUSTOMER,
        "customerCompany": _REF,
        "customerContact": _REF,
        "customerCountry": _REF,
        "customerSite": _REF,
        "dateClosed": FieldSpec("datetime", read_only=True),
        "dropShipCustomerFlag": _B,
        "enteredBy": FieldSpec("str", read_only=True),
        "freightCost": _F,
        "freightTaxTotal": _F,
        "salesTax": _F,
        # Totals are computed from the lines here; their writability on the real API is UNCONFIRMED.
        "subTotal": FieldSpec("float", read_only=True),
        "total": FieldSpec("float", read_only=True),
        "freightPackingSlip": _S,
        "internalNotes": _S,
        "locationId": _I,
        "location": _REF,
        "poDate": FieldSpec("datetime", required_on_update=True),
        "poNumber": _text(50, required_on_update=True),
        "shipmentDate": _D,
        "shipmentMethod": _ref("shipmentMethods"),
        "shippingInstructions": _S,
        "status": _ref("statuses", required=True),
        "taxCode": _REF,
        "taxFreightFlag": _B,
        "taxPoFlag": _B,
        "terms": _ref("terms", required=True),
        "trackingNumber": _text(50),
        "updateShipmentInfo": _B,
        "updateVendorOrderNumber": _B,
        "vendorCompany": _ref("companies", required=True),
        "vendorContact": _REF,
        "vendorInvoiceDate": _D,
        "vendorInvoiceNumber": _text(50),
        "vendorOrderNumber": _text(50),
        "vendorSite": _REF,
        "warehouse": _ref("warehouses"),
        "warehouseContact": _REF,
        "currency": _ref("currencies"),
        "_info": _RO,
        "customFields": FieldSpec("custom"),
    },
)

RECEIVED_STATUSES = ("Waiting", "FullyReceived", "PartiallyReceiveCancelRest", "PartiallyReceiveCloneRest")

LINE_ITEM = RecordSchema(
    resource="purchaseOrderLineItem",
    label="Purchase Order Line Item",
    fields={
        "id": FieldSpec("int", read_only=True),
        "backorderedFlag": _B,
        "canceledBy": FieldSpec("str", read_only=True),
        "canceledFlag": _B,
        "canceledReason": _text(100),
        "closedFlag": _B,
        "dateCanceled": _D,
        "dateCanceledUtc": _D,
        "description": _text(6000, required=True),
        "displayInternalNotesFlag": _B,
        "expectedShipDate": _D,
        "internalNotes": _text(1000),
        "lineNumber": FieldSpec("int", required=True),
        "packingSlip": _text(50),
        "product": _ref("products", required=True),
        "purchaseOrderId": FieldSpec("int", read_only=True),
        "purchaseOrderNumber": FieldSpec("str", read_only=True),
        "quantity": FieldSpec("float", required=True),
        "receivedQuantity": _I,
        "serialNumbers": _S,
        "shipDate": _D,
        "shipmentMethod": _ref("shipmentMethods"),
        "tax": _F,
        "trackingNumber": _text(50),
        "unitCost": _F,
        "unitOfMeasure": _ref("unitsOfMeasure", required=True),
        "vendorOrderNumber": _text(50),
        "vendorSku": _text(50),
        "warehouse": _ref("warehouses"),
        "warehouseBin": _REF,
        "shipSet": _text(10),
        "dateReceived": _D,
        "receivedStatus": FieldSpec("enum", choices=RECEIVED_STATUSES),
        "extCost": FieldSpec("float", read_only=True),
        "expectedArrivalDate": _D,
        "isDetachAvailable": FieldSpec("bool", read_only=True),
        "batchedFlag": _B,
        "unbatchedRecId": _I,
        "salesOrder": FieldSpec("any"),
        "_info": _RO,
        "customFields": FieldSpec("custom"),
    },
)

STATUS = RecordSchema(
    resource="purchaseOrderStatus",
    label="Purchase Order Status",
    fields={
        "id": FieldSpec("int", read_only=True),
        "name": _text(50, required=True),
        "defaultFlag": _B,
        "closedFlag": _B,
        "inactiveFlag": _B,
        "defaultClosedFlag": _B,
        "sortOrder": _I,
        "emailTemplate": _REF,
        "_info": _RO,
    },
)

SHIPMENT_METHOD = RecordSchema(
    resource="shipmentMethod",
    label="Shipment Method",
    fields={
        "id": FieldSpec("int", read_only=True),
        "name": _text(50, required=True),
        "defaultFlag": _B,
        "trackingUrl": _text(200),
        "_info": _RO,
    },
)

NOTE = RecordSchema(
    resource="purchaseOrderNote",
    label="Purchase Order Note",
    fields={
        "id": FieldSpec("int", read_only=True),
        "purchaseHeaderRecID": FieldSpec("int", read_only=True),
        "text": _S,
        "type": _ref("noteTypes"),
        "flagged": _B,
        "enteredBy": FieldSpec("str", read_only=True),
        "_info": _RO,
    },
)

_UDF_FIELDS = (
    *("id", "podId", "caption", "sequenceNumber", "screenId", "helpText", "fieldTypeIdentifier"),
    *("numberDecimals", "entryTypeIdentifier", "requiredFlag", "displayOnScreenFlag", "readOnlyFlag"),
    *("listViewFlag", "buttonUrl", "options", "businessUnitIds", "locationIds", "connectWiseID", "dateCreated"),
    "_info",
)
USER_DEFINED_FIELD = RecordSchema(
    resource="userDefinedField",
    label="User Defined Field",
    fields={name: FieldSpec("any", read_only=True) for name in _UDF_FIELDS},
)
