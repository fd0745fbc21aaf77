"""`facts_row`: one check of one PO, folded into the facts reports and alerts read. Pure.

The engine calls it once per PO per cycle, with what the planner saw, and saves the rows in its batch
flush (`store.facts.save_facts`). Stage timestamps are set once, the first time a stage is seen, so a
replayed or stale observation never moves them; fields TD SYNNEX did not answer about (a failure, a
notFound) keep their previous values rather than being wiped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, tzinfo
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from orderbridge.core.domain import (
    DistributorLine,
    DistributorOrder,
    Plan,
    PurchaseOrder,
    ShipmentMethod,
    Stage,
    StatusCode,
)
from orderbridge.rules.admission import admit
from orderbridge.rules.carriers import CARRIER_SERVICES, claimed_carrier, match_shipment_method, tracking_link
from orderbridge.rules.shipping import latest_shipped_line, shipped_lines
from orderbridge.store.facts import FactsRow, TrackingLink

PACIFIC = ZoneInfo("America/Los_Angeles")  # `[tdsynnex] timezone`'s default
_STAMP = {stage: f"{stage.name.lower()}_at" for stage in Stage}


def facts_row(
    tenant: str,
    po: PurchaseOrder,
    order: DistributorOrder | None,
    plan: Plan | None,
    now: datetime,
    previous: FactsRow | None,
    *,
    shipment_methods: Sequence[ShipmentMethod] = (),
    error: str | None = None,
    tdsynnex_zone: tzinfo = PACIFIC,
) -> FactsRow:
    """The facts after this check. `order`/`plan` are None when the check failed before an answer;
    `error` is the failure message the engine recorded (plan problems are used when it is None)."""
    base = previous or FactsRow(tenant=tenant, po_id=po.id, po_number=po.po_number, first_seen_at=now, updated_at=now)
    row = replace(base, po_number=po.po_number, updated_at=now)

    stages = [s for s in (plan.stage if plan else None, base.stage) if s is not None]
    stage = max(stages) if stages else None
    if stage is not None:
        if getattr(row, _STAMP[stage]) is None:
            stamp: dict[str, Any] = {_STAMP[stage]: now}
            row = replace(row, **stamp)
        if stage != base.stage or row.stage_since is None:
            row = replace(row, stage=stage, stage_since=now)

    # A status a person set outside the TDS set ("Cancelled") is shown as theirs.
    person = plan is not None and plan.status_owned_by_person
    row = replace(row, status_name=(po.status.name if person and po.status else None) if plan else base.status_name)

    problems = "; ".join(plan.problems) if plan and plan.problems else None
    row = replace(row, last_error=error or problems)
    if order is None:
        return row
    # An answer the planner refused (a bidi character in a tracking number, a year-9999 date: rules/admission.py)
    # reaches the dashboard and the alerts no more than ConnectWise: the row keeps what it had, the error says why.
    admitted = admit(order, (), now=now)
    if admitted.problems:
        return row
    order = admitted.order
    row = replace(row, distributor_code=order.raw_code)
    if order.code is StatusCode.NOT_FOUND:
        return replace(row, not_found_since=base.not_found_since or now)
    row = replace(row, not_found_since=None)
    if not order.live_lines:
        return row
    return _from_lines(row, order, shipment_methods, now, tdsynnex_zone)


def _from_lines(
    row: FactsRow, order: DistributorOrder, methods: Sequence[ShipmentMethod], now: datetime, tdsynnex_zone: tzinfo
) -> FactsRow:
    live = order.live_lines
    shipped = shipped_lines(order)
    planned = latest_shipped_line(order) or next(
        (line for line in live if line.ship_method or line.ship_method_description), None
    )
    estimates = [d for d in (_estimate(line) for line in live) if d is not None]
    open_estimates = [d for line in live if line not in shipped and (d := _estimate(line)) is not None]
    deliveries = [line.estimated_delivery_date for line in live if line.estimated_delivery_date]
    ship_times = sorted((_aware(line.ship_datetime) for line in shipped if line.ship_datetime), key=_utc)
    return replace(
        row,
        carrier=_carrier(planned, methods) or row.carrier,
        ship_method=(planned.ship_method if planned else None) or row.ship_method,
        ship_method_name=_service(planned) or row.ship_method_name,
        warehouses=tuple(sorted({line.warehouse for line in live if line.warehouse}, key=lambda w: (len(w), w))),
        sales_orders=tuple(n for n in order.order_numbers if any(line.order_number == n for line in live)),
        tracking=_links(shipped, methods) or row.tracking,
        estimated_ship_date=min(open_estimates) if open_estimates else None,
        promised_ship_date=row.promised_ship_date or (min(estimates) if estimates else None),
        expected_delivery_date=max(deliveries) if deliveries else row.expected_delivery_date,
        po_at=row.po_at or (_utc(_aware(order.po_datetime)) if order.po_datetime else row.first_seen_at),
        first_shipped_at=_utc(ship_times[0]) if ship_times else row.first_shipped_at,
        last_shipped_at=_utc(ship_times[-1]) if ship_times else row.last_shipped_at,
        # The local (TD SYNNEX zone) date, because the estimated ship dates it is compared with are local;
        # the codec's times are UTC, where a 17:30 Pacific shipment is already the next day.
        first_ship_date=ship_times[0].astimezone(tdsynnex_zone).date() if ship_times else row.first_ship_date,
    )


def _estimate(line: DistributorLine) -> date | None:
    # A back-ordered line's ETADate is its estimate when EstimatedShipDate is empty (td-synnex.md §1.3).
    return line.estimated_ship_date or line.eta_date


def _aware(value: datetime) -> datetime:
    # The codec attaches TD SYNNEX's zone; a naive value is taken as UTC, as `sync.shipping` does.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _carrier(line: DistributorLine | None, methods: Sequence[ShipmentMethod]) -> str | None:
    if line is None:
        return None
    carrier, _conflict = claimed_carrier(line.ship_method, line.ship_method_description)
    if carrier:
        return carrier
    method = match_shipment_method(line.ship_method, line.ship_method_description, methods)
    return method.name if method else (line.ship_method_description or line.ship_method)


def _service(line: DistributorLine | None) -> str | None:
    if line is None:
        return None
    known = CARRIER_SERVICES.get((line.ship_method or "").strip().upper())
    return line.ship_method_description or (known[1] if known else line.ship_method)


def _links(shipped: Sequence[DistributorLine], methods: Sequence[ShipmentMethod]) -> tuple[TrackingLink, ...]:
    links: dict[str, TrackingLink] = {}
    for line in shipped:
        method = match_shipment_method(line.ship_method, line.ship_method_description, methods)
        carrier = _carrier(line, methods)
        for number in line.tracking_numbers:
            if number not in links:
                links[number] = TrackingLink(number, carrier, _web_only(tracking_link(number, method, carrier)))
    return tuple(links.values())


def _web_only(url: str | None) -> str | None:
    # The template is tenant data typed into ConnectWise: a javascript: or data: "URL" must never
    # become a link on the dashboard or in a notification.
    return url if url and urlsplit(url).scheme.lower() in ("http", "https") else None
