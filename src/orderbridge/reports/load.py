"""Reading what a report needs from the store: order facts, and check/failure counts from cycles.

Kept apart from `figures.py` so the arithmetic stays pure and is tested on hand-made rows, while
this module owns the two queries (facts stream in pages; cycles are summed in the database).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, tzinfo

from sqlalchemy import select

from orderbridge.reports.delivery import build_delivery_report
from orderbridge.reports.figures import ErrorRate, Report, build_report
from orderbridge.store import Store
from orderbridge.store.facts import FactsFilter, iter_facts
from orderbridge.store.parcels import ParcelFilter, iter_parcels
from orderbridge.store.tables import cycles


def error_rate(store: Store, tenant: str | None, since: datetime | None, until: datetime | None) -> ErrorRate:
    """Failed PO checks over all PO checks, from the per-cycle tallies the engine records (G9)."""
    query = select(cycles.c.counts).where(cycles.c.dry_run.is_(False))
    if tenant is not None:
        query = query.where(cycles.c.tenant == tenant)
    if since is not None:
        query = query.where(cycles.c.started_at >= since)
    if until is not None:
        query = query.where(cycles.c.started_at < until)
    checks = failures = 0
    with store.reading() as connection:
        for (counts,) in connection.execute(query):
            counts = counts or {}
            # `seen` is every PO the cycle looked at; `failed` those it could not bring up to date.
            checks += int(counts.get("seen", 0))
            failures += int(counts.get("failed", 0))
    return ErrorRate(checks, failures)


def load_report(
    store: Store,
    *,
    now: datetime,
    tenant: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    zone: tzinfo = UTC,
) -> Report:
    """The report over orders first seen in [since, until) (all orders when both are None), and the
    delivery figures over packages shipped in that period. `zone` is the calendar of "delivered on time"."""
    rows = iter_facts(store, FactsFilter(tenant=tenant, since=since, until=until))
    report = build_report(rows, today=now.date(), errors=error_rate(store, tenant, since, until))
    parcels = iter_parcels(store, ParcelFilter(tenant=tenant, shipped_from=since, shipped_to=until))
    delivery = build_delivery_report(parcels, today=now.astimezone(zone).date(), zone=zone)
    return replace(report, delivery=delivery, notes=(*report.notes, *delivery.notes))
