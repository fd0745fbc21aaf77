"""The record kinds the simulator serves, and what ConnectWise does on its own when one is written.

Derived fields live here: a PO's `closedFlag` follows its status, totals follow the lines, a line carries
its PO's number, setup-table renames show up in the records that reference them. `writes.py` calls these
hooks around validation, so the API and the Python seeding helpers get identical side effects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import custom_fields, schema
from .tables import ChildTable, Record, Table

if TYPE_CHECKING:
    from .state import ConnectWiseState


@dataclass(slots=True)
class Write:
    """One write in progress: the candidate record and what it was written over."""

    state: ConnectWiseState
    record: Record
    previous: Record | None  # None on create
    parent: Record | None  # the PO, for line items and notes
    member: str
    commands: dict[str, Any] = field(default_factory=dict)


Hook = Callable[[Write], None]


def _nothing(_write: Write) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Kind:
    schema: schema.RecordSchema
    table_attr: str
    child: bool = False
    unique: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()  # write-only instruction flags, never stored
    defaults: Hook = _nothing  # fills a new record before the body is applied
    derive: Hook = _nothing  # recomputes derived fields before validation
    after_write: Hook = _nothing  # side effects on other records after storing
    parent_kind: Kind | None = None  # a child's parent kind; None means the purchase order (lines, notes)

    def table(self, state: ConnectWiseState) -> Table:
        table = getattr(state, self.table_attr)
        assert isinstance(table, Table)
        return table

    def children(self, state: ConnectWiseState, parent_id: int) -> list[int]:
        table = self.table(state)
        assert isinstance(table, ChildTable)
        return table.children(parent_id)


# --- purchase orders ------------------------------------------------------------------------------------


def _po_defaults(write: Write) -> None:
    state = write.state
    write.record.update({"poDate": state.now_text(), "closedFlag": False, "enteredBy": write.member})
    usd = state.currencies.find("currencyCode", "USD")
    if usd is not None:
        write.record["currency"] = state.reference("currencies", usd)


def _po_derive(write: Write) -> None:
    po, state = write.record, write.state
    status_ref = po.get("status")
    status = state.statuses.get(status_ref["id"]) if isinstance(status_ref, dict) else None
    closed = bool(status and status.get("closedFlag"))
    was_closed = bool(write.previous and write.previous.get("closedFlag"))
    po["closedFlag"] = closed
    # Closing stamps dateClosed/closedBy and reopening clears them: implied by SPEC, exact fields UNCONFIRMED.
    if closed and not was_closed:
        po["dateClosed"], po["closedBy"] = state.now_text(), write.member
    elif not closed:
        po.pop("dateClosed", None)
        po.pop("closedBy", None)
    po["customFields"] = custom_fields.merge(state.custom_definitions(), po.get("customFields"), [])
    refresh_totals(state, po)


def refresh_totals(state: ConnectWiseState, po: Record) -> None:
    lines = state.line_items_of(po["id"]) if "id" in po else []
    sub_total = round(sum(line.get("extCost", 0.0) for line in lines if not line.get("canceledFlag")), 2)
    extras = sum(float(po.get(name) or 0.0) for name in ("freightCost", "salesTax", "freightTaxTotal"))
    po["subTotal"], po["total"] = sub_total, round(sub_total + extras, 2)


def _po_after_write(write: Write) -> None:
    po, state = write.record, write.state
    if not po.get("poNumber"):
        # ConnectWise numbers new POs itself when none is given; its numbering scheme is UNCONFIRMED.
        po["poNumber"] = str(po["id"])
    lines = state.line_items_of(po["id"])
    # updateShipmentInfo / updateVendorOrderNumber cascade header values to every line (SPEC descriptions);
    # sending them as body fields of the same write is the UNCONFIRMED reading of how they are used.
    cascade: dict[str, Any] = {"purchaseOrderNumber": po["poNumber"]}
    if write.commands.get("updateShipmentInfo"):
        cascade.update({"trackingNumber": po.get("trackingNumber"), "shipmentMethod": po.get("shipmentMethod")})
        cascade["shipDate"] = po.get("shipmentDate")
    if write.commands.get("updateVendorOrderNumber"):
        cascade["vendorOrderNumber"] = po.get("vendorOrderNumber")
    for line in lines:
        touched = False
        for name, value in cascade.items():
            if line.get(name) == value:
                continue
            if value is None:
                line.pop(name, None)
            else:
                line[name] = value
            touched = touched or name != "purchaseOrderNumber"
        if touched:
            line["_info"] = stamp(state, line.get("_info"), write.member)


# --- line items -----------------------------------------------------------------------------------------


def _line_defaults(write: Write) -> None:
    write.record.update({"receivedStatus": "Waiting", "receivedQuantity": 0})
    write.record.update(dict.fromkeys(("closedFlag", "canceledFlag", "backorderedFlag"), False))
    if write.parent is not None and "warehouse" in write.parent:
        write.record["warehouse"] = write.parent["warehouse"]


def _line_derive(write: Write) -> None:
    line, po = write.record, write.parent
    if po is not None:
        line["purchaseOrderId"] = po["id"]
        if po.get("poNumber"):
            line["purchaseOrderNumber"] = po["poNumber"]
    quantity, unit_cost = line.get("quantity"), line.get("unitCost")
    line["extCost"] = round(float(quantity or 0) * float(unit_cost or 0), 2)
    line["customFields"] = custom_fields.merge(
        write.state.custom_definitions(custom_fields.LINE_SCREEN), line.get("customFields"), []
    )


def _line_after_write(write: Write) -> None:
    if write.parent is not None:
        refresh_totals(write.state, write.parent)


# --- setup tables ---------------------------------------------------------------------------------------


def _flag_defaults(*names: str) -> Hook:
    def defaults(write: Write) -> None:
        write.record.update(dict.fromkeys(names, False))

    return defaults


def _setup_after_write(lookup: str, exclusive: tuple[str, ...]) -> Hook:
    def after_write(write: Write) -> None:
        state, row = write.state, write.record
        table = state.table(lookup)
        for flag in exclusive:  # one default status, one default-closed status, one default method
            if row.get(flag):
                for other in table.rows.values():
                    if other is not row and other.get(flag):
                        other[flag] = False
        if write.previous is not None and state.reference(lookup, write.previous) != state.reference(lookup, row):
            refresh_references(state, lookup, row)

    return after_write


def refresh_references(state: ConnectWiseState, lookup: str, row: Record) -> None:
    """A renamed status or shipment method shows its new name wherever it is referenced."""
    shown = state.reference(lookup, row)
    for kind in (PURCHASE_ORDER, LINE_ITEM):
        names = [name for name, spec in kind.schema.fields.items() if spec.lookup == lookup]
        for record in kind.table(state).rows.values():
            for name in names:
                current = record.get(name)
                if isinstance(current, dict) and current.get("id") == row["id"]:
                    record[name] = dict(shown)


def _note_defaults(write: Write) -> None:
    write.record.update({"flagged": False, "enteredBy": write.member})
    first_type = next(write.state.note_types.scan(), None)
    if first_type is not None:  # note type ids are UNCONFIRMED; a note without one gets the first type
        write.record["type"] = write.state.reference("noteTypes", first_type)


def _note_derive(write: Write) -> None:
    if write.parent is not None:
        write.record["purchaseHeaderRecID"] = write.parent["id"]


def stamp(state: ConnectWiseState, previous: Any, member: str) -> dict[str, str]:
    """`_info` after a write: lastUpdated/updatedBy bumped, dateEntered/enteredBy kept from creation."""
    now = state.now_text()
    entered = previous if isinstance(previous, dict) and "dateEntered" in previous else {}
    return {
        "lastUpdated": now,
        "updatedBy": member,
        "dateEntered": entered.get("dateEntered", now),
        "enteredBy": entered.get("enteredBy", member),
    }


PURCHASE_ORDER = Kind(
    schema.PURCHASE_ORDER,
    "purchase_orders",
    commands=("updateShipmentInfo", "updateVendorOrderNumber"),
    defaults=_po_defaults,
    derive=_po_derive,
    after_write=_po_after_write,
)
LINE_ITEM = Kind(
    schema.LINE_ITEM,
    "line_item_table",
    child=True,
    defaults=_line_defaults,
    derive=_line_derive,
    after_write=_line_after_write,
)
NOTE = Kind(schema.NOTE, "note_table", child=True, defaults=_note_defaults, derive=_note_derive)
STATUS = Kind(
    schema.STATUS,
    "statuses",
    unique=("name",),
    defaults=_flag_defaults("defaultFlag", "closedFlag", "inactiveFlag", "defaultClosedFlag"),
    after_write=_setup_after_write("statuses", ("defaultFlag", "defaultClosedFlag")),
)
SHIPMENT_METHOD = Kind(
    schema.SHIPMENT_METHOD,
    "shipment_methods",
    unique=("name",),
    defaults=_flag_defaults("defaultFlag"),
    after_write=_setup_after_write("shipmentMethods", ("defaultFlag",)),
)
USER_DEFINED_FIELD = Kind(schema.USER_DEFINED_FIELD, "custom_fields")
