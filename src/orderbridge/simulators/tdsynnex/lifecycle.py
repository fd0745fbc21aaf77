"""Scripted order timelines for the TD SYNNEX simulator, and a generator of realistic random ones.

A script says what happens to each PO line and when (accepted, back-ordered, released, shipped,
invoiced, deleted), keyed by sales order number, so one line can fan out into several sales orders
exactly as the real service reports it (td-synnex.md §7). `timeline.py` turns a script into the answer
at a given moment; nothing here depends on the clock.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Literal, get_args
from zoneinfo import ZoneInfo

from orderbridge.core.domain import Package
from orderbridge.simulators.tdsynnex import catalog

EventKind = Literal["accept", "backorder", "release", "ship", "invoice", "delete"]
EVENT_KINDS: tuple[str, ...] = get_args(EventKind)
PACIFIC = ZoneInfo("America/Los_Angeles")


@dataclass(frozen=True)
class LineEvent:
    """One thing that happens to one sales order (`order_number`) behind one PO line.

    `order_number=None` means the sales order this line touched last. A `ship` on an order number the
    line has not seen yet opens a new `<Item>` with the same lineNumber (a split, spec example 6).
    `quantity` is the OrderQuantity for accept/backorder and the units shipped for ship.
    """

    at: datetime
    kind: EventKind
    order_number: str | None = None
    order_type: str | None = None
    quantity: int = 0
    warehouse: str | None = None
    ship_method: str | None = None
    packages: Sequence[Package] = ()
    eta: date | None = None
    estimated_ship_date: date | None = None
    estimated_delivery_date: date | None = None


@dataclass(frozen=True)
class LineScript:
    line_number: int
    sku: str
    mfg_pn: str
    product_name: str
    quantity: int
    unit_price: Decimal
    events: Sequence[LineEvent] = ()


@dataclass(frozen=True)
class OrderScript:
    """A reseller PO as TD SYNNEX will report it. `rejected` models a PO refused at submission time."""

    customer_number: str
    po_number: str
    placed_at: datetime
    lines: Sequence[LineScript] = field(default_factory=list)
    rejected: bool = False
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class _Rates:
    backorder: float
    delete: float
    split: float
    drop_ship: float


PROFILES: dict[str, _Rates] = {
    "mixed": _Rates(backorder=0.12, delete=0.05, split=0.15, drop_ship=0.04),
    "fast": _Rates(backorder=0.0, delete=0.0, split=0.0, drop_ship=0.0),
    "troubled": _Rates(backorder=0.4, delete=0.15, split=0.3, drop_ship=0.05),
}
_PARCEL_METHODS = ("FG", "UP", "FO", "FP", "UR", "U3", "F2", "EXDO")  # EXDO: LTL freight for pallets
_PARCEL_WEIGHTS = (40, 25, 8, 6, 5, 6, 5, 3)


@dataclass
class _Portion:
    """The part of one line that one sales order carries, before it is turned into events."""

    line: int
    product: catalog.Product
    quantity: int
    order_number: str
    warehouse: str
    method: str
    opening: Literal["accept", "backorder", "none"]
    order_type: str = "SO"
    ship_at: datetime | None = None
    deleted_at: datetime | None = None
    eta: date | None = None
    packages: list[Package] = field(default_factory=list)


def _afternoon(moment: datetime, days: int, rng: random.Random) -> datetime:
    # Warehouses ship in the local afternoon; the wire shows Pacific time, so plan in Pacific time.
    local = (moment + timedelta(days=days)).astimezone(PACIFIC)
    shipped = local.replace(hour=rng.randint(13, 19), minute=rng.randint(0, 59), second=rng.randint(0, 59))
    return shipped.astimezone(moment.tzinfo)


@dataclass(frozen=True, slots=True)
class _Plan:
    """What every line of one generated PO shares: the home warehouse, carrier and main sales order."""

    placed_at: datetime
    accepted_at: datetime
    home: str
    method: str
    main_so: str
    main_ship: datetime


def _line_portions(
    rng: random.Random, plan: _Plan, rates: _Rates, number: int, product: catalog.Product, qty: int
) -> list[_Portion]:
    base = _Portion(number, product, qty, plan.main_so, plan.home, plan.method, "accept", ship_at=plan.main_ship)
    roll = rng.random()
    if (roll := roll - rates.delete) < 0:
        # Cancelled by the sales rep; often a quote order (QO) that never became a sales order.
        if rng.random() < 0.5:
            base.order_type, base.order_number = "QO", catalog.order_number(rng)
        base.ship_at = None
        base.deleted_at = plan.accepted_at + timedelta(hours=rng.uniform(2, 72))
        return [base]
    if (roll := roll - rates.drop_ship) < 0:
        # Manufacturer drop-ship: warehouse 98, UPSN, H320... numbers (td-synnex.md §1.6).
        base.order_number, base.warehouse, base.method = catalog.order_number(rng), catalog.DROP_SHIP_WAREHOUSE, "UPSN"
        base.ship_at = _afternoon(plan.placed_at, rng.randint(2, 7), rng)
        return [base]
    if (roll := roll - rates.split) < 0:
        other = rng.choice([w for w in catalog.STOCKING_WAREHOUSES if w != plan.home])
        second_so = catalog.order_number(rng)
        if qty >= 2 and rng.random() < 0.5:
            # Quantity split across two warehouses, each its own sales order, shipping on its own day.
            first = rng.randint(1, qty - 1)
            base.quantity = first
            later = max(_afternoon(plan.main_ship, rng.randint(0, 3), rng), plan.main_ship)
            return [
                base,
                _Portion(number, product, qty - first, second_so, other, plan.method, "accept", ship_at=later),
            ]
        # Spec example 6: accepted as a QO at one warehouse, shipped as a new SO from another; the QO is
        # deleted after the SO ships (the 2025 capture shows such deleted QO items beside invoiced ones).
        quote = _Portion(number, product, qty, catalog.order_number(rng), plan.home, plan.method, "accept", "QO")
        quote.deleted_at = plan.main_ship + timedelta(hours=rng.uniform(1, 30))
        return [quote, _Portion(number, product, qty, second_so, other, plan.method, "none", ship_at=plan.main_ship)]
    if roll - rates.backorder < 0:
        # Back-order, whole or partial: the missing units wait on their own BO sales order until the ETA.
        eta = (plan.accepted_at + timedelta(days=rng.randint(7, 21))).astimezone(PACIFIC).date()
        short = qty if qty < 2 or rng.random() < 0.5 else rng.randint(1, qty - 1)
        arrival = datetime.combine(eta, datetime.min.time(), PACIFIC).astimezone(plan.placed_at.tzinfo)
        waiting = _Portion(number, product, short, catalog.order_number(rng), plan.home, plan.method, "backorder", "BO")
        waiting.ship_at, waiting.eta = _afternoon(arrival, 0, rng), eta
        if short == qty:
            return [waiting]
        base.quantity = qty - short
        return [base, waiting]
    return [base]


def generate_order(
    rng: random.Random,
    *,
    customer_number: str,
    po_number: str,
    placed_at: datetime,
    n_lines: int,
    profile: str = "mixed",
) -> OrderScript:
    """A realistic random script; the same `rng` state always gives the same script.

    Most orders ship within 1-5 days; per line (profile "mixed") ~5% are deleted, ~4% drop-shipped,
    ~15% split across warehouses and ~12% back-ordered 1-3 weeks. Invoices follow 1-3 days after shipping.
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {sorted(PROFILES)}")
    if n_lines < 1:
        raise ValueError("n_lines must be at least 1")
    rates = PROFILES[profile]
    plan = _Plan(
        placed_at=placed_at,
        # The PO submission answers with sales order numbers at once, so items exist from the first query.
        accepted_at=placed_at,
        home=rng.choice(catalog.STOCKING_WAREHOUSES),
        method=rng.choices(_PARCEL_METHODS, weights=_PARCEL_WEIGHTS)[0],
        main_so=catalog.order_number(rng),
        main_ship=_afternoon(placed_at, rng.choices((1, 2, 3, 4, 5), weights=(35, 30, 18, 10, 7))[0], rng),
    )
    picks = rng.sample(catalog.PRODUCTS, n_lines) if n_lines <= len(catalog.PRODUCTS) else None
    portions: list[_Portion] = []
    lines: list[tuple[int, catalog.Product, int]] = []
    for number in range(1, n_lines + 1):
        product = picks[number - 1] if picks else rng.choice(catalog.PRODUCTS)
        qty = rng.randint(1, 5) if product.serial_prefix else rng.randint(1, 25)
        lines.append((number, product, qty))
        portions += _line_portions(rng, plan, rates, number, product, qty)
    _pack(rng, portions)
    scripts = []
    for number, product, qty in lines:
        events = _events(rng, [p for p in portions if p.line == number], plan.accepted_at)
        scripts.append(LineScript(number, product.sku, product.mfg_pn, product.name, qty, product.unit_price, events))
    return OrderScript(customer_number=customer_number, po_number=po_number, placed_at=placed_at, lines=scripts)


def _pack(rng: random.Random, portions: list[_Portion]) -> None:
    """Put every shipment's units into 1-6 cartons; adjacent lines share cartons, so tracking repeats."""
    shipments: dict[tuple[str, datetime], list[_Portion]] = {}
    for portion in portions:
        if portion.ship_at is not None:
            shipments.setdefault((portion.order_number, portion.ship_at), []).append(portion)
    for group in shipments.values():
        units = sum(p.quantity for p in group)
        cartons = min(units, rng.choices((1, 2, 3, 4, 5, 6), weights=(40, 25, 15, 10, 6, 4))[0])
        numbers = [catalog.tracking_number(rng, group[0].method) for _ in range(cartons)]
        unit = 0
        for portion in group:
            per_carton: dict[int, int] = {}
            for _ in range(portion.quantity):
                per_carton[unit * cartons // units] = per_carton.get(unit * cartons // units, 0) + 1
                unit += 1
            drop = portion.warehouse == catalog.DROP_SHIP_WAREHOUSE
            prefix = portion.product.serial_prefix
            for carton, count in per_carton.items():
                # Drop-ship weights come back as 0.0 in real traffic (td-synnex.md §1.6).
                weight = Decimal("0.0") if drop else (portion.product.unit_weight * count).quantize(Decimal("0.01"))
                serials = tuple(catalog.serial_number(rng, prefix) for _ in range(count)) if prefix else ()
                portion.packages.append(Package(numbers[carton], weight, count, serials))


def _events(rng: random.Random, portions: list[_Portion], accepted_at: datetime) -> list[LineEvent]:
    events: list[LineEvent] = []
    for p in portions:
        planned = p.ship_at.astimezone(PACIFIC).date() if p.ship_at else None
        transit = timedelta(days=catalog.TRANSIT_DAYS.get(p.method, 5))
        delivery = planned + transit if planned else None
        if p.opening == "accept":
            events.append(
                LineEvent(
                    accepted_at,
                    "accept",
                    p.order_number,
                    p.order_type,
                    p.quantity,
                    p.warehouse,
                    p.method,
                    estimated_ship_date=planned,
                    estimated_delivery_date=delivery,
                )
            )
        elif p.opening == "backorder":
            events.append(
                LineEvent(
                    accepted_at,
                    "backorder",
                    p.order_number,
                    "BO",
                    p.quantity,
                    p.warehouse,
                    catalog.HOLD_METHOD,
                    eta=p.eta,
                    estimated_ship_date=p.eta,
                )
            )
        if p.ship_at is not None:
            release_at = max(p.ship_at - timedelta(hours=rng.uniform(1, 20)), accepted_at + timedelta(minutes=5))
            if p.opening != "none":
                # Stock arrived or picking began: fee fields appear from here (v2.40+); BO becomes SO (UNCONFIRMED).
                events.append(LineEvent(release_at, "release", p.order_number, "SO", ship_method=p.method))
            events.append(
                LineEvent(
                    p.ship_at,
                    "ship",
                    p.order_number,
                    "SO",
                    p.quantity,
                    p.warehouse,
                    p.method,
                    tuple(p.packages),
                    estimated_delivery_date=delivery,
                )
            )
            events.append(
                LineEvent(
                    p.ship_at + timedelta(days=rng.randint(1, 3), hours=rng.uniform(0, 6)), "invoice", p.order_number
                )
            )
        if p.deleted_at is not None:
            events.append(LineEvent(p.deleted_at, "delete", p.order_number))
    return sorted(events, key=lambda e: e.at)
