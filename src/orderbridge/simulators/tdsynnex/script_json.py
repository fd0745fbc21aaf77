"""The JSON form of order scripts and views, for the `/_sim/` control API (documented in COVERAGE.md).

Pydantic validates what arrives, so a bad seed fails with a field-by-field message instead of a
half-built order; the dataclasses in `lifecycle.py` stay free of any wire concerns.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from orderbridge.core.domain import DistributorOrder, Package
from orderbridge.simulators.tdsynnex.lifecycle import EventKind, LineEvent, LineScript, OrderScript


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PackageIn(_Model):
    tracking_number: str | None = Field(default=None, max_length=25)
    weight: Decimal | None = None
    ship_item_quantity: int | None = Field(default=None, ge=0)
    serial_numbers: list[str] = []


class EventIn(_Model):
    at: AwareDatetime | None = None
    after_seconds: float | None = Field(default=None, ge=0, description="seconds after the PO was placed")
    kind: EventKind
    order_number: str | None = Field(default=None, max_length=10)
    order_type: str | None = None
    quantity: int = Field(default=0, ge=0)
    warehouse: str | None = None
    ship_method: str | None = None
    packages: list[PackageIn] = []
    eta: date | None = None
    estimated_ship_date: date | None = None
    estimated_delivery_date: date | None = None

    @model_validator(mode="after")
    def _one_time(self) -> EventIn:
        if (self.at is None) == (self.after_seconds is None):
            raise ValueError("give exactly one of `at` (ISO 8601 with offset) or `after_seconds`")
        return self


class LineIn(_Model):
    line_number: int = Field(ge=1)
    sku: str
    mfg_pn: str
    product_name: str
    quantity: int = Field(ge=1)
    unit_price: Decimal
    events: list[EventIn] = []


class OrderIn(_Model):
    customer_number: str | None = None
    po_number: str = Field(min_length=1, max_length=20)
    placed_at: AwareDatetime | None = None
    rejected: bool = False
    reason: str | None = None
    duplicate: bool = False
    lines: list[LineIn] = []


class GenerateIn(_Model):
    po_number: str = Field(min_length=1, max_length=20)
    n_lines: int = Field(default=3, ge=1, le=200)
    seed: int = 0
    customer_number: str | None = None
    profile: str = "mixed"
    placed_at: AwareDatetime | None = None
    duplicate: bool = False


def script_from_json(order: OrderIn, *, default_customer: str, now: datetime) -> OrderScript:
    placed_at = order.placed_at or now

    def event(e: EventIn) -> LineEvent:
        at = e.at if e.at is not None else placed_at + timedelta(seconds=e.after_seconds or 0)
        packages = tuple(
            Package(p.tracking_number, p.weight, p.ship_item_quantity, tuple(p.serial_numbers)) for p in e.packages
        )
        return LineEvent(
            at=at,
            kind=e.kind,
            order_number=e.order_number,
            order_type=e.order_type,
            quantity=e.quantity,
            warehouse=e.warehouse,
            ship_method=e.ship_method,
            packages=packages,
            eta=e.eta,
            estimated_ship_date=e.estimated_ship_date,
            estimated_delivery_date=e.estimated_delivery_date,
        )

    return OrderScript(
        customer_number=order.customer_number or default_customer,
        po_number=order.po_number,
        placed_at=placed_at,
        rejected=order.rejected,
        reason=order.reason,
        lines=[
            LineScript(
                ln.line_number,
                ln.sku,
                ln.mfg_pn,
                ln.product_name,
                ln.quantity,
                ln.unit_price,
                [event(e) for e in ln.events],
            )
            for ln in order.lines
        ],
    )


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def script_to_json(script: OrderScript) -> dict[str, Any]:
    """The script in the same shape `POST /_sim/orders` accepts (absolute `at` times)."""
    return dict(_plain(asdict(script)))


def order_to_json(order: DistributorOrder) -> dict[str, Any]:
    """A view for debugging: the DistributorOrder's fields, dates as ISO strings, codes as strings."""
    return dict(_plain(asdict(order)))
