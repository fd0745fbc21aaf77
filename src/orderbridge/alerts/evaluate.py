"""`evaluate_alerts`: after each cycle, open, refresh and resolve alerts for one tenant.

The rules say what holds now; this module compares that with the open alerts, so an alert is opened
once per order and rule, stays open (with a fresh message) while its condition holds, and resolves
by itself when it stops holding. All three changes commit in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import islice
from zoneinfo import ZoneInfo

from orderbridge.alerts.candidates import candidate_facts, candidate_parcels
from orderbridge.alerts.delivery_rules import Packages, delivery_findings
from orderbridge.alerts.rules import Finding, Subject, findings
from orderbridge.config import Settings
from orderbridge.core.delivery import TrackedParcel
from orderbridge.store import Store
from orderbridge.store.alerts import AlertRecord, open_alerts, record_alert_changes
from orderbridge.store.facts import FactsFilter, FactsRow, iter_facts

PAGE = 500

Key = tuple[int, str]


@dataclass(frozen=True)
class AlertOutcome:
    """What one evaluation changed. `opened` are new episodes (notify these); `still_open` were open
    already (never notify again); `resolved` cleared by themselves in this evaluation."""

    opened: tuple[AlertRecord, ...] = ()
    still_open: tuple[AlertRecord, ...] = ()
    resolved: tuple[AlertRecord, ...] = ()


def diff_alerts(
    tenant: str,
    current: Mapping[Key, tuple[FactsRow, Finding]],
    existing: Mapping[Key, AlertRecord],
    now: datetime,
) -> AlertOutcome:
    """Pure: findings that hold now against alerts open before."""
    opened = tuple(
        AlertRecord(
            tenant=tenant,
            po_id=facts.po_id,
            po_number=facts.po_number,
            rule=finding.rule,
            message=finding.message,
            details=dict(finding.details),
            opened_at=now,
            last_seen_at=now,
        )
        for key, (facts, finding) in current.items()
        if key not in existing
    )
    still = tuple(
        replace(alert, message=current[key][1].message, details=dict(current[key][1].details), last_seen_at=now)
        for key, alert in existing.items()
        if key in current
    )
    resolved = tuple(replace(alert, resolved_at=now) for key, alert in existing.items() if key not in current)
    return AlertOutcome(opened, still, resolved)


def _pages(rows: Iterable[FactsRow], size: int) -> Iterator[list[FactsRow]]:
    iterator = iter(rows)
    while page := list(islice(iterator, size)):
        yield page


def current_findings(
    store: Store, settings: Settings, tenant: str, now: datetime
) -> dict[Key, tuple[FactsRow, Finding]]:
    """What every rule finds now, per (PO, rule). Only rows that could hold a rule leave the database
    (alerts/candidates.py); the rules still decide, so the answer is the one a full scan would give."""
    today = now.astimezone(ZoneInfo(settings.tdsynnex.timezone)).date()
    found: dict[Key, tuple[FactsRow, Finding]] = {}
    candidates = candidate_facts(store, tenant, settings.alerts, now, today, page=PAGE)
    for page in _pages(candidates, PAGE):
        tracked = store.load_tracked(tenant, [row.po_id for row in page])
        for row in page:
            subject = Subject(row, tracked.get(row.po_id), now, today, settings.alerts)
            for finding in findings(subject):
                found[(row.po_id, finding.rule)] = (row, finding)
    found.update(delivery_alert_findings(store, settings, tenant, now))
    return found


def delivery_alert_findings(
    store: Store, settings: Settings, tenant: str, now: datetime
) -> dict[Key, tuple[FactsRow, Finding]]:
    """What the delivery rules (alerts/delivery_rules.py) find now, per (PO, rule), from the parcels that
    could hold one. The PO's facts row names it; a PO a person took over is left to them."""
    by_po: dict[int, list[TrackedParcel]] = {}
    for parcel in candidate_parcels(store, tenant, settings.alerts, now):
        by_po.setdefault(parcel.po_id, []).append(parcel)
    found: dict[Key, tuple[FactsRow, Finding]] = {}
    ids = sorted(by_po)
    for start in range(0, len(ids), PAGE):
        chunk = ids[start : start + PAGE]
        rows = {row.po_id: row for row in iter_facts(store, FactsFilter(tenant=tenant, po_ids=tuple(chunk)))}
        for po_id in chunk:
            row = rows.get(po_id) or FactsRow(tenant, po_id, None, now, now)
            if row.status_name:
                continue
            label = row.po_number or f"PO id {po_id}"
            for finding in delivery_findings(Packages(label, by_po[po_id], now, settings.alerts)):
                found[(po_id, finding.rule)] = (row, finding)
    return found


def evaluate_alerts(store: Store, settings: Settings, tenant: str, now: datetime) -> AlertOutcome:
    """Run every rule over the tenant's orders and record the differences. Call after each cycle."""
    existing = open_alerts(store, tenant)
    outcome = diff_alerts(tenant, current_findings(store, settings, tenant, now), existing, now)
    # Another evaluator may have opened one of ours a moment ago; the store ignores that duplicate
    # and returns only the alerts this call opened, so nobody is notified twice.
    inserted = record_alert_changes(
        store, tenant, opened=outcome.opened, still_open=outcome.still_open, resolved=outcome.resolved, now=now
    )
    return replace(outcome, opened=tuple(inserted))


def summarise(outcome: AlertOutcome) -> Sequence[str]:
    """One line per change, for the CLI and the activity log."""
    return [f"alert opened: {a.message}" for a in outcome.opened] + [
        f"alert resolved: {a.po_number or a.po_id} {a.rule}" for a in outcome.resolved
    ]
