"""Header field rules: the PO's own trackingNumber, shipmentDate, shipmentMethod and vendorOrderNumber.

One function per field, each with one comment per real situation it handles. Split from `plan.py`
(status, stage events, notes, assembly) along the seam between "what the PO says about shipping" and
"where the PO is in its life"; the line rules ask the same questions per line in `lines.py`.
"""

from __future__ import annotations

from orderbridge.core.domain import FieldChange
from orderbridge.rules.carriers import resolve_shipment_method, unknown_carrier_event
from orderbridge.rules.shipping import (
    CW_TEXT_LIMIT,
    cw_datetime,
    describe_ship_method,
    latest_ship_datetime,
    latest_shipped_line,
    latest_tracking_number,
    too_long_event,
    vendor_order_text,
)
from orderbridge.rules.situation import NOTHING, Outcome, Situation


def tracking_rule(s: Situation) -> Outcome:
    number = latest_tracking_number(s.order)
    # Nothing shipped yet, or the latest carton is already on the PO.
    if s.stale or number is None or number == s.po.tracking_number:
        return NOTHING
    # LTL / forwarder references can outgrow ConnectWise's 50 characters: never truncate. The notes and the
    # tracking-numbers custom field carry it; the event says why the field did not move.
    if len(number) > CW_TEXT_LIMIT:
        return Outcome(events=(too_long_event(number, s.stage),))
    return Outcome(changes=(FieldChange("trackingNumber", s.po.tracking_number, number, "latest package"),))


def shipment_date_rule(s: Situation) -> Outcome:
    # Partial shipments weeks apart: the header carries the latest one.
    latest = latest_ship_datetime(s.order)
    if s.stale or latest is None:
        return NOTHING
    new = cw_datetime(latest)
    old = cw_datetime(s.po.shipment_date) if s.po.shipment_date else None
    if new == old:
        return NOTHING
    return Outcome(changes=(FieldChange("shipmentDate", old, new, "latest ShipDatetime"),))


def shipment_method_rule(s: Situation) -> Outcome:
    line = latest_shipped_line(s.order)
    if s.stale or line is None or not (line.ship_method or line.ship_method_description):
        return NOTHING
    verdict = resolve_shipment_method(
        line.ship_method, line.ship_method_description, line.tracking_numbers, s.ctx.shipment_methods
    )
    # A code the tenant's table cannot place (a new code), or a ship method the tracking number contradicts
    # (drop-ship UPSN "UPS(GROUND)- CVS.COM" with an H320... reference): say it verbatim, write nothing.
    if verdict.method is None:
        return Outcome(events=(unknown_carrier_event(line, verdict, s.stage),))
    current = s.po.shipment_method
    if current is not None and current.id == verdict.method.id:
        return NOTHING
    old = current.name if current else None
    reason = f"ship method {describe_ship_method(line.ship_method, line.ship_method_description)}"
    return Outcome(
        changes=(FieldChange("shipmentMethod", old, {"id": verdict.method.id}, reason, new_name=verdict.method.name),)
    )


def vendor_order_rule(s: Situation) -> Outcome:
    # One PO fans out into several sales orders (splits, back-orders); cancelled (deleted) ones are left out.
    text = vendor_order_text([line.order_number or "" for line in s.order.live_lines])
    if s.stale or text is None or text == s.po.vendor_order_number:
        return NOTHING
    return Outcome(changes=(FieldChange("vendorOrderNumber", s.po.vendor_order_number, text, "sales orders"),))
