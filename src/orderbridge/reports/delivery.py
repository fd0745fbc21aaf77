"""Delivery figures from the carriers' word on each package: ship-to-delivery days and on-time delivery,
in all, by carrier and by ship method. Pure: `orderbridge report`, the dashboard and the tests share it.

A package, not an order, is the unit: one PO's cartons may travel with different carriers and arrive on
different days. Two promises are measured, because they answer different questions:

- TD SYNNEX's estimate (`tds_estimate`, the EstimatedDeliveryDate of the carton's lines): did the
  distributor's promise to the customer hold?
- the carrier's first estimate (`first_estimate`): did the carrier keep its own first word? A carrier
  that later moves its date has not delivered "on time" by this measure.

On time: delivered on or before the promised day, the delivery day taken in `zone` (the report's zone,
`[display] timezone`, as the dashboard shows times). Days: from
TD SYNNEX's ship time to the carrier's delivery time. Packages nobody follows are left out (there is no
delivery truth for them); returned packages count as shipped, never as delivered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, tzinfo

from orderbridge.core.delivery import TrackedParcel
from orderbridge.reports.figures import NONE_YET, Measured, Spread

DAY_S = 86400.0


@dataclass(frozen=True)
class Promise(Measured):
    """Delivered packages measured against one promise; `overdue` are undelivered past it."""

    overdue: int = 0


@dataclass(frozen=True)
class DeliveryGroup:
    """One carrier's, one ship method's, or all packages' figures."""

    name: str
    packages: int
    delivered: int
    returned: int
    days: Spread  # TD SYNNEX ship time -> delivered
    vs_tdsynnex: Promise
    vs_carrier: Promise


@dataclass(frozen=True)
class DeliveryReport:
    all: DeliveryGroup
    by_carrier: tuple[DeliveryGroup, ...]
    by_ship_method: tuple[DeliveryGroup, ...]
    notes: tuple[str, ...] = ()


def _promise(
    parcels: Sequence[TrackedParcel], promised: Callable[[TrackedParcel], date | None], zone: tzinfo, today: date
) -> Promise:
    measured = on_time = overdue = 0
    for parcel in parcels:
        day = promised(parcel)
        if day is None:
            continue
        if parcel.delivered and parcel.delivered_at is not None:
            measured += 1
            on_time += parcel.delivered_at.astimezone(zone).date() <= day
        elif not parcel.state.final and day < today:
            overdue += 1
    return Promise(measured, on_time, overdue)


def group(name: str, parcels: Sequence[TrackedParcel], zone: tzinfo, today: date) -> DeliveryGroup:
    days = [
        max(0.0, (p.delivered_at - p.shipped_at).total_seconds() / DAY_S)
        for p in parcels
        if p.delivered and p.delivered_at is not None and p.shipped_at is not None
    ]
    return DeliveryGroup(
        name=name,
        packages=len(parcels),
        delivered=sum(1 for p in parcels if p.delivered),
        returned=sum(1 for p in parcels if p.state.final and not p.delivered),
        days=Spread.of(days),
        vs_tdsynnex=_promise(parcels, lambda p: p.tds_estimate, zone, today),
        vs_carrier=_promise(parcels, lambda p: p.first_estimate, zone, today),
    )


def _groups(
    parcels: Sequence[TrackedParcel], key: Callable[[TrackedParcel], str | None], zone: tzinfo, today: date
) -> tuple[DeliveryGroup, ...]:
    buckets: dict[str, list[TrackedParcel]] = {}
    for parcel in parcels:
        buckets.setdefault(key(parcel) or NONE_YET, []).append(parcel)
    groups = [group(name, members, zone, today) for name, members in buckets.items()]
    return tuple(sorted(groups, key=lambda g: (g.name == NONE_YET, -g.packages, g.name)))


def build_delivery_report(parcels: Iterable[TrackedParcel], *, today: date, zone: tzinfo = UTC) -> DeliveryReport:
    followed = [p for p in parcels if p.provider is not None]
    return DeliveryReport(
        all=group("all", followed, zone, today),
        by_carrier=_groups(followed, lambda p: p.carrier, zone, today),
        by_ship_method=_groups(followed, lambda p: p.ship_method, zone, today),
        notes=(
            "Delivery: packages a carrier-tracking provider follows, shipped in the period; days from TD SYNNEX's "
            "ship time to the carrier's delivery scan.",
            "On time (delivery): delivered on or before TD SYNNEX's estimated delivery date, and on or before "
            "the carrier's first estimate; overdue: undelivered past it.",
        ),
    )
