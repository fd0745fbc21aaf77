"""The demo tenant and the helpers that seed records into any tenant.

Seeded records go through the same write pipeline as API writes (`writes.create`), as the tenant's admin
rather than the API member, and without validation so a test can also seed data the API would refuse.

Shipment-method tracking URLs use `{n}` for the tracking number, the template form of td-synnex.md §6.3.
ConnectWise's own placeholder convention is UNCONFIRMED, so consumers should also cope with a URL that has
no placeholder (append the number) — "Expeditors LTL" and "Will Call" have no URL at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import custom_fields, writes
from .kinds import LINE_ITEM, PURCHASE_ORDER, SHIPMENT_METHOD, STATUS, stamp
from .tables import Record

if TYPE_CHECKING:
    from .state import ConnectWiseState

FEDEX = "https://www.fedex.com/fedextrack/?trknbr={n}"
UPS = "https://www.ups.com/track?tracknum={n}"
SHIPMENT_METHODS: tuple[tuple[str, str | None], ...] = (
    ("FedEx Ground", FEDEX),
    ("FedEx Priority Overnight", FEDEX),
    ("FedEx Standard Overnight", FEDEX),
    ("UPS Ground", UPS),
    ("UPS Next Day Air", UPS),
    ("UPS 3 Day Select", UPS),
    ("USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels={n}"),
    ("DHL Express", "https://www.dhl.com/en/express/tracking.html?AWB={n}"),
    ("Expeditors LTL", None),
    ("Purolator", "https://www.purolator.com/en/shipping/tracker?pin={n}"),
    ("Will Call", None),
)
# One tenant's real list (TRI, reference §3.4): open statuses, then the two closed ones.
STATUSES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("New", {"defaultFlag": True}),
    ("Sent to Vendor", {}),
    ("On Order", {}),
    ("Backordered", {}),
    ("Received In Full", {"closedFlag": True, "defaultClosedFlag": True}),
    ("Cancelled", {"closedFlag": True}),
)
TRACKING_FIELD_ID = 7
_FLAG_NAMES = {
    "default": "defaultFlag",
    "default_closed": "defaultClosedFlag",
    "inactive": "inactiveFlag",
    "sort_order": "sortOrder",
}


def seed_defaults(state: ConnectWiseState) -> None:
    """Statuses, terms, vendor, warehouse, currency, shipment methods and the "Send to TDS" checkbox.

    Idempotent: `ConnectWiseState()` already seeds, and calling this again on it changes nothing.
    """
    if state.has_default_seed:
        return
    state.has_default_seed = True
    for order, (name, flags) in enumerate(STATUSES, start=1):
        add_status(state, name, sortOrder=order, **flags)
    state.terms.insert({"name": "Net 30"})
    state.companies.insert({"identifier": "TDSynnex", "name": "TD SYNNEX"})
    state.warehouses.insert({"name": "Main", "lockedFlag": False})
    state.currencies.insert({"symbol": "$", "currencyCode": "USD", "name": "US Dollars"})
    state.units_of_measure.insert({"name": "Each"})
    state.note_types.insert({"name": "General"})  # real note type ids/names are UNCONFIRMED
    for name, url in SHIPMENT_METHODS:
        add_shipment_method(state, name, url)
    add_custom_field(state, state.tracking_caption, "Checkbox", field_id=TRACKING_FIELD_ID)


def add_status(state: ConnectWiseState, name: str, *, closed: bool = False, **flags: Any) -> Record:
    body = {"name": name, "closedFlag": closed}
    body.update({_FLAG_NAMES.get(key, key): value for key, value in flags.items()})
    return writes.create(state, STATUS, body, member=state.seed_member, strict=False)


def add_shipment_method(state: ConnectWiseState, name: str, tracking_url: str | None = None) -> Record:
    body = {"name": name} if tracking_url is None else {"name": name, "trackingUrl": tracking_url}
    return writes.create(state, SHIPMENT_METHOD, body, member=state.seed_member, strict=False)


def add_custom_field(
    state: ConnectWiseState,
    caption: str,
    type: str = "Checkbox",
    *,
    entry_method: str = "EntryField",
    screen: str = custom_fields.PO_SCREEN,
    field_id: int | None = None,
) -> Record:
    """A user-defined field definition; every existing record on its screen gains an unset entry."""
    if type not in custom_fields.FIELD_TYPES:
        raise ValueError(f"custom field type must be one of {', '.join(custom_fields.FIELD_TYPES)}")
    if entry_method not in custom_fields.ENTRY_METHODS:
        raise ValueError(f"entry method must be one of {', '.join(custom_fields.ENTRY_METHODS)}")
    definition: Record = {
        "podId": screen,
        "caption": caption,
        "sequenceNumber": len(state.custom_definitions(screen)) + 1,
        "screenId": screen,
        "helpText": "",
        "fieldTypeIdentifier": type,
        "numberDecimals": 0,
        "entryTypeIdentifier": entry_method,
        "requiredFlag": False,
        "displayOnScreenFlag": True,
        "readOnlyFlag": False,
        "listViewFlag": False,
        "options": [],
        "businessUnitIds": [],
        "locationIds": [],
        "dateCreated": state.now_text(),
        "_info": stamp(state, None, state.seed_member),
    }
    if field_id is not None:
        definition["id"] = field_id
    state.custom_fields.insert(definition)
    kind = PURCHASE_ORDER if screen == custom_fields.PO_SCREEN else LINE_ITEM
    if screen in (custom_fields.PO_SCREEN, custom_fields.LINE_SCREEN):
        for record in kind.table(state).rows.values():
            record.setdefault("customFields", []).append(custom_fields.entry(definition))
    return definition


def _product(spec: dict[str, Any]) -> dict[str, Any]:
    product = spec.get("product", spec.get("productIdentifier", spec.get("product_identifier")))
    if isinstance(product, dict):
        return product
    if not isinstance(product, str):
        raise ValueError("each seeded line needs a product identifier (key 'product' or 'productIdentifier')")
    return {"identifier": product}


def add_purchase_order(
    state: ConnectWiseState,
    *,
    po_number: str,
    status_name: str,
    vendor_identifier: str,
    tracked: bool,
    custom: dict[str, Any],
    vendor_order_number: str | None,
    lines: list[dict[str, Any]],
    fields: dict[str, Any],
) -> Record:
    if state.statuses.find("name", status_name) is None:
        raise ValueError(f"no purchase order status named {status_name!r}; add it with add_status first")
    if state.companies.find("identifier", vendor_identifier) is None:
        state.companies.insert({"identifier": vendor_identifier, "name": vendor_identifier})
    values = dict(custom)
    if tracked:
        if not any(d["caption"] == state.tracking_caption for d in state.custom_definitions()):
            raise ValueError(f"tracked=True needs the {state.tracking_caption!r} custom field; add_custom_field it")
        values[state.tracking_caption] = True
    body: dict[str, Any] = {
        "poNumber": po_number,
        "status": {"name": status_name},
        "vendorCompany": {"identifier": vendor_identifier},
        "customFields": [{"caption": caption, "value": value} for caption, value in values.items()],
    }
    first_terms, first_warehouse = next(state.terms.scan(), None), next(state.warehouses.scan(), None)
    if first_terms is not None:
        body["terms"] = {"id": first_terms["id"]}
    if first_warehouse is not None:
        body["warehouse"] = {"id": first_warehouse["id"]}
    if vendor_order_number is not None:
        body["vendorOrderNumber"] = vendor_order_number
    body.update(fields)
    po = writes.create(state, PURCHASE_ORDER, body, member=state.seed_member, strict=False)
    for number, spec in enumerate(lines, start=1):
        extra = {k: v for k, v in spec.items() if k not in ("product", "productIdentifier", "product_identifier")}
        line_body: dict[str, Any] = {"lineNumber": number, "quantity": 1, "unitOfMeasure": {"name": "Each"}}
        line_body.update({"product": _product(spec), "description": _product(spec).get("identifier", "")})
        line_body.update(extra)
        writes.create(state, LINE_ITEM, line_body, parent=po, member=state.seed_member, strict=False)
    return po
