"""After delivery, pure: is the coordination ticket due, which PO lines are received, which shipped serial
numbers still need a ConnectWise configuration. The writes are sync/fulfilment.py's.

"Delivered" is the carriers' word (rules/delivery.py): a PO closed by the grace rule (a forwarder
reference, no provider for its carrier) gets no ticket and no received lines, because nobody confirmed
that anything arrived.

Every decision is keyed so that it is made once per PO and found again after a crash:
- the coordination ticket: one per PO, ever (event key `coordination_ticket`); its summary and description
  end with a marker (`[orderbridge:coordination:<po id>]`, rules/notes.py's format) that ConnectWise is
  searched for before a ticket is created, so a crash between the POST and the local record, or a second
  writer, never makes a second ticket;
- receiving: absolute values (`receivedQuantity` = the ordered quantity, `receivedStatus` FullyReceived,
  `dateReceived` = the last delivery of the line's packages), so repeating the PATCH changes nothing. A
  line is received only when all of it shipped and every package carrying it is delivered; a line that
  shipped short is left to a person, because the partial statuses (`PartiallyReceiveCloneRest` /
  `...CancelRest`) clone or cancel the rest of the line on ConnectWise's side (connectwise-psa.md §3.3,
  side effects UNCONFIRMED) and that is a purchasing decision, not a tracking fact;
- configurations: one per serial number and customer company; the set of serials is keyed by its digest
  (event key `configurations:<digest>`), and each serial is looked up on the company before a POST.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from orderbridge.core.delivery import TrackedParcel
from orderbridge.core.domain import DistributorOrder, FieldChange, Invoice, PurchaseOrder
from orderbridge.rules.cartons import current
from orderbridge.rules.closing import fully_shipped
from orderbridge.rules.lines import match_lines
from orderbridge.rules.notes import note_marker
from orderbridge.rules.shipping import cw_datetime, shipped_items

COORDINATION_KEY = "coordination_ticket"
FULLY_RECEIVED = "FullyReceived"
SUMMARY_LIMIT = 100  # ticket `summary`: "Max length: 100" (ConnectWise service ticket, UNCONFIRMED exact limit)
CONFIGURATION_NAME_LIMIT = 100


def delivered(order: DistributorOrder, parcels: Sequence[TrackedParcel]) -> bool:
    """Everything shipped and every package of it delivered (rules/delivery.all_delivered, from the parts)."""
    mine = current(order, parcels)
    return bool(mine) and all(p.delivered for p in mine) and fully_shipped(order)


# --- the coordination ticket -------------------------------------------------------------------------------


def coordination_marker(po_id: int) -> str:
    return note_marker(f"coordination:{po_id}")


def coordination_due(
    order: DistributorOrder, parcels: Sequence[TrackedParcel], event_keys: Collection[str], *, enabled: bool
) -> bool:
    """Once per PO: when it is delivered and no coordination ticket is on record for it yet."""
    return enabled and COORDINATION_KEY not in event_keys and delivered(order, parcels)


def customer_label(po: PurchaseOrder) -> str:
    company = po.customer_company
    return (company.name if company and company.name else None) or po.customer_name or "the customer"


def coordination_summary(template: str, po: PurchaseOrder, delivered_text: str) -> str:
    """The template filled in, cut to fit beside the marker (the marker is what makes it findable)."""
    marker = coordination_marker(po.id)
    text = template.format(
        po_number=po.po_number or po.id, po_id=po.id, customer=customer_label(po), delivered=delivered_text
    )
    text = " ".join(text.split())
    room = SUMMARY_LIMIT - len(marker) - 1
    if len(text) > room:
        text = text[: max(room - 1, 0)].rstrip() + "…"
    return f"{text} {marker}"


def coordination_description(po: PurchaseOrder, delivered_text: str, lines: Iterable[str]) -> str:
    listed = "; ".join(lines)
    body = f"PO {po.po_number or po.id} for {customer_label(po)}: {delivered_text}."
    if listed:
        body += f" Lines: {listed}."
    return f"{body} Coordinate the hand-over or installation with the customer. {coordination_marker(po.id)}"


# --- receiving -------------------------------------------------------------------------------------------


def receive_scope_allows(po: PurchaseOrder, scope: str) -> bool:
    """`drop_ship`: only POs ConnectWise flags as shipped straight to the customer (`dropShipCustomerFlag`)."""
    return scope == "all" or bool(po.drop_ship)


def receipts(po: PurchaseOrder, order: DistributorOrder, parcels: Sequence[TrackedParcel]) -> tuple[FieldChange, ...]:
    """The received fields of each line all of whose packages are delivered (see the module docstring)."""
    if po.lines is None:
        return ()
    by_number = {p.tracking_number: p for p in current(order, parcels)}
    changes: list[FieldChange] = []
    for match in match_lines(po.lines, order.lines).matches:
        line = match.line
        if line.canceled_flag or not line.quantity or line.quantity <= 0:
            continue
        shipped = shipped_items(match.items)
        numbers = {n.strip() for item in shipped for n in item.tracking_numbers if n.strip()}
        if not numbers or any(n not in by_number or not by_number[n].delivered for n in numbers):
            continue  # a package carrying this line is not delivered yet (or not followed by any carrier)
        quantity = sum(item.ship_quantity or 0 for item in shipped)
        wanted = int(line.quantity)
        if quantity < line.quantity or wanted != line.quantity:
            continue  # shipped short, or a fractional quantity: a person receives it
        times = [t for n in numbers if (t := by_number[n].delivered_at) is not None]
        when = cw_datetime(max(times)) if times else None
        reason = "every package of this line delivered ([fulfilment] receive_on_delivery)"
        if line.received_quantity != wanted:
            changes.append(FieldChange("receivedQuantity", line.received_quantity, wanted, reason, line_id=line.id))
        if line.received_status != FULLY_RECEIVED:
            changes.append(FieldChange("receivedStatus", line.received_status, FULLY_RECEIVED, reason, line_id=line.id))
        old = cw_datetime(line.date_received) if line.date_received else None
        if when is not None and old is None:
            changes.append(FieldChange("dateReceived", old, when, reason, line_id=line.id))
    return tuple(changes)


# --- configurations ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShippedSerial:
    serial: str
    product: str  # what the configuration is named after: the part number, SKU or description


def shipped_serials(order: DistributorOrder, invoices: Sequence[Invoice]) -> tuple[ShippedSerial, ...]:
    """Every serial number TD SYNNEX reports shipped (PO Status packages, then invoice lines), once each."""
    found: dict[str, ShippedSerial] = {}
    for item in shipped_items(order.live_lines):
        product = item.mfg_pn or item.sku or item.product_name or "TD SYNNEX item"
        for serial in item.serial_numbers:
            _add(found, serial, product)
    for invoice in invoices:
        for line in invoice.lines:
            product = line.mfg_pn or line.sku or line.description or "TD SYNNEX item"
            for serial in line.serial_numbers:
                _add(found, serial, product)
    return tuple(found.values())


def _add(found: dict[str, ShippedSerial], serial: str, product: str) -> None:
    clean = " ".join(serial.split())
    # A serial ConnectWise compares case-insensitively (conditions are): one configuration per spelling.
    if clean and clean.casefold() not in found:
        found[clean.casefold()] = ShippedSerial(clean, product.strip())


def configurations_key(serials: Sequence[ShippedSerial]) -> str:
    joined = "\n".join(sorted(s.serial.casefold() for s in serials))
    return f"configurations:{hashlib.sha256(joined.encode()).hexdigest()[:16]}"


def configurations_due(serials: Sequence[ShippedSerial], event_keys: Collection[str], *, enabled: bool) -> bool:
    return enabled and bool(serials) and configurations_key(serials) not in event_keys


def missing(serials: Sequence[ShippedSerial], existing: Iterable[str]) -> tuple[ShippedSerial, ...]:
    """The serials with no configuration on the company yet."""
    have = {" ".join(s.split()).casefold() for s in existing}
    return tuple(s for s in serials if s.serial.casefold() not in have)


def configuration_name(serial: ShippedSerial) -> str:
    """ "<product> <serial>", the product cut first: the serial is what a person searches for."""
    room = CONFIGURATION_NAME_LIMIT - len(serial.serial) - 1
    product = serial.product if len(serial.product) <= room else serial.product[: max(room - 1, 0)] + "…"
    return f"{product} {serial.serial}".strip()[:CONFIGURATION_NAME_LIMIT]
