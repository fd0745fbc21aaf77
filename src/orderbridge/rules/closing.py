"""When an invoiced PO is done: CLOSED, written as the "TDS Closed" status (DESIGN.md §2).

Kept apart from `stages.py` because it needs what the XML status cannot say on its own: the clock, the
grace period from config and (one day) a delivery source. It only ever lifts an INVOICED verdict to
CLOSED, so "one place decides a stage" still holds: `stages.py` decides, this module finishes.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from orderbridge.core.domain import DistributorLine, DistributorOrder, Stage
from orderbridge.rules.quotes import counted_lines
from orderbridge.rules.shipping import cw_datetime, latest_ship_time, shipped_items
from orderbridge.rules.stages import StageVerdict


def fully_shipped(order: DistributorOrder) -> bool:
    """Every live PO line shipped in full: ShipQuantity >= OrderQuantity, summed over the line's `<Item>`s.

    Summed per PO line because one line splits over sales orders (back-orders, warehouse splits): a BO part
    still waiting keeps the line open even when the SO part shipped. A quote item its sales order replaced
    (spec ex.6) is not counted again (quotes.py). Without quantities an item counts as done only when its
    code says it left the warehouse.
    """
    by_line: dict[int, list[DistributorLine]] = {}
    for line in counted_lines(order):
        by_line.setdefault(line.line_number, []).append(line)
    if not by_line:
        return False
    return all(_line_done(items) for items in by_line.values())


def _line_done(items: list[DistributorLine]) -> bool:
    if any(item.order_quantity is None for item in items):
        return len(shipped_items(items)) == len(items)
    ordered = sum(item.order_quantity or 0 for item in items)
    sent = sum(item.ship_quantity or 0 for item in items)
    return sent >= ordered


def close_verdict(
    verdict: StageVerdict,
    order: DistributorOrder,
    *,
    now: datetime,
    close_after_days: int,
    delivered: bool | None = None,
) -> StageVerdict:
    """INVOICED + fully shipped + (delivered, or `close_after_days` after the last ship date) -> CLOSED.

    `delivered` is the seam for a delivery source (carrier tracking, Partner API): True closes at once, False
    ("known, not yet delivered") waits, None (no source, today's case) falls back to the grace period.
    """
    if verdict.stage is not Stage.INVOICED or verdict.problem is not None or not fully_shipped(order):
        return verdict
    if delivered is True:
        return dataclasses.replace(verdict, stage=Stage.CLOSED, rule="invoiced, fully shipped and delivered")
    if delivered is False:
        return verdict
    last = latest_ship_time(order.live_lines)
    # An invoiced order without any ShipDatetime gives no date to count from: wait for delivery data.
    if last is None:
        return verdict
    due = _aware(last) + timedelta(days=close_after_days)
    if _aware(now) < due:
        return verdict
    rule = f"invoiced, fully shipped, {close_after_days} days after the last shipment ({cw_datetime(last)})"
    return dataclasses.replace(verdict, stage=Stage.CLOSED, rule=rule)


def _aware(value: datetime) -> datetime:
    # Naive values are taken as UTC, as everywhere in the planner (see shipping.cw_datetime).
    return value if value.tzinfo else value.replace(tzinfo=UTC)
