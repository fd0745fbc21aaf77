"""Exception alerts: each rule's condition, one open alert per order and rule, and self-resolution."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from orderbridge.alerts.evaluate import diff_alerts, evaluate_alerts
from orderbridge.alerts.rules import (
    NOT_FOUND,
    REPEATED_ERRORS,
    SHIP_DATE_MISSED,
    SHIPPED_NOT_CLOSED,
    STUCK,
    Subject,
    findings,
)
from orderbridge.config import AlertSettings, Settings
from orderbridge.core.domain import Stage
from orderbridge.store import Store, SyncRecord, TrackedOrder
from orderbridge.store.alerts import list_alerts, open_alerts, record_alert_changes
from orderbridge.store.facts import FactsRow, save_facts

D0 = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)


def settings(**alerts: Any) -> Settings:
    return Settings(
        connectwise={"company": "c", "public_key": "p", "private_key": "k", "client_id": "x"},
        tdsynnex={"user_id": "u", "password": "pw", "customer_number": "1"},
        alerts=alerts,
    )


def facts(po_id: int = 1, **values: Any) -> FactsRow:
    return FactsRow("t", po_id, f"PO-{po_id}", D0, values.pop("updated_at", D0), **values)


def rules_for(row: FactsRow, now: datetime, *, failures: int = 0, **limits: Any) -> set[str]:
    tracked = TrackedOrder("t", row.po_id, row.po_number, D0, consecutive_failures=failures, last_checked_at=now)
    subject = Subject(row, tracked, now, now.date(), AlertSettings(**limits))
    return {f.rule for f in findings(subject)}


@pytest.mark.parametrize(
    ("row", "days_later", "failures", "expected"),
    [
        # Estimated 3-03, nothing shipped on 3-04: missed. On 3-03 itself it is not missed yet.
        (facts(stage=Stage.ACCEPTED, estimated_ship_date=date(2026, 3, 3)), 2, 0, {SHIP_DATE_MISSED}),
        (facts(stage=Stage.ACCEPTED, estimated_ship_date=date(2026, 3, 3)), 1, 0, set()),
        # Accepted on D0, 10 days is the default limit.
        (facts(stage=Stage.ACCEPTED, stage_since=D0), 10, 0, {STUCK}),
        (facts(stage=Stage.ACCEPTED, stage_since=D0), 9, 0, set()),
        # Shipped stage is not in the default stuck_days; shipped_not_closed fires at 21 days.
        (facts(stage=Stage.SHIPPED, stage_since=D0, first_shipped_at=D0), 21, 0, {SHIPPED_NOT_CLOSED}),
        (facts(stage=Stage.CLOSED, stage_since=D0, first_shipped_at=D0), 40, 0, set()),
        # notFound for 24 hours; repeated errors are not reported twice for the same cause.
        (facts(not_found_since=D0), 1, 5, {NOT_FOUND}),
        (facts(stage=Stage.SHIPPED, stage_since=D0), 1, 3, {REPEATED_ERRORS}),
        (facts(stage=Stage.SHIPPED, stage_since=D0), 1, 2, set()),
        # A person set "Cancelled": the order is theirs, nothing to tell them.
        (facts(stage=Stage.ACCEPTED, stage_since=D0, status_name="Cancelled"), 30, 9, set()),
    ],
)
def test_rule_conditions(row: FactsRow, days_later: int, failures: int, expected: set[str]) -> None:
    assert rules_for(row, D0 + timedelta(days=days_later), failures=failures) == expected


def test_a_threshold_of_zero_switches_a_rule_off() -> None:
    row = facts(stage=Stage.ACCEPTED, stage_since=D0, not_found_since=D0)
    later = D0 + timedelta(days=30)
    assert rules_for(row, later, stuck_days={"accepted": 0}, not_found_hours=0) == set()


def test_an_order_no_longer_checked_is_forgotten() -> None:
    row = facts(stage=Stage.ACCEPTED, stage_since=D0)
    subject = Subject(row, None, D0 + timedelta(days=31), date(2026, 4, 2), AlertSettings())
    assert findings(subject) == []


def test_unknown_stage_in_stuck_days_is_a_config_error() -> None:
    with pytest.raises(ValueError, match="unknown stage 'shiped'"):
        AlertSettings(stuck_days={"shiped": 3})


def test_one_alert_per_order_and_rule_until_it_resolves_by_itself(store: Store) -> None:
    config = settings()
    save_facts(store, [facts(stage=Stage.ACCEPTED, stage_since=D0)])
    first = evaluate_alerts(store, config, "t", D0 + timedelta(days=11))
    assert [(a.rule, a.po_id) for a in first.opened] == [(STUCK, 1)]
    assert first.opened[0].id is not None

    second = evaluate_alerts(store, config, "t", D0 + timedelta(days=12))
    assert (second.opened, second.resolved) == ((), ())
    assert [a.id for a in second.still_open] == [first.opened[0].id]
    stored = list_alerts(store, tenant="t", state="all")
    assert len(stored) == 1 and "12 days" in stored[0].message

    # It ships: the stuck condition clears and the alert resolves without anybody touching it.
    moved = facts(stage=Stage.SHIPPED, stage_since=D0 + timedelta(days=12), first_shipped_at=D0 + timedelta(days=12))
    save_facts(store, [replace(moved, updated_at=D0 + timedelta(days=12))])
    third = evaluate_alerts(store, config, "t", D0 + timedelta(days=13))
    assert [a.id for a in third.resolved] == [first.opened[0].id]
    assert open_alerts(store, "t") == {}
    assert list_alerts(store, tenant="t", state="resolved")[0].resolved_at == D0 + timedelta(days=13)

    # The same rule again later is a new episode, with its own row.
    save_facts(store, [facts(stage=Stage.INVOICED, stage_since=D0, updated_at=D0 + timedelta(days=30))])
    fourth = evaluate_alerts(store, settings(stuck_days={"invoiced": 5}), "t", D0 + timedelta(days=30))
    assert [a.rule for a in fourth.opened] == [STUCK]
    assert [a.resolved_at is None for a in list_alerts(store, tenant="t", state="all")] == [True, False]


def test_racing_evaluators_cannot_open_the_same_alert_twice(store: Store) -> None:
    row = facts(stage=Stage.ACCEPTED, stage_since=D0)
    finding = next(
        f
        for f in findings(Subject(row, None, D0 + timedelta(days=11), date(2026, 3, 13), AlertSettings()))
        if f.rule == STUCK
    )
    # Both looked before either wrote: each believes the alert is new.
    outcome = diff_alerts("t", {(1, STUCK): (row, finding)}, {}, D0)
    kept = record_alert_changes(store, "t", opened=outcome.opened, still_open=(), resolved=(), now=D0)
    again = record_alert_changes(store, "t", opened=outcome.opened, still_open=(), resolved=(), now=D0)
    assert len(kept) == 1 and again == []
    assert len(list_alerts(store, tenant="t", state="all")) == 1


def test_repeated_errors_come_from_the_sync_failure_count(store: Store) -> None:
    save_facts(store, [facts(stage=Stage.SHIPPED, stage_since=D0, last_error="HTTP 400 from ConnectWise")])
    tracked = TrackedOrder("t", 1, "PO-1", D0, stage=Stage.SHIPPED, consecutive_failures=4, last_error="HTTP 400")
    store.save_results("t", [SyncRecord(tracked=tracked)])
    outcome = evaluate_alerts(store, settings(), "t", D0 + timedelta(hours=2))
    assert [a.rule for a in outcome.opened] == [REPEATED_ERRORS]
    assert "4 checks in a row failed; last error: HTTP 400" in outcome.opened[0].message
    # Other tenants' alerts are untouched by this tenant's evaluation.
    assert evaluate_alerts(store, settings(), "other", D0 + timedelta(hours=2)).opened == ()
    assert len(open_alerts(store, "t")) == 1
