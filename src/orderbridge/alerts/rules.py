"""The exception rules: which orders need a person, and why. Pure functions over one order's facts.

Each rule looks at one `FactsRow` (plus the sync's failure count) and either finds its condition or
not; the evaluator turns "found" into one open alert per order and rule and "no longer found" into a
resolution, so a rule never has to remember anything itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from orderbridge.config import AlertSettings
from orderbridge.core.domain import Stage
from orderbridge.store.facts import FactsRow
from orderbridge.store.records import TrackedOrder

SHIP_DATE_MISSED = "ship_date_missed"
STUCK = "stuck_in_stage"
SHIPPED_NOT_CLOSED = "shipped_not_closed"
NOT_FOUND = "not_found"
REPEATED_ERRORS = "repeated_errors"
# Delivery rules (alerts/delivery_rules.py), over the packages the carriers follow.
DELIVERY_SLIPPED = "delivery_slipped"
CARRIER_EXCEPTION = "carrier_exception"
DELIVERED_ELSEWHERE_OR_RETURNED = "delivered_elsewhere_or_returned"
NO_CARRIER_SCAN = "no_carrier_scan"

RULE_LABELS: Mapping[str, str] = {
    SHIP_DATE_MISSED: "Estimated ship date missed",
    STUCK: "Stuck in a stage",
    SHIPPED_NOT_CLOSED: "Shipped, not closed",
    NOT_FOUND: "Unknown at TD SYNNEX",
    REPEATED_ERRORS: "Repeated errors",
    DELIVERY_SLIPPED: "Delivery slipped",
    CARRIER_EXCEPTION: "Carrier exception",
    DELIVERED_ELSEWHERE_OR_RETURNED: "Delivered elsewhere or returned",
    NO_CARRIER_SCAN: "No carrier scan",
}


@dataclass(frozen=True)
class Finding:
    rule: str
    message: str
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Subject:
    """One order as the rules see it. `today` is in TD SYNNEX's zone, where its estimated dates live."""

    facts: FactsRow
    tracked: TrackedOrder | None
    now: datetime
    today: date
    limits: AlertSettings

    @property
    def label(self) -> str:
        return self.facts.po_number or f"PO id {self.facts.po_id}"


def _days(delta: timedelta) -> int:
    return int(delta.total_seconds() // 86400)


def ship_date_missed(s: Subject) -> Finding | None:
    # A line TD SYNNEX promised for a date that has passed is still unshipped (back-orders included).
    estimate = s.facts.estimated_ship_date
    if not s.limits.ship_date_missed or estimate is None:
        return None
    if s.today <= estimate + timedelta(days=s.limits.ship_date_grace_days):
        return None
    late = (s.today - estimate).days
    message = f"{s.label}: estimated ship date {estimate.isoformat()} passed {late} day(s) ago, not shipped yet"
    return Finding(SHIP_DATE_MISSED, message, {"estimated_ship_date": estimate.isoformat(), "days_late": late})


def stuck_in_stage(s: Subject) -> Finding | None:
    # Accepted for weeks with no release or shipment: usually a credit hold or a vendor back-order.
    stage, since = s.facts.stage, s.facts.stage_since
    if stage is None or since is None:
        return None
    limit = s.limits.stuck_days.get(stage.name.lower(), 0)
    days = _days(s.now - since)
    if limit <= 0 or days < limit:
        return None
    message = f"{s.label}: {stage.label} for {days} days (alert after {limit})"
    return Finding(STUCK, message, {"stage": stage.label, "days": days, "limit": limit})


def shipped_not_closed(s: Subject) -> Finding | None:
    # Shipped long ago but never invoiced and closed: a lost shipment, a missing invoice, a stuck PO.
    shipped = s.facts.reached(Stage.SHIPPED)
    limit = s.limits.shipped_not_closed_days
    if limit <= 0 or shipped is None or s.facts.stage is Stage.CLOSED:
        return None
    days = _days(s.now - shipped)
    if days < limit:
        return None
    stage = s.facts.stage.label if s.facts.stage else "Shipped"
    message = f"{s.label}: first shipped {days} days ago and still {stage} (alert after {limit})"
    return Finding(SHIPPED_NOT_CLOSED, message, {"days": days, "limit": limit})


def not_found(s: Subject) -> Finding | None:
    # TD SYNNEX has never heard of the PO number: usually typed differently in the two systems.
    since = s.facts.not_found_since
    limit = s.limits.not_found_hours
    if limit <= 0 or since is None:
        return None
    hours = int((s.now - since).total_seconds() // 3600)
    if hours < limit:
        return None
    message = (
        f"{s.label}: TD SYNNEX has answered notFound for {hours} hours; "
        "check that the PO number matches the one sent to TD SYNNEX"
    )
    return Finding(NOT_FOUND, message, {"hours": hours, "since": since.isoformat()})


def repeated_errors(s: Subject) -> Finding | None:
    # The same PO fails cycle after cycle (a 400 on write, malformed answers); notFound has its own rule.
    limit = s.limits.repeated_errors
    failures = s.tracked.consecutive_failures if s.tracked else 0
    if limit <= 0 or failures < limit or s.facts.not_found_since is not None:
        return None
    last = (s.tracked.last_error if s.tracked else None) or s.facts.last_error or "no message"
    message = f"{s.label}: {failures} checks in a row failed; last error: {last}"
    return Finding(REPEATED_ERRORS, message, {"failures": failures})


RULES: tuple[Callable[[Subject], Finding | None], ...] = (
    ship_date_missed,
    stuck_in_stage,
    shipped_not_closed,
    not_found,
    repeated_errors,
)


def findings(subject: Subject) -> list[Finding]:
    """Every rule that holds for this order. Closed orders, and orders whose status a person took over
    ("Cancelled"), need nobody's attention from us."""
    if subject.facts.stage is Stage.CLOSED or subject.facts.status_name:
        return []
    checked = subject.facts.updated_at
    if subject.tracked is not None and subject.tracked.last_checked_at is not None:
        checked = max(checked, subject.tracked.last_checked_at)
    # No longer in the tracked list (closed or unmarked in ConnectWise): its alerts resolve by themselves.
    if subject.now - checked > timedelta(days=subject.limits.forget_after_days):
        return []
    return [found for rule in RULES if (found := rule(subject)) is not None]
