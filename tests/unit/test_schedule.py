"""Adaptive polling: each stage has its interval, failures back off, closed orders stop."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderbridge.config import ScheduleSettings
from orderbridge.core.domain import Stage
from orderbridge.rules.schedule import interval_for, next_check

NOW = datetime(2026, 1, 5, 12, tzinfo=UTC)
NO_JITTER = ScheduleSettings(jitter=0)


@pytest.mark.parametrize(
    ("stage", "minutes"),
    [(None, 15), (Stage.ACCEPTED, 15), (Stage.RELEASED, 15), (Stage.SHIPPED, 60), (Stage.INVOICED, 360)],
)
def test_each_stage_is_checked_at_its_own_interval(stage: Stage | None, minutes: int) -> None:
    assert next_check(stage, NOW, NO_JITTER) == NOW + timedelta(minutes=minutes)


def test_failures_back_off_exponentially_up_to_the_cap() -> None:
    waits = [next_check(Stage.ACCEPTED, NOW, NO_JITTER, failures=n) for n in range(1, 10)]
    assert [w - NOW for w in waits if w][:4] == [timedelta(minutes=m) for m in (5, 10, 20, 40)]
    assert max(w - NOW for w in waits if w) == timedelta(minutes=360)


def test_a_closed_order_stops_after_the_grace_period() -> None:
    assert next_check(Stage.CLOSED, NOW, NO_JITTER, closed_since=NOW - timedelta(days=1)) is not None
    assert next_check(Stage.CLOSED, NOW, NO_JITTER, closed_since=NOW - timedelta(days=15)) is None


@given(st.sampled_from([None, *Stage]), st.integers(0, 50), st.integers(0, 2**32))
def test_jitter_stays_within_its_fraction_of_the_interval(stage: Stage | None, failures: int, seed: int) -> None:
    settings = ScheduleSettings()
    due = next_check(stage, NOW, settings, failures=failures, rng=random.Random(seed))
    assert due is not None
    plain = next_check(stage, NOW, NO_JITTER, failures=failures)
    assert plain is not None
    base = (plain - NOW).total_seconds()
    assert abs((due - plain).total_seconds()) <= base * settings.jitter + 1e-6
    assert interval_for(stage, settings) > timedelta(0)
