"""Which `order_facts` rows could hold an alert rule, as one SQL predicate, so evaluation skips the rest.

The delivery rules (delivery_rules.py) get the same treatment over the `parcels` table
(`parcel_clause`, `candidate_parcels`).

Almost no order holds any rule, and building every row in Python after every cycle was most of what
evaluation cost. `rules.py` stays the only authority on what holds: this predicate is a superset of
each rule's condition (it may let extra rows through, never drop one a rule would find), so the rules
over the candidates find exactly what they would find over every row. Change a rule and this must
still cover it; tests/unit/test_alert_candidates.py compares both ways on random rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select

from orderbridge.config import AlertSettings
from orderbridge.core.delivery import ParcelState, TrackedParcel
from orderbridge.core.domain import Stage
from orderbridge.store import Store
from orderbridge.store.facts import FactsFilter, FactsRow, iter_facts, order_facts
from orderbridge.store.parcels import ParcelFilter, iter_parcels, parcels
from orderbridge.store.tables import tracked_orders

# The rules floor `timedelta.total_seconds()`, a float that can round up by a few microseconds on
# spans of centuries; a second of slack on every time cutoff keeps the predicate a superset anyway.
SLACK = timedelta(seconds=1)


def _cutoff(now: datetime, age: timedelta) -> datetime | None:
    """The latest moment a timestamp may hold and still be `age` old at `now`; None when no datetime
    is that old (a huge limit), so the rule cannot fire."""
    try:
        # In UTC: Python subtracts from an aware time in its own zone by the wall clock, so across a DST
        # change "now - 1 day" in Los Angeles is 23 or 25 real hours, while the rules measure real time.
        return now.astimezone(UTC) - age + SLACK
    except OverflowError:
        return None


def candidate_clause(limits: AlertSettings, tenant: str, now: datetime, today: date) -> ColumnElement[bool] | None:
    """Rows of `tenant` that some rule might find at `now`; None when every rule is off (no row can)."""
    c = order_facts.c
    could: list[ColumnElement[bool]] = []
    if limits.ship_date_missed:
        # The rule fires when today > estimate + grace, in whole dates: estimate < today - grace.
        try:
            latest = today - timedelta(days=limits.ship_date_grace_days)
        except OverflowError:
            latest = None
        if latest is not None:
            could.append(c.estimated_ship_date.is_not(None) & (c.estimated_ship_date < latest))
    for stage in Stage:
        # Whole days in the stage, floored, reach the limit: stage_since <= now - limit days.
        limit = limits.stuck_days.get(stage.name.lower(), 0)
        if limit > 0 and (cutoff := _cutoff(now, timedelta(days=limit))) is not None:
            could.append((c.stage == int(stage)) & (c.stage_since <= cutoff))
    if limits.shipped_not_closed_days > 0:
        # The rule reads first_shipped_at, else shipped_at; either one old enough lets the row through.
        cutoff = _cutoff(now, timedelta(days=limits.shipped_not_closed_days))
        if cutoff is not None:
            could.append((c.first_shipped_at <= cutoff) | (c.shipped_at <= cutoff))
    if limits.not_found_hours > 0:
        cutoff = _cutoff(now, timedelta(hours=limits.not_found_hours))
        if cutoff is not None:
            could.append(c.not_found_since <= cutoff)
    if limits.repeated_errors > 0:
        # The failure count lives in the sync's own table; notFound has its own rule, as in rules.py.
        failing = select(tracked_orders.c.po_id).where(
            tracked_orders.c.tenant == tenant, tracked_orders.c.consecutive_failures >= limits.repeated_errors
        )
        could.append(c.not_found_since.is_(None) & c.po_id.in_(failing))
    if not could:
        return None
    # findings() drops closed orders and those whose status a person took over (a non-empty name)
    # before any rule runs. NULL compares as unknown in SQL, hence the explicit IS NULL on each.
    live = or_(c.stage.is_(None), c.stage != int(Stage.CLOSED)) & or_(c.status_name.is_(None), c.status_name == "")
    return and_(live, or_(*could))


def candidate_facts(
    store: Store, tenant: str, limits: AlertSettings, now: datetime, today: date, *, page: int = 500
) -> Iterator[FactsRow]:
    """The tenant's rows that pass `candidate_clause`, streamed in po_id pages like `iter_facts`."""
    clause = candidate_clause(limits, tenant, now, today)
    if clause is None:
        return iter(())
    return iter_facts(store, FactsFilter(tenant=tenant), where=clause, page=page)


def parcel_clause(limits: AlertSettings, now: datetime) -> ColumnElement[bool] | None:
    """Parcels some delivery rule might find at `now`; None when every delivery rule is off. A superset
    of each rule in delivery_rules.py, as `candidate_clause` is of the order rules."""
    p = parcels.c
    could: list[ColumnElement[bool]] = []
    if limits.delivery_slipped_days > 0:
        # Whole days between two dates: estimate - first_estimate > N, so estimate > first_estimate.
        could.append(p.estimate.is_not(None) & p.first_estimate.is_not(None) & (p.estimate > p.first_estimate))
    if limits.carrier_exception:
        could.append(p.state.in_([ParcelState.EXCEPTION.value, ParcelState.FAILED_ATTEMPT.value]))
    if limits.delivered_elsewhere_or_returned:
        could.append((p.state == ParcelState.RETURNED_TO_SENDER.value) | p.delivered_elsewhere.is_(True))
    if limits.no_carrier_scan_days > 0 and (cutoff := _cutoff(now, timedelta(days=limits.no_carrier_scan_days))):
        unscanned = p.state.in_([ParcelState.UNKNOWN.value, ParcelState.LABEL_CREATED.value])
        shipped = or_(p.shipped_at <= cutoff, p.shipped_at.is_(None) & (p.registered_at <= cutoff))
        could.append(unscanned & shipped)
    if not could:
        return None
    recent = _cutoff(now, timedelta(days=limits.forget_after_days))
    followed: ColumnElement[bool] = p.provider.is_not(None)
    if recent is not None:
        followed = followed & (p.updated_at >= recent - 2 * SLACK)
    return and_(followed, or_(*could))


def candidate_parcels(store: Store, tenant: str, limits: AlertSettings, now: datetime) -> Iterator[TrackedParcel]:
    """The tenant's parcels that pass `parcel_clause`, in (PO, number) order."""
    clause = parcel_clause(limits, now)
    if clause is None:
        return iter(())
    return iter_parcels(store, ParcelFilter(tenant=tenant), where=clause)
