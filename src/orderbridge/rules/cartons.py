"""Which packages a TD SYNNEX answer ships, and how each is registered for carrier tracking. Pure.

A carton is one tracking number with the PO lines it carries. Registration gives each new one its route
(carriers/routing.py): the carrier comes from TD SYNNEX's ship method (`claimed_carrier`), never from the
number alone, which may only confirm it. Kept apart from rules/delivery.py, which plans from what the
carriers then say.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from orderbridge.carriers.routing import CarrierRoutes, ShippedPackage
from orderbridge.core.delivery import TrackedParcel
from orderbridge.core.domain import DistributorOrder
from orderbridge.rules.carriers import NUMBER_RULES_AVAILABLE, claimed_carrier, number_evidence
from orderbridge.rules.shipping import shipped_items


@dataclass(frozen=True)
class Carton:
    """One tracking number of a TD SYNNEX answer: the PO lines it carries and how it left."""

    tracking_number: str
    lines: tuple[int, ...]
    sales_order: str | None
    ship_method: str | None
    ship_method_description: str | None
    shipped_at: datetime | None
    tds_estimate: date | None


def cartons(order: DistributorOrder) -> dict[str, Carton]:
    """Every tracking number of the shipped live items, with its lines; first shipment's method wins."""
    found: dict[str, Carton] = {}
    for item in shipped_items(order.live_lines):
        for number in item.tracking_numbers:
            number = number.strip()
            if not number:
                continue
            held = found.get(number)
            if held is None:
                found[number] = Carton(
                    number,
                    (item.line_number,),
                    item.order_number,
                    item.ship_method,
                    item.ship_method_description,
                    item.ship_datetime,
                    item.estimated_delivery_date,
                )
                continue
            estimates = [d for d in (held.tds_estimate, item.estimated_delivery_date) if d is not None]
            found[number] = replace(
                held,
                lines=tuple(sorted({*held.lines, item.line_number})),
                tds_estimate=max(estimates) if estimates else None,
            )
    return found


def registrations(
    tenant: str,
    po_id: int,
    order: DistributorOrder,
    known: Sequence[TrackedParcel],
    routes: CarrierRoutes,
    now: datetime,
) -> tuple[list[TrackedParcel], list[TrackedParcel]]:
    """(packages to register, known packages whose route changed). The carrier is the one TD SYNNEX's
    ship method names; the number's format may only confirm it (carriers/routing.py)."""
    held = {parcel.tracking_number: parcel for parcel in known}
    new: list[TrackedParcel] = []
    moved: list[TrackedParcel] = []
    for number, carton in cartons(order).items():
        carrier, _conflict = claimed_carrier(carton.ship_method, carton.ship_method_description)
        shaped = number_evidence(number).shaped if NUMBER_RULES_AVAILABLE else None
        route = routes.route(ShippedPackage(number, carrier, carton.ship_method, shaped))
        parcel = held.get(number)
        if parcel is None:
            new.append(
                TrackedParcel(
                    tenant=tenant,
                    po_id=po_id,
                    tracking_number=number,
                    carrier=carrier,
                    provider=route.provider,
                    route_reason=route.reason,
                    registered_at=now,
                    lines=carton.lines,
                    sales_order=carton.sales_order,
                    ship_method=carton.ship_method,
                    shipped_at=carton.shipped_at,
                    tds_estimate=carton.tds_estimate,
                    next_poll_at=now if route.provider else None,
                    updated_at=now,
                )
            )
        elif parcel.provider != route.provider and not parcel.state.final:
            # The operator configured (or removed) a provider since: follow it from now on, budget anew.
            moved.append(
                replace(
                    parcel,
                    provider=route.provider,
                    route_reason=route.reason,
                    carrier=carrier,
                    polls=0,
                    stopped=None,
                    next_poll_at=now if route.provider else None,
                    updated_at=now,
                )
            )
    return new, moved


def current(order: DistributorOrder, parcels: Sequence[TrackedParcel]) -> list[TrackedParcel]:
    """The parcels whose numbers this answer still ships (a number TD SYNNEX corrected is forgotten)."""
    numbers = cartons(order)
    return [parcel for parcel in parcels if parcel.tracking_number in numbers]
