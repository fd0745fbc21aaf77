"""Which scripted shipment a tracking number belongs to: the read-only lookup the carrier simulators use.

The simulated carriers follow the packages the simulated TD SYNNEX ships, so both tell one story: a
number is known to a carrier from its ship time, leaves from the warehouse that shipped it, and moves
at the pace of its ship method. Pure replay of the scripts (like `timeline.py`), nothing stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from orderbridge.simulators.tdsynnex import catalog
from orderbridge.simulators.tdsynnex.lifecycle import OrderScript


@dataclass(frozen=True, slots=True)
class ShippedParcel:
    """One carton as TD SYNNEX shipped it. `ship_method` is TD SYNNEX's code ("FG", "UP", "UPSN")."""

    tracking_number: str
    shipped_at: datetime
    ship_method: str | None
    ship_method_description: str | None
    warehouse: str | None
    origin_city: str | None
    origin_state: str | None
    origin_zip: str | None
    weight_lbs: Decimal | None
    estimated_delivery: date | None
    customer_number: str
    po_number: str
    order_number: str | None


def shipped_parcel(scripts: Iterable[OrderScript], tracking_number: str, now: datetime) -> ShippedParcel | None:
    """The earliest shipment of `tracking_number` up to `now` in these scripts (several lines may share a
    carton), with the ship method and warehouse in force for its sales order at that moment."""
    found: ShippedParcel | None = None
    for script in scripts:
        if script.rejected:
            continue
        for line in script.lines:
            # The method and warehouse an item carries, by sales order, as the timeline replays them.
            held: dict[str | None, tuple[str | None, str | None]] = {}
            last: str | None = None
            for event in sorted(line.events, key=lambda e: e.at):
                if event.at > now:
                    break
                key = event.order_number or last
                method, warehouse = held.get(key) or held.get(last) or (None, None)
                method, warehouse = event.ship_method or method, event.warehouse or warehouse
                held[key], last = (method, warehouse), key
                if event.kind != "ship" or (found is not None and found.shipped_at <= event.at):
                    continue
                package = next((p for p in event.packages if p.tracking_number == tracking_number), None)
                if package is None:
                    continue
                place = catalog.WAREHOUSES.get(warehouse or "")
                found = ShippedParcel(
                    tracking_number=tracking_number,
                    shipped_at=event.at,
                    ship_method=method,
                    ship_method_description=catalog.SHIP_METHODS.get(method or ""),
                    warehouse=warehouse,
                    origin_city=place.city if place else None,
                    origin_state=place.state if place else None,
                    origin_zip=place.zip_code if place else None,
                    weight_lbs=package.weight,
                    estimated_delivery=event.estimated_delivery_date,
                    customer_number=script.customer_number,
                    po_number=script.po_number,
                    order_number=key,
                )
    return found
