"""Delivery figures from order facts: stage-to-stage days, on-time shipping, carriers, warehouses,
error rate and update delay. Pure: the web page, `orderbridge report` and the tests share it.

Every average is over the orders for which both ends are known; the count beside it says how many
that was, so a figure resting on two orders is not mistaken for one resting on two thousand.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from orderbridge.core.domain import Stage
from orderbridge.store.facts import FactsRow

if TYPE_CHECKING:
    from orderbridge.reports.delivery import DeliveryReport

DAY_S = 86400.0
NONE_YET = "(not known yet)"

# The legs of an order's life the operator asked for, in order: (label, from, to).
LEGS: tuple[tuple[str, Callable[[FactsRow], datetime | None], Callable[[FactsRow], datetime | None]], ...] = (
    ("PO → accepted", lambda f: f.po_at, lambda f: f.accepted_at),
    ("accepted → shipped", lambda f: f.accepted_at, lambda f: f.reached(Stage.SHIPPED)),
    ("shipped → invoiced", lambda f: f.reached(Stage.SHIPPED), lambda f: f.invoiced_at),
    ("invoiced → closed", lambda f: f.invoiced_at, lambda f: f.closed_at),
    ("PO → shipped", lambda f: f.po_at, lambda f: f.reached(Stage.SHIPPED)),
)


@dataclass(frozen=True)
class Spread:
    """Count, mean and median of one measurement (days or hours)."""

    count: int = 0
    mean: float | None = None
    median: float | None = None

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        if not values:
            return cls()
        return cls(len(values), round(statistics.fmean(values), 2), round(statistics.median(values), 2))


@dataclass(frozen=True)
class Leg:
    label: str
    days: Spread


@dataclass(frozen=True)
class Measured:
    """Things measured against a promise, and how many kept it (shipping here, delivery in delivery.py)."""

    measured: int = 0
    on_time: int = 0

    @property
    def late(self) -> int:
        return self.measured - self.on_time

    @property
    def rate(self) -> float | None:
        return round(self.on_time / self.measured, 4) if self.measured else None


@dataclass(frozen=True)
class OnTime(Measured):
    """Shipped orders with a promise: shipped on or before the first estimated ship date TD SYNNEX gave."""

    overdue_unshipped: int = 0  # promise passed and nothing has shipped yet


@dataclass(frozen=True)
class Group:
    """Figures for one carrier, ship method or warehouse."""

    name: str
    orders: int
    shipped: int
    on_time: OnTime
    days_to_ship: Spread


@dataclass(frozen=True)
class ErrorRate:
    checks: int = 0
    failures: int = 0

    @property
    def rate(self) -> float | None:
        return round(self.failures / self.checks, 4) if self.checks else None


@dataclass(frozen=True)
class Report:
    orders: int
    by_stage: dict[str, int]
    legs: tuple[Leg, ...]
    on_time: OnTime
    by_carrier: tuple[Group, ...]
    by_ship_method: tuple[Group, ...]
    by_warehouse: tuple[Group, ...]
    errors: ErrorRate
    update_delay_hours: Spread
    notes: tuple[str, ...] = field(default=())
    delivery: DeliveryReport | None = None  # carrier tracking's figures (reports/delivery.py), when loaded


def _days(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    # Observed stage times can trail TD SYNNEX's own ship time by a poll; never report negative days.
    return max(0.0, (end - start).total_seconds() / DAY_S)


def on_time(rows: Iterable[FactsRow], today: date) -> OnTime:
    measured = punctual = overdue = 0
    for row in rows:
        if row.promised_ship_date is None:
            continue
        if row.first_ship_date is not None:
            measured += 1
            punctual += row.first_ship_date <= row.promised_ship_date
        elif row.promised_ship_date < today:
            overdue += 1
    return OnTime(measured, punctual, overdue)


def _group(name: str, rows: Sequence[FactsRow], today: date) -> Group:
    to_ship = [d for r in rows if (d := _days(r.po_at, r.reached(Stage.SHIPPED))) is not None]
    shipped = sum(1 for r in rows if r.reached(Stage.SHIPPED) is not None)
    return Group(name, len(rows), shipped, on_time(rows, today), Spread.of(to_ship))


def _groups(rows: Sequence[FactsRow], keys: Callable[[FactsRow], Iterable[str]], today: date) -> tuple[Group, ...]:
    buckets: dict[str, list[FactsRow]] = {}
    for row in rows:
        for key in keys(row) or (NONE_YET,):
            buckets.setdefault(key, []).append(row)
    groups = [_group(name, members, today) for name, members in buckets.items()]
    return tuple(sorted(groups, key=lambda g: (g.name == NONE_YET, -g.orders, g.name)))


def build_report(rows: Iterable[FactsRow], *, today: date, errors: ErrorRate = ErrorRate()) -> Report:
    facts = list(rows)
    by_stage = {stage.label: 0 for stage in Stage}
    for row in facts:
        if row.stage is not None:
            by_stage[row.stage.label] += 1
    legs = tuple(
        Leg(label, Spread.of([d for f in facts if (d := _days(start(f), end(f))) is not None]))
        for label, start, end in LEGS
    )
    delays = [
        (r.shipped_at - r.first_shipped_at).total_seconds() / 3600
        for r in facts
        if r.shipped_at is not None and r.first_shipped_at is not None and r.shipped_at >= r.first_shipped_at
    ]
    return Report(
        orders=len(facts),
        by_stage=by_stage,
        legs=legs,
        on_time=on_time(facts, today),
        by_carrier=_groups(facts, lambda r: (r.carrier,) if r.carrier else (), today),
        by_ship_method=_groups(facts, lambda r: (r.ship_method_name,) if r.ship_method_name else (), today),
        by_warehouse=_groups(facts, lambda r: r.warehouses, today),
        errors=errors,
        update_delay_hours=Spread.of(delays),
        notes=(
            "Stage times are when orderbridge first saw each stage; shipping uses TD SYNNEX's ship time.",
            "On time: first shipment on or before the first estimated ship date TD SYNNEX gave.",
            "Update delay: hours from TD SYNNEX's ship time to orderbridge recording the shipment.",
        ),
    )
