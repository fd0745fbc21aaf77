"""Line-level planning: which TD SYNNEX `<Item>`s belong to which ConnectWise PO line, and what each line needs.

Separate from the header rules because a line has its own partial truth (its packages, its sales orders,
its back-order) and because matching is the one place where "TD SYNNEX line 3" becomes "ConnectWise line
id 8812". Pure: the engine fetches the lines (or passes None, and then nothing here runs).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from orderbridge.core.domain import DistributorLine, Event, FieldChange, PurchaseOrderLine, StatusCode
from orderbridge.rules.carriers import resolve_shipment_method, unknown_carrier_event
from orderbridge.rules.quotes import counted_items
from orderbridge.rules.shipping import (
    CUSTOM_FIELD_LIMIT,
    CW_TEXT_LIMIT,
    cw_date,
    cw_datetime,
    describe_ship_method,
    fit_list,
    latest_item,
    latest_ship_time,
    shipped_items,
    too_long_event,
    vendor_order_text,
)
from orderbridge.rules.situation import NOTHING, Outcome, Situation

# ConnectWise documents no maximum for a line's serialNumbers (connectwise-psa.md §3.3); 46 serials in one
# package are real (td-synnex.md §1.6). We cap at 1000 characters ("+N more") so one huge order cannot
# produce a body the server may refuse; the full list stays in TD SYNNEX and the invoice.
SERIALS_LIMIT = CUSTOM_FIELD_LIMIT
CANCELED_REASON_LIMIT = 100  # canceledReason "Max length 100" (connectwise-psa.md §3.3)

Change = Callable[[str, Any, Any, str], None]


@dataclass(frozen=True)
class LineMatch:
    line: PurchaseOrderLine
    items: tuple[DistributorLine, ...]


@dataclass(frozen=True)
class LineMatching:
    matches: tuple[LineMatch, ...]
    unmatched: tuple[DistributorLine, ...]


def _same(a: str | None, b: str | None) -> bool:
    return bool(a and b) and (a or "").strip().casefold() == (b or "").strip().casefold()


def match_lines(cw_lines: Sequence[PurchaseOrderLine], items: Sequence[DistributorLine]) -> LineMatching:
    """Line number first, then vendorSku == SKU or product identifier == MfgPN, for lines the number missed.

    TD SYNNEX echoes the reseller's PO line numbers (td-synnex.md §1.3 DTL-01), so a number match wins even
    if the SKU differs (a substitute part). Lines renumbered in ConnectWise after submission are found by
    product instead. An item goes to one ConnectWise line only: the first that claims it.
    """
    claimed: set[int] = set()
    assigned: dict[int, list[int]] = {}
    by_number: dict[int, list[int]] = {}
    for index, item in enumerate(items):
        by_number.setdefault(item.line_number, []).append(index)
    for position, cw_line in enumerate(cw_lines):
        wanted = [i for i in by_number.get(cw_line.line_number or -1, []) if i not in claimed]
        if cw_line.line_number is not None and wanted:
            assigned[position] = wanted
            claimed.update(wanted)
    for position, cw_line in enumerate(cw_lines):
        if position in assigned:
            continue
        wanted = [
            i
            for i, item in enumerate(items)
            if i not in claimed
            and (_same(item.sku, cw_line.vendor_sku) or _same(item.mfg_pn, cw_line.product_identifier))
        ]
        if wanted:
            assigned[position] = wanted
            claimed.update(wanted)
    matches = tuple(
        LineMatch(cw_line, tuple(items[i] for i in assigned[position]))
        for position, cw_line in enumerate(cw_lines)
        if position in assigned
    )
    return LineMatching(matches, tuple(item for i, item in enumerate(items) if i not in claimed))


def line_rule(s: Situation) -> Outcome:
    # The engine did not fetch line items (or the answer is older than what we know): header rules only.
    if s.po.lines is None or s.stale:
        return NOTHING
    matching = match_lines(s.po.lines, s.order.lines)
    changes: list[FieldChange] = []
    events: list[Event] = []
    for match in matching.matches:
        line_changes, line_events = plan_line(match, s)
        changes += line_changes
        events += line_events
    # An item the PO does not have (a substitute SKU, a line added at TD SYNNEX): say so once per key. A deleted
    # item on no line is TD SYNNEX's own bookkeeping (a dropped quote line) and not worth a person's time.
    for item in matching.unmatched:
        if item.code is StatusCode.DELETED:
            continue
        order, number, sku = item.key
        summary = (
            f"TD SYNNEX line {number} (sales order {order or 'unknown'}, SKU {sku or 'none'}, "
            f"MfgPN {item.mfg_pn or 'none'}) matches no ConnectWise line of this PO; its details are not written"
        )
        details = {"sales_order": order, "line_number": number, "sku": sku, "mfg_pn": item.mfg_pn}
        events.append(Event("unmatched_item", summary, s.stage, f"unmatched_item:{order}|{number}|{sku}", details))
    return Outcome(changes=tuple(changes), events=tuple(events))


def plan_line(match: LineMatch, s: Situation) -> tuple[list[FieldChange], list[Event]]:
    """One ConnectWise line against its items: only the fields that differ."""
    line, live = match.line, [item for item in match.items if item.code is not StatusCode.DELETED]
    changes: list[FieldChange] = []
    events: list[Event] = []

    def change(field: str, old: Any, new: Any, reason: str) -> None:
        if old != new:
            changes.append(FieldChange(field, old, new, reason, line_id=line.id))

    # Every item of this line was killed by the sales rep or on request (td-synnex.md §1.4): cancel the line,
    # keeping a reason a person already typed.
    if not live:
        if line.canceled_flag is not True:
            change("canceledFlag", line.canceled_flag, True, "every TD SYNNEX item of the line deleted")
            reason = s.ctx.sync.canceled_reason[:CANCELED_REASON_LIMIT]
            if not line.canceled_reason:
                change("canceledReason", line.canceled_reason, reason, "line deleted at TD SYNNEX")
        return changes, events
    shipped = shipped_items(live)
    # Partial shipments: each line carries its own latest carton, date and carrier, not the header's.
    latest = latest_item(live, with_tracking=True)
    if latest is not None:
        number = latest.tracking_numbers[-1]
        if len(number) > CW_TEXT_LIMIT:
            events.append(too_long_event(number, s.stage))
        else:
            change("trackingNumber", line.tracking_number, number, "this line's latest package")
    when = latest_ship_time(live)
    if when is not None:
        old = cw_datetime(line.ship_date) if line.ship_date else None
        change("shipDate", old, cw_datetime(when), "this line's latest ShipDatetime")
    mover = latest_item(live)
    if mover is not None and (mover.ship_method or mover.ship_method_description):
        verdict = resolve_shipment_method(
            mover.ship_method, mover.ship_method_description, mover.tracking_numbers, s.ctx.shipment_methods
        )
        current = line.shipment_method.id if line.shipment_method else None
        if verdict.method is None:
            events.append(unknown_carrier_event(mover, verdict, s.stage))
        elif current != verdict.method.id:
            old_name = line.shipment_method.name if line.shipment_method else None
            reason = f"ship method {describe_ship_method(mover.ship_method, mover.ship_method_description)}"
            new = {"id": verdict.method.id}
            changes.append(FieldChange("shipmentMethod", old_name, new, reason, line.id, verdict.method.name))
    orders = vendor_order_text([item.order_number or "" for item in live])
    if orders is not None:
        change("vendorOrderNumber", line.vendor_order_number, orders, "this line's sales orders")
    serials = fit_list(list(dict.fromkeys(n for item in live for n in item.serial_numbers)), SERIALS_LIMIT)
    if serials is not None:
        change("serialNumbers", line.serial_numbers, serials, "serial numbers of this line's packages")
    # A quote item its sales order replaced (spec ex.6) waits for nothing: its units left with that order.
    counted = list(counted_items(live))
    _expected_ship(line, counted, shipped, change)
    _back_order(line, counted, shipped, change)
    return changes, events


def _expected_ship(
    line: PurchaseOrderLine, live: list[DistributorLine], shipped: Sequence[DistributorLine], change: Change
) -> None:
    # v2.7 sends EstimatedShipDate; back-orders carry ETADate (td-synnex.md §1.3). Only parts still waiting
    # count; once all shipped the last estimate stays (never cleared, a person may want to compare).
    waiting = [item for item in live if item not in shipped]
    dates = [d for item in waiting if (d := item.estimated_ship_date or item.eta_date) is not None]
    if dates:
        old = cw_datetime(line.expected_ship_date) if line.expected_ship_date else None
        change("expectedShipDate", old, cw_date(max(dates)), "EstimatedShipDate / ETADate")


def _back_order(
    line: PurchaseOrderLine, live: list[DistributorLine], shipped: Sequence[DistributorLine], change: Change
) -> None:
    # Back-ordered while nothing of the line has shipped and a part waits as OrderType BO or with an ETA;
    # cleared once anything shipped. An unset flag is taken as false, so no write just to say "no".
    waiting = any(
        item.code is StatusCode.ACCEPTED and ((item.order_type or "").upper() == "BO" or item.eta_date is not None)
        for item in live
    )
    back = waiting and not shipped
    if back and line.backordered_flag is not True:
        change("backorderedFlag", line.backordered_flag, True, "accepted as back-order, nothing shipped")
    elif not back and line.backordered_flag is True:
        change("backorderedFlag", True, False, "shipped" if shipped else "no longer back-ordered")
