"""What TD SYNNEX reports for a scripted PO at one moment: the script's events replayed up to `now`.

Separate from the scripts themselves so the replay rules (which event opens an `<Item>`, how the
order-level Code follows the lines) sit in one place, and from the state so they stay pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from orderbridge.core.domain import DistributorLine, DistributorOrder, Package, StatusCode
from orderbridge.simulators.tdsynnex import catalog
from orderbridge.simulators.tdsynnex.lifecycle import EVENT_KINDS, LineEvent, LineScript, OrderScript

PO_NUMBER_MAX = 20  # PONumber is AN 20 (td-synnex.md §7.18)
ORDER_NUMBER_MAX = 10  # OrderNumber is AN 10
_END_OF_TIME = datetime.max.replace(tzinfo=UTC)


class ScriptError(ValueError):
    """A script that the real service could never produce (say, shipping an order nobody accepted)."""


@dataclass
class _Item:
    order_number: str
    order_type: str | None
    code: str
    order_quantity: int
    warehouse: str | None
    ship_method: str | None
    ship_quantity: int = 0
    ship_datetime: datetime | None = None
    eta: date | None = None
    estimated_ship_date: date | None = None
    estimated_delivery_date: date | None = None
    fees_present: bool = False
    packages: list[Package] = field(default_factory=list)


def _open(event: LineEvent, line: LineScript, items: dict[str, _Item], last: _Item | None) -> _Item:
    if not event.order_number:
        raise ScriptError(f"line {line.line_number}: the first {event.kind} needs an order_number")
    if len(event.order_number) > ORDER_NUMBER_MAX:
        raise ScriptError(f"line {line.line_number}: order number {event.order_number!r} is longer than 10")
    item = _Item(
        order_number=event.order_number,
        order_type=event.order_type or "SO",
        code="accepted",
        order_quantity=event.quantity,
        warehouse=event.warehouse or (last.warehouse if last else None),
        ship_method=event.ship_method or (last.ship_method if last else None),
    )
    items[event.order_number] = item
    return item


def _apply(event: LineEvent, line: LineScript, items: dict[str, _Item], last: _Item | None) -> _Item:
    if event.kind not in EVENT_KINDS:
        raise ScriptError(f"line {line.line_number}: unknown event kind {event.kind!r}")
    item = items.get(event.order_number) if event.order_number else last
    if item is None:
        if event.kind not in ("accept", "backorder", "ship"):
            raise ScriptError(f"line {line.line_number}: {event.kind} before any accept for this sales order")
        if event.quantity <= 0:
            raise ScriptError(f"line {line.line_number}: {event.kind} needs a positive quantity")
        item = _open(event, line, items, last)
    item.order_type = event.order_type or item.order_type
    item.warehouse = event.warehouse or item.warehouse
    item.ship_method = event.ship_method or item.ship_method
    item.eta = event.eta or item.eta
    item.estimated_ship_date = event.estimated_ship_date or item.estimated_ship_date
    item.estimated_delivery_date = event.estimated_delivery_date or item.estimated_delivery_date
    if event.kind in ("accept", "backorder"):
        item.code = "accepted"
        item.order_quantity = event.quantity or item.order_quantity
        if event.kind == "backorder":
            item.order_type = event.order_type or "BO"
    elif event.kind == "release":
        # Fee fields appear "on orders that have been released to ship and/or have shipped" (spec v2.42).
        item.fees_present = True
    elif event.kind == "ship":
        if event.quantity <= 0:
            raise ScriptError(f"line {line.line_number}: ship needs a positive quantity")
        item.code = "shipped"
        item.ship_quantity += event.quantity
        item.ship_datetime = event.at
        item.fees_present = True
        item.eta = event.eta
        item.packages.extend(event.packages)
    elif event.kind == "invoice":
        item.code = "invoiced"
    else:
        item.code = "deleted"
    return item


def _line_items(line: LineScript, now: datetime) -> list[DistributorLine]:
    items: dict[str, _Item] = {}
    last: _Item | None = None
    for event in sorted(line.events, key=lambda e: e.at):
        if event.at.tzinfo is None:
            raise ScriptError(f"line {line.line_number}: event times must carry a time zone")
        if event.at > now:
            break
        last = _apply(event, line, items, last)
    return [_render_item(line, item) for item in items.values()]


def _render_item(line: LineScript, item: _Item) -> DistributorLine:
    warehouse = catalog.WAREHOUSES.get(item.warehouse or "")
    return DistributorLine(
        line_number=line.line_number,
        code=StatusCode.parse(item.code),
        raw_code=item.code,
        order_number=item.order_number,
        order_type=item.order_type,
        order_quantity=item.order_quantity,
        unit_price=line.unit_price,
        sku=line.sku,
        mfg_pn=line.mfg_pn,
        product_name=line.product_name,
        ship_quantity=item.ship_quantity,
        ship_datetime=item.ship_datetime,
        warehouse=item.warehouse,
        ship_from_city=warehouse.city if warehouse else None,
        ship_from_state=warehouse.state if warehouse else None,
        ship_from_zip=warehouse.zip_code if warehouse else None,
        ship_method=item.ship_method,
        ship_method_description=catalog.SHIP_METHODS.get(item.ship_method or ""),
        eta_date=item.eta,
        estimated_ship_date=item.estimated_ship_date,
        estimated_delivery_date=item.estimated_delivery_date,
        fees_present=item.fees_present,
        packages=tuple(item.packages),
    )


_RANK = {"accepted": 0, "shipped": 1, "invoiced": 2}


def order_code(lines: Sequence[DistributorLine]) -> str:
    """The order-level Code is the least advanced live line: spec example 6 reports a PO with one item
    shipped and one accepted as `accepted`, and the 2025 capture reports `invoiced` beside deleted lines."""
    live = [line.raw_code for line in lines if line.raw_code != "deleted"]
    if not lines:
        return "accepted"  # received, nothing processed yet; the real service always lists items by then
    if not live:
        return "deleted"
    return min(live, key=lambda code: _RANK.get(code, -1))


def view_order(scripts: Sequence[OrderScript], now: datetime) -> DistributorOrder | None:
    """The PO as reported at `now`; None before it was placed (the service answers notFound)."""
    visible = [s for s in scripts if s.placed_at <= now]
    if not visible:
        return None
    live = [s for s in visible if not s.rejected]
    lines: list[DistributorLine] = []
    # A PO number used twice for one account: the XML service's behaviour is UNCONFIRMED (the SOAP variant
    # returns one result per use), so the simulator lists the items of every non-rejected use together.
    for script in live:
        for line in sorted(script.lines, key=lambda ln: ln.line_number):
            lines.extend(_line_items(line, now))
    first = visible[0]
    code = order_code(lines) if live else "rejected"
    return DistributorOrder(
        customer_number=first.customer_number,
        po_number=first.po_number,
        code=StatusCode.parse(code),
        raw_code=code,
        reason=None if live else first.reason,
        po_datetime=(live[0] if live else first).placed_at,
        response_datetime=now,
        lines=tuple(lines),
    )


def validate_script(script: OrderScript) -> None:
    """Replay every event once so a bad script fails when it is added, not on the first query."""
    if not script.po_number or len(script.po_number) > PO_NUMBER_MAX:
        raise ScriptError(f"PO number must be 1-{PO_NUMBER_MAX} characters")
    if script.placed_at.tzinfo is None:
        raise ScriptError("placed_at must carry a time zone")
    seen: set[int] = set()
    for line in script.lines:
        if line.line_number < 1 or line.line_number in seen:
            raise ScriptError(f"line numbers must be positive and unique (line {line.line_number})")
        seen.add(line.line_number)
        if any(event.at.tzinfo is not None and event.at < script.placed_at for event in line.events):
            raise ScriptError(f"line {line.line_number}: an event happens before the PO was placed")
        _line_items(line, _END_OF_TIME)


def invoiced_items(script: OrderScript, now: datetime) -> list[tuple[datetime, DistributorLine]]:
    """Every `invoice` event up to `now`, with the item it billed as that item stood at that moment.

    The invoice service reads these; a later shipment on the same sales order is not on an earlier invoice.
    """
    if script.rejected or script.placed_at > now:
        return []
    found: list[tuple[datetime, DistributorLine]] = []
    for line in sorted(script.lines, key=lambda ln: ln.line_number):
        items: dict[str, _Item] = {}
        last: _Item | None = None
        for event in sorted(line.events, key=lambda e: e.at):
            if event.at > now:
                break
            last = _apply(event, line, items, last)
            if event.kind == "invoice":
                found.append((event.at, _render_item(line, last)))
    return found
