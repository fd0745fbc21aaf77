"""The delivery planner (rules/delivery.py, rules/cartons.py) and the parcel schedule
(rules/parcel_schedule.py): table-driven cases, one per real situation, and properties."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from plan_builders import NOW, apply, cw_lines, item, order, po, remember
from plan_builders import ctx as plan_ctx

from orderbridge.carriers import CarrierRoutes
from orderbridge.config import CarrierSettings
from orderbridge.core.delivery import ParcelState, ParcelStatus, ScanEvent, TrackedParcel
from orderbridge.core.domain import CustomField, Stage
from orderbridge.rules.cartons import registrations
from orderbridge.rules.delivery import DELIVERY_EVENT_KINDS, delivery_verdict
from orderbridge.rules.parcel_schedule import apply_answer, next_poll, parcels_digest
from orderbridge.rules.plan import PlanContext, PriorState, plan_purchase_order

SHIPPED = NOW - timedelta(days=3)
A, B, H = "797615467620", "128667043726", "H320463803"
SETTINGS = CarrierSettings(
    enabled=True,
    fedex={"client_id": "id", "client_secret": "secret"},
    slip_days=1,
)
SLOW_TRANSIT = CarrierSettings(**{**SETTINGS.model_dump(), "poll_in_transit_hours": 48})


def parcel(number: str = A, state: ParcelState = ParcelState.IN_TRANSIT, **fields: Any) -> TrackedParcel:
    fields.setdefault("provider", "fedex")
    fields.setdefault("route_reason", "FedEx is followed by fedex")
    return TrackedParcel(
        tenant="t",
        po_id=501,
        tracking_number=number,
        carrier="FedEx",
        registered_at=SHIPPED,
        lines=(1,),
        shipped_at=SHIPPED,
        state=state,
        found=True,
        **fields,
    )


def delivered(number: str = A, at: datetime = NOW - timedelta(hours=2), **fields: Any) -> TrackedParcel:
    fields.setdefault("signed_by", "J SMITH")
    return parcel(number, ParcelState.DELIVERED, delivered_at=at, **fields)


def shipped_order(*numbers: str, invoiced: bool = True) -> Any:
    return order(item(1, "invoiced" if invoiced else "shipped", shipped_at=SHIPPED, tracking=numbers))


def context(**carriers: Any) -> PlanContext:
    return dataclasses.replace(
        plan_ctx(), carriers=CarrierSettings(**{**SETTINGS.model_dump(), **carriers}), delivery_zone=UTC
    )


OURS = {*DELIVERY_EVENT_KINDS, "delivery_untracked", "tracking_stopped"}
INVOICED = PriorState(Stage.INVOICED, "TDS Invoiced", event_keys=frozenset({"stage:INVOICED"}))


# --- closing: delivered True / False / None ------------------------------------------------------------------

VERDICTS = [
    # (situation, numbers shipped, parcels on record, verdict)
    ("nothing has a tracking number", (), (), None),
    ("packages never registered: tracking off", (A,), (), None),
    ("a followed package on its way", (A,), (parcel(A),), False),
    ("every package delivered", (A, B), (delivered(A), delivered(B)), True),
    ("one delivered, one still travelling", (A, B), (delivered(A), parcel(B)), False),
    ("a forwarder reference beside a delivered package", (A, H), (delivered(A), parcel(H, provider=None)), None),
    ("a forwarder reference beside a travelling one", (A, H), (parcel(A), parcel(H, provider=None)), False),
    ("the call budget spent", (A,), (parcel(A, stopped="budget"),), None),
    ("no scan for give_up_days", (A,), (parcel(A, stopped="no_scan"),), None),
    ("returned to the sender: a person decides", (A,), (parcel(A, ParcelState.RETURNED_TO_SENDER),), False),
    ("a number TD SYNNEX no longer ships is ignored", (A,), (delivered(A), parcel(B)), True),
]


@pytest.mark.parametrize(("numbers", "parcels", "verdict"), [c[1:] for c in VERDICTS], ids=[c[0] for c in VERDICTS])
def test_delivery_verdict(numbers: tuple[str, ...], parcels: tuple[TrackedParcel, ...], verdict: bool | None) -> None:
    assert delivery_verdict(shipped_order(*numbers), parcels) is verdict


def test_an_invoiced_po_closes_on_delivery_before_the_grace_period() -> None:
    plan = plan_purchase_order(po("TDS Invoiced"), shipped_order(A), context(), INVOICED, parcels=(delivered(A),))
    assert plan.stage is Stage.CLOSED
    assert [e.kind for e in plan.events if e.kind in OURS] == ["delivered"]
    assert any(e.key == "stage:CLOSED" for e in plan.events)


def test_an_invoiced_po_waits_past_the_grace_period_while_the_carrier_travels() -> None:
    late = dataclasses.replace(context(), now=SHIPPED + timedelta(days=30))
    plan = plan_purchase_order(po("TDS Invoiced"), shipped_order(A), late, INVOICED, parcels=(parcel(A),))
    assert plan.stage is Stage.INVOICED


# --- events ---------------------------------------------------------------------------------------------------

EXCEPTION_SCAN = ScanEvent(NOW - timedelta(hours=5), ParcelState.FAILED_ATTEMPT, "Customer not available", "AUSTIN, TX")
EVENTS = [
    ("all delivered at once: one delivered event", (A, B), (delivered(A), delivered(B)), {"delivered"}),
    ("the first of two delivered", (A, B), (delivered(A), parcel(B)), {"partly_delivered"}),
    (
        "a failed attempt",
        (A,),
        (parcel(A, ParcelState.FAILED_ATTEMPT, events=(EXCEPTION_SCAN,)),),
        {"delivery_exception"},
    ),
    ("returned", (A,), (parcel(A, ParcelState.RETURNED_TO_SENDER),), {"returned_to_sender"}),
    (
        "estimate slipped two days",
        (A,),
        (parcel(A, first_estimate=date(2025, 3, 10), estimate=date(2025, 3, 12)),),
        {"delivery_delayed"},
    ),
    (
        "slipped one day: tolerated",
        (A,),
        (parcel(A, first_estimate=date(2025, 3, 10), estimate=date(2025, 3, 11)),),
        set(),
    ),
    (
        "a forwarder reference",
        (H,),
        (parcel(H, provider=None, route_reason="[carriers.forwarders] x"),),
        {"delivery_untracked"},
    ),
    ("budget spent", (A,), (parcel(A, stopped="budget", polls=24),), {"tracking_stopped"}),
]


@pytest.mark.parametrize(("numbers", "parcels", "kinds"), [c[1:] for c in EVENTS], ids=[c[0] for c in EVENTS])
def test_delivery_events(numbers: tuple[str, ...], parcels: tuple[TrackedParcel, ...], kinds: set[str]) -> None:
    plan = plan_purchase_order(po("TDS Invoiced"), shipped_order(*numbers), context(), INVOICED, parcels=parcels)
    assert {e.kind for e in plan.events if e.kind in OURS} == kinds


def test_the_delivered_event_note_and_custom_field_say_when_where_and_who() -> None:
    lines = cw_lines(1)
    current = po("TDS Invoiced", lines=lines, custom_fields=(custom("Delivered"),))
    both = (delivered(A, delivered_to="AUSTIN, TX"), delivered(B, at=NOW - timedelta(hours=5), signed_by="FRONT DESK"))
    chicago = dataclasses.replace(context(delivered_field="Delivered"), delivery_zone=ZoneInfo("America/Chicago"))
    plan = plan_purchase_order(current, shipped_order(A, B), chicago, INVOICED, parcels=both)
    event = next(e for e in plan.events if e.kind == "delivered")
    assert (
        event.summary
        == "Delivered 2025-03-10 05:00 (America/Chicago) to AUSTIN, TX, signed by J SMITH and FRONT DESK; "
        "2 of 2 packages"
    )
    assert event.details["tracking_numbers"] == [A, B] and event.details["delivered_at"] == "2025-03-10T10:00:00Z"
    assert event.details["delivered_elsewhere"] is False
    note = next(n for n in plan.notes if n.key == event.key)
    assert note.text.startswith(event.summary + ": " + A) and note.text.endswith(f"[orderbridge:{event.key}]")
    field = next(c for c in plan.changes if c.field == "customFields")
    assert field.new[0]["value"] == "2025-03-10 05:00 America/Chicago, signed by J SMITH and FRONT DESK"
    arrival = next(c for c in plan.changes if c.field == "expectedArrivalDate")
    assert arrival.new == "2025-03-10T10:00:00Z" and arrival.line_id == lines[0].id


def custom(caption: str) -> CustomField:
    return CustomField(7, caption, value=None)


def test_each_line_expects_the_latest_estimate_of_its_undelivered_packages() -> None:
    current = po("TDS Invoiced", lines=cw_lines(1))
    parcels = (delivered(A), parcel(B, estimate=date(2025, 3, 14)))
    plan = plan_purchase_order(current, shipped_order(A, B), context(), INVOICED, parcels=parcels)
    assert [c.new for c in plan.changes if c.field == "expectedArrivalDate"] == ["2025-03-14T00:00:00Z"]


def test_the_second_plan_of_the_same_news_changes_nothing() -> None:
    """Planned, applied, remembered, planned again: nothing left to write, no event twice."""
    current = po("TDS Invoiced", lines=cw_lines(1), custom_fields=(custom("Delivered"),))
    parcels, prior, c = (delivered(A),), INVOICED, context(delivered_field="Delivered")
    first = plan_purchase_order(current, shipped_order(A), c, prior, parcels=parcels)
    current, prior = apply(current, first, c), remember(prior, first, c)
    second = plan_purchase_order(current, shipped_order(A), c, prior, parcels=parcels)
    assert (second.changes, second.events, second.notes) == ((), (), ())


# --- registration ---------------------------------------------------------------------------------------------


def test_registration_takes_the_carrier_from_the_ship_method_and_never_guesses() -> None:
    routes = CarrierRoutes(SETTINGS)
    shipped = order(
        item(1, "shipped", shipped_at=SHIPPED, tracking=(A,)),
        item(2, "shipped", shipped_at=SHIPPED, tracking=(H,), method=("UPSN", "UPS(GROUND)- CVS.COM")),
        item(3, "shipped", shipped_at=SHIPPED, tracking=("1Z1442YY7229014688",), method=("WC", "Will Call")),
    )
    new, moved = registrations("t", 501, shipped, (), routes, NOW)
    found = {p.tracking_number: (p.carrier, p.provider) for p in new}
    assert found == {A: ("FedEx", "fedex"), H: ("UPS", None), "1Z1442YY7229014688": ("Will Call", None)}
    assert moved == [] and all(p.next_poll_at == (NOW if p.provider else None) for p in new)
    again, _ = registrations("t", 501, shipped, new, routes, NOW)
    assert again == [], "registration is idempotent"


# --- the schedule ---------------------------------------------------------------------------------------------

SCHEDULE = [
    ("no provider: never polled", parcel(provider=None), (None, None)),
    ("delivered: final", delivered(), (None, "final")),
    ("budget spent", parcel(polls=24), (None, "budget")),
    ("no scan for 11 days", parcel(last_scan_at=NOW - timedelta(days=11)), (None, "no_scan")),
    ("out for delivery: soon", parcel(state=ParcelState.OUT_FOR_DELIVERY), (NOW + timedelta(hours=3), None)),
    ("estimate today: soon", parcel(estimate=NOW.date()), (NOW + timedelta(hours=3), None)),
    ("estimate was yesterday: soon", parcel(estimate=NOW.date() - timedelta(days=1)), (NOW + timedelta(hours=3), None)),
    ("estimate tomorrow: relaxed", parcel(estimate=NOW.date() + timedelta(days=1)), (NOW + timedelta(hours=12), None)),
    (
        "estimate two days ago: relaxed",
        parcel(estimate=NOW.date() - timedelta(days=2)),
        (NOW + timedelta(hours=12), None),
    ),
    (
        "estimate in four days: once a day",
        parcel(estimate=NOW.date() + timedelta(days=4)),
        (NOW + timedelta(days=1), None),
    ),
    (
        "estimate in two days, a slower in-transit pace configured: that pace",
        parcel(estimate=NOW.date() + timedelta(days=2)),
        (NOW + timedelta(hours=48), None),
        SLOW_TRANSIT,
    ),
    (
        "an exception quiet for 5 hours: the in-transit pace",
        parcel(state=ParcelState.EXCEPTION, last_scan_at=NOW - timedelta(hours=5)),
        (NOW + timedelta(hours=12), None),
    ),
    (
        "an exception quiet for 3 days: as long again",
        parcel(state=ParcelState.EXCEPTION, last_scan_at=NOW - timedelta(days=3)),
        (NOW + timedelta(days=3), None),
    ),
    (
        "waiting at an access point",
        parcel(state=ParcelState.OUT_FOR_DELIVERY, awaiting_pickup=True),
        (NOW + timedelta(hours=12), None),
    ),
]


@pytest.mark.parametrize(
    ("held", "expected", "settings"),
    [(c[1], c[2], c[3] if len(c) > 3 else SETTINGS) for c in SCHEDULE],
    ids=[str(c[0]) for c in SCHEDULE],
)
def test_schedule(held: TrackedParcel, expected: tuple[datetime | None, str | None], settings: CarrierSettings) -> None:
    assert next_poll(held, NOW, settings) == expected


def status(state: ParcelState, scan_at: datetime, **fields: Any) -> ParcelStatus:
    event = ScanEvent(scan_at, state, state.value)
    return ParcelStatus(A, "FedEx", "fedex", state, events=(event,), **fields)


def test_an_older_answer_never_moves_the_story_back() -> None:
    held = apply_answer(parcel(), status(ParcelState.DELIVERED, NOW - timedelta(hours=1)), NOW, SETTINGS)
    late = apply_answer(held, status(ParcelState.OUT_FOR_DELIVERY, NOW - timedelta(hours=4)), NOW, SETTINGS)
    assert late.state is ParcelState.DELIVERED and late.polls == 2 and len(late.events) == 2


def test_a_webhook_costs_no_poll_and_keeps_the_schedule() -> None:
    held = parcel(next_poll_at=NOW + timedelta(hours=5), polls=4)
    pushed = apply_answer(held, status(ParcelState.IN_TRANSIT, NOW), NOW, SETTINGS, polled=False)
    assert pushed.polls == 4 and pushed.next_poll_at == NOW + timedelta(hours=5)


# --- properties -----------------------------------------------------------------------------------------------

STATES = st.sampled_from(list(ParcelState))
ANSWERS = st.lists(st.tuples(STATES, st.integers(min_value=0, max_value=400), st.booleans()), min_size=1, max_size=40)


@settings(max_examples=150, deadline=None)
@given(ANSWERS)
def test_polling_is_bounded_and_delivered_stays_delivered(answers: list[tuple[ParcelState, int, bool]]) -> None:
    """Whatever order answers come in, a parcel is polled at most `calls_per_package` times, stops at a
    final state or the budget, and once delivered stays delivered."""
    held = parcel(next_poll_at=NOW, last_scan_at=SHIPPED)
    seen_delivered = False
    now = NOW
    for state, hours, polled in answers:
        if held.next_poll_at is None and polled:
            continue  # the pass only asks about due parcels
        now += timedelta(hours=1)
        held = apply_answer(held, status(state, SHIPPED + timedelta(hours=hours)), now, SETTINGS, polled=polled)
        seen_delivered = seen_delivered or held.delivered
        assert held.polls <= SETTINGS.calls_per_package
        assert (held.next_poll_at is None) == (held.stopped is not None)
        if seen_delivered:
            assert held.delivered and held.stopped == "final"


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=50), st.datetimes(timezones=st.just(UTC)))
def test_the_digest_ignores_polling_bookkeeping(polls: int, when: datetime) -> None:
    held = parcel(estimate=date(2025, 3, 12))
    touched = dataclasses.replace(held, polls=polls, last_polled_at=when, next_poll_at=when, updated_at=when)
    assert parcels_digest([held]) == parcels_digest([touched])
    assert parcels_digest([held]) != parcels_digest([dataclasses.replace(held, estimate=date(2025, 3, 13))])
