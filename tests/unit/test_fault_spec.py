"""The `--faults` grammar and the seeded dice behind it: parsing, errors that name the bad part, the
latency distribution, 429 bursts on the simulator clock, reproducibility and installation on both states."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderbridge.core.clock import SimClock
from orderbridge.simulators.connectwise.state import ConnectWiseState
from orderbridge.simulators.fault_spec import (
    KINDS,
    Burst,
    FaultDice,
    FaultSpecError,
    Latency,
    ServiceFaults,
    apply_fault_spec,
    parse_duration,
    parse_fault_spec,
    parse_service_faults,
)
from orderbridge.simulators.tdsynnex.state import TDSynnexState

EXAMPLE = "tds:5xx=0.1,timeout=0.05,latency=200ms~p99:2s;cw:429burst=20/60s,5xx=0.02"
T0 = datetime(2026, 1, 5, 16, 0, tzinfo=UTC)


def test_the_documented_example_parses() -> None:
    spec = parse_fault_spec(EXAMPLE)
    assert spec.tds is not None and spec.cw is not None
    assert spec.tds.rates == {"5xx": 0.1, "timeout": 0.05}
    assert spec.tds.latency == Latency(0.2, 2.0)
    assert spec.cw.burst == Burst(20.0, 60.0)
    assert spec.cw.rates == {"5xx": 0.02}


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("200ms", 0.2), ("2s", 2.0), ("1.5m", 90.0), ("1h", 3600.0), ("3", 3.0), (" 10S ", 10.0)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


def test_burst_length_takes_the_period_unit_unless_it_has_its_own() -> None:
    assert parse_service_faults("429burst=2/5m").burst == Burst(120.0, 300.0)
    assert parse_service_faults("429burst=500ms/2s").burst == Burst(0.5, 2.0)


def test_percentages_seeds_and_aliases() -> None:
    spec = parse_fault_spec(" tdsynnex : malformed = 1% , seed=7 ; connectwise:html=0.5 ")
    assert spec.tds == ServiceFaults(rates={"malformed": 0.01}, seed=7)
    assert spec.cw == ServiceFaults(rates={"html": 0.5})


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("tds:5xx=1.5", "between 0 and 1"),
        ("tds:5xx=lots", "a number"),
        ("tds:fire=0.1", "unknown fault 'fire'"),
        ("tds:5xx", "key=value"),
        ("xx:5xx=0.1", "start with tds: or cw:"),
        ("tds:5xx=0.1;tds:429=0.1", "appears twice"),
        ("tds:5xx=0.6,timeout=0.6", "add up to 1.2"),
        ("cw:429burst=60/60s", "shorter than its period"),
        ("cw:429burst=20", "<length>/<period>"),
        ("tds:latency=fast", "not a duration"),
        ("tds:latency=1s~p90:2s", "~p99:"),
        ("tds:seed=-1", "whole number"),
    ],
)
def test_bad_specs_name_the_bad_part(text: str, complaint: str) -> None:
    with pytest.raises(FaultSpecError, match=complaint):
        parse_fault_spec(text)


rates = st.dictionaries(st.sampled_from(KINDS), st.integers(0, 100).map(lambda n: n / 1000), max_size=len(KINDS))


@given(
    rates,
    st.none() | st.tuples(st.integers(1, 5000), st.integers(0, 20000)),
    st.none() | st.tuples(st.integers(1, 59), st.integers(60, 600)),
    st.integers(0, 10**6),
)
def test_a_profile_prints_as_a_spec_that_parses_back_to_it(
    rates: dict[str, float], latency: tuple[int, int] | None, burst: tuple[int, int] | None, seed: int
) -> None:
    profile = ServiceFaults(
        rates={kind: rate for kind, rate in rates.items() if rate},
        latency=Latency(latency[0] / 1000, (latency[0] + latency[1]) / 1000) if latency else None,
        burst=Burst(float(burst[0]), float(burst[1])) if burst else None,
        seed=seed,
    )
    assert parse_service_faults(str(profile)) == profile


def test_latency_has_the_median_and_tail_it_was_given() -> None:
    dice = FaultDice(parse_service_faults("latency=200ms~p99:2s,seed=11"))
    samples = sorted(dice.roll(T0).delay_s for _ in range(20_000))
    assert statistics.median(samples) == pytest.approx(0.2, rel=0.05)
    assert samples[int(0.99 * len(samples))] == pytest.approx(2.0, rel=0.15)
    assert max(samples) <= 10.0  # the tail is capped at 5 x p99


def test_fixed_latency_without_a_tail() -> None:
    dice = FaultDice(parse_service_faults("latency=50ms"))
    assert {dice.roll(T0).delay_s for _ in range(10)} == {0.05}


def test_rates_are_met_and_at_most_one_fault_per_request() -> None:
    dice = FaultDice(parse_service_faults("5xx=0.1,timeout=0.05,malformed=0.01,seed=3"))
    rolls = [dice.roll(T0) for _ in range(50_000)]
    share = {kind: sum(r.kind == kind for r in rolls) / len(rolls) for kind in ("5xx", "timeout", "malformed")}
    assert share["5xx"] == pytest.approx(0.1, abs=0.01)
    assert share["timeout"] == pytest.approx(0.05, abs=0.006)
    assert share["malformed"] == pytest.approx(0.01, abs=0.003)
    assert sum(dice.counts.values()) == sum(r.kind is not None for r in rolls)
    assert {r.status for r in rolls if r.kind == "5xx"} == {500, 502, 503}


def test_same_seed_same_faults() -> None:
    first = FaultDice(parse_service_faults("5xx=0.3,reset=0.1,latency=10ms~p99:1s,seed=5"))
    second = FaultDice(parse_service_faults("5xx=0.3,reset=0.1,latency=10ms~p99:1s,seed=5"))
    assert [first.roll(T0) for _ in range(500)] == [second.roll(T0) for _ in range(500)]
    other = FaultDice(parse_service_faults("5xx=0.3,reset=0.1,latency=10ms~p99:1s,seed=6"))
    assert [first.roll(T0) for _ in range(500)] != [other.roll(T0) for _ in range(500)]


def test_429_bursts_follow_the_clock_and_say_how_long_is_left() -> None:
    dice = FaultDice(parse_service_faults("429burst=20/60s"))
    minute = datetime(2026, 1, 5, 16, 0, tzinfo=UTC)  # a whole minute since the epoch: a burst starts
    assert (dice.roll(minute).kind, dice.roll(minute).retry_after_s) == ("429", 20)
    assert dice.roll(minute + timedelta(seconds=15.5)).retry_after_s == 5
    assert dice.roll(minute + timedelta(seconds=20)).kind is None
    assert dice.roll(minute + timedelta(seconds=59)).kind is None
    assert dice.roll(minute + timedelta(seconds=61)).kind == "429"
    assert dice.counts["429burst"] == 4


def test_apply_installs_and_removes_profiles_on_both_simulators() -> None:
    clock = SimClock()
    cw, tds = ConnectWiseState(clock), TDSynnexState(clock)
    spec = apply_fault_spec(EXAMPLE, cw, tds)
    assert cw.faults.random is not None and cw.faults.random.profile == spec.cw
    assert tds.faults.random is not None and tds.faults.random.profile == spec.tds
    apply_fault_spec("tds:html=0.5", cw, tds)
    assert cw.faults.random is None and tds.faults.random is not None
    tds.reset()
    assert tds.faults.random is None  # a reset clears every fault, the profile too
