"""The carrier minimum of the benchmark (tools/bench/carriers.py), table-driven: one answer to register a
package, one per round in which its carrier state changed, FedEx's 30 to a request."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from tools.bench.carriers import figures, first_poll_minimum, key_of, minimum_by_provider

from orderbridge.core.delivery import ParcelState, ScanEvent, TrackedParcel

T0 = datetime(2026, 3, 2, 12, tzinfo=UTC)
ROUNDS = [T0 + timedelta(hours=3 * n) for n in range(6)]  # T0 .. T0+15h


def parcel(number: str, provider: str, registered: datetime, *changes: tuple[float, ParcelState]) -> TrackedParcel:
    events = tuple(ScanEvent(T0 + timedelta(hours=h), state, state.value) for h, state in changes)
    return TrackedParcel("t", 1, number, "FedEx", provider, "route", registered, events=events)


IN, OUT, DONE = ParcelState.IN_TRANSIT, ParcelState.OUT_FOR_DELIVERY, ParcelState.DELIVERED

CASES = [
    ("registered in a round, no scan since: one answer", [parcel("a", "ups", ROUNDS[1])], {}, {"ups": 1}),
    (
        "registered, then two changes in two rounds",
        [parcel("a", "ups", ROUNDS[0], (-1, IN), (4, OUT), (7, DONE))],
        {},
        {"ups": 3},
    ),
    (
        "two changes between the same two rounds need one answer",
        [parcel("a", "easypost", ROUNDS[0], (-1, IN), (4, OUT), (5, DONE))],
        {},
        {"easypost": 2},
    ),
    (
        "a repeated state is no change",
        [parcel("a", "ups", ROUNDS[0], (-1, IN), (4, IN), (8, IN))],
        {},
        {"ups": 1},
    ),
    (
        "registered before the phase, answered at T0-1h: the change at T0-0.5h is news of round 0",
        [parcel("a", "ups", T0 - timedelta(days=1), (-30, IN), (-0.5, OUT), (10, DONE))],
        {"a": T0 - timedelta(hours=1)},
        {"ups": 2},
    ),
    (
        "35 FedEx packages registered in one round: two requests",
        [parcel(f"f{n}", "fedex", ROUNDS[2]) for n in range(35)],
        {},
        {"fedex": 2},
    ),
    ("registered outside the rounds: not this phase's", [parcel("a", "ups", T0 + timedelta(hours=1))], {}, {}),
]


@pytest.mark.parametrize(("parcels", "before", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_minimum_by_provider(
    parcels: list[TrackedParcel], before: dict[str, datetime], expected: dict[str, int]
) -> None:
    seen_until = {key_of(p): before[p.tracking_number] for p in parcels if p.tracking_number in before}
    minimum, _packages = minimum_by_provider(parcels, ROUNDS, seen_until)
    assert dict(minimum) == expected


def test_first_polls_and_figures() -> None:
    parcels = [parcel(f"f{n}", "fedex", T0) for n in range(31)] + [parcel("u", "ups", T0 - timedelta(hours=1))]
    minimum, packages = first_poll_minimum(parcels, T0)
    assert dict(minimum) == {"fedex": 2} and dict(packages) == {"fedex": 31}
    shown = figures(Counter({"carrier_fedex": 3, "carrier_token": 1}), minimum, packages)
    assert shown["calls"] == 3 and shown["min_calls"] == 2 and shown["token_calls"] == 1
    assert shown["by_provider"]["fedex"]["calls_per_package"] == round(3 / 31, 3)
