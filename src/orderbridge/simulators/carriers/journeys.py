"""A package's journey from label to doorstep, derived deterministically from its number and ship time.

Pure: the same (number, ship time, seed, mix) always gives the same journey, so every provider's
simulator tells the same story and a test can predict it. `seen(now)` replays it on the simulated
clock. The outcome is drawn from a configurable mix: delivered; a failed attempt, then delivered the
next day; a slipped estimate (a delay scan revises the date); an exception that stops the journey;
delivered elsewhere (an access point or a neighbour); returned to the sender after failed attempts.
Explicit per-number scripts (the control API) and EasyPost's test codes build journeys from steps.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, get_args

from orderbridge.simulators.carriers import places
from orderbridge.simulators.carriers.places import Place

StepKind = Literal[
    "label_created",
    "picked_up",
    "arrived",
    "departed",
    "delayed",
    "out_for_delivery",
    "failed_attempt",
    "held_for_pickup",
    "exception",
    "delivered",
    "delivered_elsewhere",
    "returning",
    "returned",
    "unknown",  # a scan outside the documented vocabulary (what an unmapped code looks like)
]
STEP_KINDS: tuple[str, ...] = get_args(StepKind)
OUTCOMES = ("delivered", "failed_attempt", "slipped", "exception", "elsewhere", "returned")
DEFAULT_MIX: dict[str, float] = {
    "delivered": 0.70,
    "failed_attempt": 0.08,
    "slipped": 0.08,
    "exception": 0.04,
    "elsewhere": 0.06,
    "returned": 0.04,
}
EXCEPTION_REASONS = ("damaged", "held", "lost")


@dataclass(frozen=True, slots=True)
class Parcel:
    tracking_number: str
    carrier: str  # "UPS", "FedEx", "USPS", "DHL", as orderbridge names carriers
    shipped_at: datetime
    origin: Place = places.DEFAULT_ORIGIN
    transit_days: int = 4
    service: str | None = None  # "FedEx Ground", from TD SYNNEX's ship method
    weight_oz: float | None = None


@dataclass(frozen=True, slots=True)
class Step:
    at: datetime
    kind: StepKind
    place: Place | None
    estimate: date | None = None  # the carrier's estimated delivery date from this scan on
    note: str = ""  # an exception's reason, an attempt's excuse
    signer: str | None = None


@dataclass(frozen=True)
class Journey:
    parcel: Parcel
    outcome: str
    destination: Place
    steps: tuple[Step, ...]

    def seen(self, now: datetime) -> tuple[Step, ...]:
        return tuple(step for step in self.steps if step.at <= now)


def seed_of(seed: int, number: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}:{number}".encode()).digest()[:8], "big")


def _at(day: date, place: Place, hour: float) -> datetime:
    """`hour` o'clock on `day` where `place` is, in UTC (scans happen in local working hours)."""
    return (datetime.combine(day, time(0), place.zone) + timedelta(hours=hour)).astimezone(UTC)


def _next_working_day(day: date) -> date:
    day += timedelta(days=1)
    return day + timedelta(days=1) if day.weekday() == 6 else day  # no Sunday deliveries


def plan_journey(parcel: Parcel, *, seed: int, mix: Mapping[str, float], outcome: str | None = None) -> Journey:
    rng = random.Random(seed_of(seed, parcel.tracking_number))
    chosen = outcome or rng.choices(list(mix), weights=list(mix.values()))[0]
    if chosen not in OUTCOMES:
        raise ValueError(f"unknown outcome {chosen!r}; choose one of {', '.join(OUTCOMES)}")
    door = places.at_door(rng.choice(places.DESTINATIONS), rng.randint(10, 9899), rng.choice(places.STREETS))
    hubs = places.HUBS.get(parcel.carrier, places.DEFAULT_HUBS)
    shipped, origin = parcel.shipped_at, parcel.origin
    day = shipped.astimezone(door.zone).date()
    for _ in range(max(1, parcel.transit_days)):
        day = _next_working_day(day)
    estimate = day
    steps = [
        Step(shipped - timedelta(hours=rng.uniform(1, 5)), "label_created", origin, estimate),
        Step(shipped + timedelta(minutes=rng.uniform(30, 150)), "picked_up", origin, estimate),
    ]
    if chosen == "slipped":
        estimate = day + timedelta(days=rng.randint(1, 3))
        day = estimate
    # Out for delivery in the destination's morning, and never before the hubs have had their hours.
    out_at = max(_at(day, door, rng.uniform(7.5, 9.5)), steps[-1].at + timedelta(hours=8))
    stops = rng.sample(hubs, k=min(len(hubs), max(1, min(3, parcel.transit_days))))
    slot = ((out_at - timedelta(hours=4)) - steps[-1].at) / len(stops)
    for index, hub in enumerate(stops):
        arrive = steps[1].at + slot * (index + rng.uniform(0.1, 0.3))
        steps.append(Step(arrive, "arrived", hub, steps[-1].estimate))
        if chosen == "exception" and index == 0:
            reason = rng.choice(EXCEPTION_REASONS)
            steps.append(Step(arrive + slot * 0.4, "exception", hub, steps[-1].estimate, reason))
            return Journey(parcel, chosen, door, tuple(steps))
        if chosen == "slipped" and index == 0:
            steps.append(Step(arrive + slot * 0.2, "delayed", hub, estimate, "weather"))
        steps.append(Step(arrive + slot * rng.uniform(0.4, 0.6), "departed", hub, estimate))
    steps.append(Step(out_at, "out_for_delivery", door, estimate))
    done_at = max(_at(day, door, rng.uniform(10, 17)), out_at + timedelta(hours=1))
    signer = rng.choice(places.SIGNERS)
    if chosen in ("failed_attempt", "returned"):
        steps.append(Step(_at(day, door, rng.uniform(13, 16.5)), "failed_attempt", door, estimate, "not available"))
        day = _next_working_day(day)
        steps.append(Step(_at(day, door, rng.uniform(7.5, 9.5)), "out_for_delivery", door, day))
        done_at = _at(day, door, rng.uniform(10, 17))
    if chosen == "returned":
        steps.append(Step(_at(day, door, rng.uniform(13, 16.5)), "failed_attempt", door, day, "refused"))
        steps.append(Step(_at(_next_working_day(day), door, 9), "returning", door, None, "refused by the receiver"))
        back = _at(_next_working_day(day) + timedelta(days=max(1, parcel.transit_days)), origin, 11)
        steps.append(Step(back, "returned", origin, None, "", "SHIPPING"))
    elif chosen == "elsewhere":
        spot = places.access_point(door, parcel.carrier) if rng.random() < 0.6 else places.neighbour(door)
        steps.append(Step(done_at, "delivered_elsewhere", spot, steps[-1].estimate, "", spot.name))
    else:
        steps.append(Step(done_at, "delivered", door, steps[-1].estimate, "", signer))
    return Journey(parcel, chosen, door, tuple(steps))


@dataclass(frozen=True, slots=True)
class ScriptedStep:
    """One step of an explicit script: hours after the ship time, and where (default: by kind)."""

    after_hours: float
    kind: StepKind
    place: Place | None = None
    estimate: date | None = None
    note: str = ""
    signer: str | None = None


def scripted_journey(parcel: Parcel, steps: Sequence[ScriptedStep], *, seed: int) -> Journey:
    """A journey from explicit steps (tests): places default to origin, a hub, or the destination."""
    plan = plan_journey(parcel, seed=seed, mix=DEFAULT_MIX, outcome="delivered")
    hub = places.HUBS.get(parcel.carrier, places.DEFAULT_HUBS)[0]
    at_origin, at_door = {"label_created", "picked_up", "returned"}, {"out_for_delivery", "failed_attempt", "delivered"}
    built: list[Step] = []
    estimate = plan.steps[0].estimate
    for step in sorted(steps, key=lambda s: s.after_hours):
        where = step.place or (parcel.origin if step.kind in at_origin else plan.destination)
        if step.place is None and step.kind not in at_origin | at_door:
            where = places.access_point(plan.destination, parcel.carrier) if step.kind == "delivered_elsewhere" else hub
        estimate = step.estimate or estimate
        at = parcel.shipped_at + timedelta(hours=step.after_hours)
        built.append(Step(at, step.kind, where, estimate, step.note, step.signer or where.name))
    return replace(plan, outcome="scripted", steps=tuple(built))


# EasyPost's test codes (carriers.md §1.6): fixed journeys, complete by the time the tracker exists.
TEST_CODES: dict[str, tuple[StepKind, ...]] = {
    "EZ1000000001": ("label_created",),
    "EZ2000000002": ("label_created", "picked_up", "arrived"),
    "EZ3000000003": ("label_created", "picked_up", "arrived", "out_for_delivery"),
    "EZ4000000004": ("label_created", "picked_up", "arrived", "out_for_delivery", "delivered"),
    "EZ5000000005": ("label_created", "picked_up", "arrived", "returning"),
    "EZ6000000006": ("label_created", "picked_up", "exception"),
    "EZ7000000007": ("unknown",),
}


def test_code_journey(code: str, carrier: str, created_at: datetime) -> Journey | None:
    kinds = TEST_CODES.get(code)
    if kinds is None:
        return None
    parcel = Parcel(code, carrier or "USPS", created_at - timedelta(days=2), transit_days=2)
    steps = [
        ScriptedStep(hours, kind, signer="John Tester" if kind == "delivered" else None)
        for hours, kind in zip(range(0, 40, 8), kinds, strict=False)
    ]
    return replace(scripted_journey(parcel, steps, seed=0), outcome=code)
