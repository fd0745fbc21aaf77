"""Alert candidates: the SQL predicate lets through every row a rule would find, so evaluating only
the candidates gives the same findings as running the rules over every row; the rest never loads."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from orderbridge.alerts.candidates import candidate_clause, candidate_facts
from orderbridge.alerts.evaluate import current_findings, evaluate_alerts
from orderbridge.alerts.rules import (
    NOT_FOUND,
    REPEATED_ERRORS,
    SHIP_DATE_MISSED,
    SHIPPED_NOT_CLOSED,
    STUCK,
    Subject,
    findings,
)
from orderbridge.config import ALERT_STAGES, AlertSettings, Settings
from orderbridge.core.domain import Stage
from orderbridge.store import Store, SyncRecord, TrackedOrder
from orderbridge.store.alerts import open_alerts
from orderbridge.store.facts import FactsFilter, FactsRow, iter_facts, order_facts, save_facts
from orderbridge.store.tables import tracked_orders

D0 = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
# Zones far either side of UTC move TD SYNNEX's "today" off the UTC date for part of each day.
ZONES = ("America/Los_Angeles", "UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago")
# Seconds either side of a threshold; exactly on it is the likeliest, since that is where an off-by-one hides.
JITTERS = (0, 0, 0, 1e-6, 1, 3600, 86400, 2 * 86400)
# Days past the last date an estimate may hold unmissed: 0 is the last quiet day, 1 the first alert.
DAYS_LATE = (-3, -1, 0, 0, 1, 1, 2)


def make_settings(zone: str = "America/Los_Angeles", **alerts: Any) -> Settings:
    return Settings(
        connectwise={"company": "c", "public_key": "p", "private_key": "k", "client_id": "x"},
        tdsynnex={"user_id": "u", "password": "pw", "customer_number": "1", "timezone": zone},
        alerts=alerts,  # exactly these limits: stuck_days={} checks no stage (tests/unit/test_config.py)
    )


def today_of(config: Settings, now: datetime) -> date:
    return now.astimezone(ZoneInfo(config.tdsynnex.timezone)).date()


def every_row_findings(store: Store, config: Settings, tenant: str, now: datetime) -> dict[Any, Any]:
    """The brute force the candidates replace: every rule over every row of the tenant."""
    rows = list(iter_facts(store, FactsFilter(tenant=tenant)))
    tracked = store.load_tracked(tenant, [row.po_id for row in rows])
    today = today_of(config, now)
    return {
        (row.po_id, found.rule): (row, found)
        for row in rows
        for found in findings(Subject(row, tracked.get(row.po_id), now, today, config.alerts))
    }


# Each rule's switch and the value that turns it off, so a scenario can keep just one rule on: with
# several on, a row dropped by one rule's clause often slips through another's and hides the bug.
RULE_OFF = {
    "ship_date_missed": False,
    "stuck_days": {},
    "shipped_not_closed_days": 0,
    "not_found_hours": 0,
    "repeated_errors": 0,
}


@st.composite
def alert_limits(draw: st.DrawFn) -> dict[str, Any]:
    limits = draw(
        st.fixed_dictionaries(
            {
                # Mostly on, so most rules are exercised in most examples; off stays one choice of several.
                "ship_date_missed": st.sampled_from([True, True, True, False]),
                "ship_date_grace_days": st.sampled_from([0, 0, 1, 3]),
                "stuck_days": st.dictionaries(st.sampled_from(ALERT_STAGES), st.sampled_from([0, 1, 2, 5]), min_size=1),
                "shipped_not_closed_days": st.sampled_from([0, 1, 2, 5]),
                "not_found_hours": st.sampled_from([0, 1, 24, 48]),
                "repeated_errors": st.sampled_from([0, 1, 2, 3, 5]),
                "forget_after_days": st.sampled_from([1, 3, 10]),
            }
        )
    )
    solo = draw(st.sampled_from([None, *RULE_OFF]))
    if solo is not None:
        limits |= {name: off for name, off in RULE_OFF.items() if name != solo}
    return limits


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Settings, datetime, list[FactsRow], list[TrackedOrder]]:
    config = make_settings(draw(st.sampled_from(ZONES)), **draw(alert_limits()))
    limits = config.alerts
    now_utc = draw(
        st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC))
    )
    # The evaluator is handed UTC, but nothing should depend on that.
    now = now_utc.astimezone(ZoneInfo(draw(st.sampled_from(ZONES))))
    today = today_of(config, now)
    # The ages at which each rule flips, so moments land on, just before and just after a threshold
    # rather than somewhere in between. Each field is drawn around the thresholds that read it.
    shipped_ages = [0, limits.shipped_not_closed_days * 86400]
    not_found_ages = [0, limits.not_found_hours * 3600]
    # Mostly checked lately; sometimes around the age at which an order is forgotten.
    checked_ages = [0, 3600, 86400, limits.forget_after_days * 86400]

    def moment(ages: list[int]) -> datetime:
        if draw(st.integers(0, 3)) == 0:
            offset: float = draw(st.integers(-3 * 86400, 3 * 86400))
        else:
            offset = draw(st.sampled_from(JITTERS)) * draw(st.sampled_from((-1, 1)))
        return now - timedelta(seconds=draw(st.sampled_from(ages)) + offset)

    def maybe(ages: list[int]) -> datetime | None:
        return moment(ages) if draw(st.booleans()) else None

    rows: list[FactsRow] = []
    tracked: list[TrackedOrder] = []
    for po_id in range(1, draw(st.integers(4, 14)) + 1):
        estimate = None
        if draw(st.booleans()):
            late = draw(st.sampled_from(DAYS_LATE))
            estimate = today - timedelta(days=limits.ship_date_grace_days + late)
        stage = draw(st.sampled_from([None, *Stage]))
        own_limit = limits.stuck_days.get(stage.name.lower(), 0) if stage else 0
        stuck_ages = sorted({0, own_limit * 86400} | {days * 86400 for days in limits.stuck_days.values()})
        row = FactsRow(
            "t",
            po_id,
            f"PO-{po_id}",
            D0,
            moment(checked_ages),
            stage=stage,
            status_name=draw(st.sampled_from([None, None, None, "", "Cancelled"])),
            estimated_ship_date=estimate,
            # Around this stage's own limit most of the time, sometimes another stage's.
            stage_since=maybe([own_limit * 86400] * 3 + stuck_ages),
            first_shipped_at=maybe(shipped_ages),
            shipped_at=maybe(shipped_ages),
            not_found_since=maybe(not_found_ages),
            last_error=draw(st.sampled_from([None, "HTTP 400"])),
        )
        rows.append(row)
        if draw(st.booleans()):
            # The same PO id in another tenant, old and failing: nothing of it may leak into "t".
            rows.append(replace(row, tenant="other", stage_since=now - timedelta(days=90)))
            tracked.append(TrackedOrder("other", po_id, None, D0, last_checked_at=now, consecutive_failures=5))
        if draw(st.integers(0, 2)):
            failures = draw(st.integers(0, 5))
            checked = maybe(checked_ages)
            tracked.append(TrackedOrder("t", po_id, None, D0, last_checked_at=checked, consecutive_failures=failures))
    # Tracked POs without facts have nothing for a rule to read.
    for po_id in draw(st.sets(st.integers(31, 35), max_size=3)):
        tracked.append(TrackedOrder("t", po_id, None, D0, last_checked_at=now, consecutive_failures=5))
    return config, now, rows, tracked


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(scenario=scenarios())
def test_candidates_find_what_every_row_would(
    store: Store, scenario: tuple[Settings, datetime, list[FactsRow], list[TrackedOrder]]
) -> None:
    config, now, rows, tracked = scenario
    # One store for every example: empty it rather than migrate a new one each time.
    with store.transaction() as connection:
        connection.execute(order_facts.delete())
        connection.execute(tracked_orders.delete())
    save_facts(store, rows)
    for tenant in ("t", "other"):
        store.save_results(tenant, [SyncRecord(tracked=t) for t in tracked if t.tenant == tenant])

    expected = every_row_findings(store, config, "t", now)
    for _, rule in expected:
        event(f"found {rule}")
    assert current_findings(store, config, "t", now) == expected


def test_a_cutoff_across_the_end_of_daylight_saving_time_is_measured_in_real_hours(store: Store) -> None:
    # Found by the property above: 2025-11-02 in Los Angeles has 25 hours. Shipped 24h59m58s ago is a
    # day old for the rule, but "now - 1 day" on the Los Angeles wall clock cut it off (23:00 UTC < 23:00:02).
    la = ZoneInfo("America/Los_Angeles")
    config = make_settings(**{**RULE_OFF, "shipped_not_closed_days": 1})
    now = datetime(2025, 11, 2, 16, 0, tzinfo=la)
    row = FactsRow("t", 1, "PO-1", D0, now, stage=Stage.SHIPPED, shipped_at=datetime(2025, 11, 1, 16, 0, 2, tzinfo=la))
    with store.transaction() as connection:
        connection.execute(order_facts.delete())
    save_facts(store, [row])
    expected = every_row_findings(store, config, "t", now)
    assert set(expected) == {(1, SHIPPED_NOT_CLOSED)}
    assert current_findings(store, config, "t", now) == expected


# Odd microseconds, so a cut-off rounded to the second anywhere would show.
EDGE_NOW = datetime(2026, 3, 22, 17, 30, 15, 123457, tzinfo=UTC)
US = timedelta(microseconds=1)
EDGE_TODAY = today_of(make_settings(), EDGE_NOW)


def edge(po_id: int, **values: Any) -> FactsRow:
    return FactsRow("t", po_id, f"PO-{po_id}", D0, EDGE_NOW, stage=values.pop("stage", Stage.ACCEPTED), **values)


@pytest.mark.parametrize(
    ("limits", "rows", "failures", "expected"),
    [
        # Grace 2: the estimate two days back is the last quiet one, three days back the first alert.
        (
            {"ship_date_missed": True, "ship_date_grace_days": 2},
            [edge(po_id, estimated_ship_date=EDGE_TODAY - timedelta(days=days)) for po_id, days in ((1, 2), (2, 3))],
            {},
            {(2, SHIP_DATE_MISSED)},
        ),
        # Exactly three days in the stage counts; a microsecond short does not.
        (
            {"stuck_days": {"released": 3}},
            [
                edge(po_id, stage=Stage.RELEASED, stage_since=EDGE_NOW - timedelta(days=3) + shift)
                for po_id, shift in ((1, US), (2, timedelta(0)), (3, -US))
            ],
            {},
            {(2, STUCK), (3, STUCK)},
        ),
        # Either ship time can be the one the rule reads: first_shipped_at when known, else shipped_at.
        (
            {"shipped_not_closed_days": 2},
            [
                edge(1, stage=Stage.SHIPPED, first_shipped_at=EDGE_NOW - timedelta(days=2)),
                edge(2, stage=Stage.SHIPPED, shipped_at=EDGE_NOW - timedelta(days=2)),
                edge(3, stage=Stage.SHIPPED, shipped_at=EDGE_NOW - timedelta(days=2) + US),
                edge(4, stage=Stage.SHIPPED, first_shipped_at=EDGE_NOW - timedelta(days=2) + US, shipped_at=D0),
            ],
            {},
            {(1, SHIPPED_NOT_CLOSED), (2, SHIPPED_NOT_CLOSED)},
        ),
        (
            {"not_found_hours": 5},
            [
                edge(po_id, not_found_since=EDGE_NOW - timedelta(hours=5) + shift)
                for po_id, shift in ((1, US), (2, timedelta(0)))
            ]
            # No stage yet (TD SYNNEX never answered) and an empty status name: still the rules' to judge.
            + [edge(3, stage=None, status_name="", not_found_since=EDGE_NOW - timedelta(hours=5))],
            {},
            {(2, NOT_FOUND), (3, NOT_FOUND)},
        ),
        # Three failures in a row is the limit; notFound failures belong to their own rule.
        (
            {"repeated_errors": 3},
            [edge(1), edge(2), edge(3, not_found_since=EDGE_NOW)],
            {1: 2, 2: 3, 3: 5},
            {(2, REPEATED_ERRORS)},
        ),
    ],
)
def test_rows_exactly_on_a_threshold_are_candidates(
    store: Store, limits: dict[str, Any], rows: list[FactsRow], failures: dict[int, int], expected: set[Any]
) -> None:
    config = make_settings(**(RULE_OFF | limits))
    save_facts(store, rows)
    tracked = [
        TrackedOrder("t", po, None, D0, last_checked_at=EDGE_NOW, consecutive_failures=n) for po, n in failures.items()
    ]
    store.save_results("t", [SyncRecord(tracked=t) for t in tracked])
    found = current_findings(store, config, "t", EDGE_NOW)
    assert set(found) == expected
    assert found == every_row_findings(store, config, "t", EDGE_NOW)


def test_every_rule_off_asks_for_no_rows(store: Store) -> None:
    off = make_settings(**RULE_OFF)
    save_facts(store, [FactsRow("t", 1, "PO-1", D0, D0, stage=Stage.ACCEPTED, stage_since=D0 - timedelta(days=90))])
    later = D0 + timedelta(days=1)
    assert candidate_clause(off.alerts, "t", later, later.date()) is None
    assert list(candidate_facts(store, "t", off.alerts, later, later.date())) == []
    # The same row with the defaults on is a candidate, so the empty answer above is the rules being off.
    on = AlertSettings()
    assert [r.po_id for r in candidate_facts(store, "t", on, later, later.date())] == [1]


def quiet(po_id: int, now: datetime) -> FactsRow:
    """An order in good standing: recently accepted, estimated for next week, nothing failing."""
    return FactsRow(
        "t",
        po_id,
        f"PO-{po_id}",
        now - timedelta(days=2),
        now - timedelta(hours=1),
        stage=Stage.ACCEPTED,
        stage_since=now - timedelta(days=2),
        estimated_ship_date=(now + timedelta(days=7)).date(),
    )


def test_many_quiet_orders_are_not_candidates_and_an_alert_resolves_when_its_row_leaves(store: Store) -> None:
    config = make_settings()
    now = D0 + timedelta(days=20)
    stuck = replace(quiet(777, now), stage_since=now - timedelta(days=11))
    save_facts(store, [quiet(po_id, now) for po_id in range(1, 3001)] + [stuck])
    store.save_results("t", [SyncRecord(tracked=TrackedOrder("t", po_id, None, D0)) for po_id in range(1, 3001)])

    today = today_of(config, now)
    assert [row.po_id for row in candidate_facts(store, "t", config.alerts, now, today)] == [777]
    opened = evaluate_alerts(store, config, "t", now)
    assert [(a.po_id, a.rule) for a in opened.opened] == [(777, STUCK)]

    # It is released: no longer a candidate at all, so no rule even sees it, and its alert resolves.
    released = replace(stuck, stage=Stage.RELEASED, stage_since=now, updated_at=now)
    save_facts(store, [released])
    later = now + timedelta(hours=1)
    assert list(candidate_facts(store, "t", config.alerts, later, today_of(config, later))) == []
    assert current_findings(store, config, "t", later) == {}
    outcome = evaluate_alerts(store, config, "t", later)
    assert [(a.po_id, a.rule) for a in outcome.resolved] == [(777, STUCK)]
    assert (outcome.opened, outcome.still_open) == ((), ())
    assert open_alerts(store, "t") == {}


def test_candidates_stream_past_one_page(store: Store) -> None:
    config = make_settings(stuck_days={})
    now = D0 + timedelta(days=20)
    # Every odd PO's estimate has passed: 1,200 candidates among 2,400 rows, more than two pages of 500.
    late = (now - timedelta(days=3)).date()
    rows = [
        replace(quiet(po_id, now), estimated_ship_date=late) if po_id % 2 else quiet(po_id, now)
        for po_id in range(1, 2401)
    ]
    save_facts(store, rows)
    found = current_findings(store, config, "t", now)
    assert sorted(found) == [(po_id, SHIP_DATE_MISSED) for po_id in range(1, 2401, 2)]
    assert found == every_row_findings(store, config, "t", now)
