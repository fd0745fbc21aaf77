"""Delivery alerts (alerts/delivery_rules.py): each rule's condition, table-driven; its candidates in SQL
let through every parcel a rule finds; and evaluation opens and resolves them from the parcels table."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from orderbridge.alerts.candidates import candidate_parcels
from orderbridge.alerts.delivery_rules import Packages, delivery_findings
from orderbridge.alerts.evaluate import evaluate_alerts
from orderbridge.alerts.rules import (
    CARRIER_EXCEPTION,
    DELIVERED_ELSEWHERE_OR_RETURNED,
    DELIVERY_SLIPPED,
    NO_CARRIER_SCAN,
)
from orderbridge.config import AlertSettings, Settings
from orderbridge.core.delivery import ParcelState, ScanEvent, TrackedParcel
from orderbridge.store import Store
from orderbridge.store.alerts import open_alerts
from orderbridge.store.facts import FactsRow, save_facts
from orderbridge.store.parcels import save_parcels

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
SHIPPED = NOW - timedelta(days=2)
IN_TRANSIT = ScanEvent(SHIPPED + timedelta(hours=2), ParcelState.IN_TRANSIT, "Picked up", "AUSTIN, TX")
LABEL = ScanEvent(SHIPPED - timedelta(hours=2), ParcelState.LABEL_CREATED, "Label created")


def parcel(number: str = "1Z1", **values: Any) -> TrackedParcel:
    values.setdefault("provider", "ups")
    values.setdefault("carrier", "UPS")
    values.setdefault("state", ParcelState.IN_TRANSIT)
    values.setdefault("events", (IN_TRANSIT,))
    values.setdefault("shipped_at", SHIPPED)
    values.setdefault("updated_at", NOW - timedelta(hours=1))
    return TrackedParcel(
        tenant="t",
        po_id=values.pop("po_id", 1),
        tracking_number=number,
        route_reason="UPS's own API",
        registered_at=values.pop("registered_at", SHIPPED),
        **values,
    )


def estimates(first: int, now: int) -> dict[str, date]:
    day = NOW.date()
    return {"first_estimate": day + timedelta(days=first), "estimate": day + timedelta(days=now)}


EXCEPTION_SCAN = ScanEvent(NOW - timedelta(hours=3), ParcelState.EXCEPTION, "Damaged, being repackaged", "MEMPHIS")

CASES: list[tuple[str, list[TrackedParcel], dict[str, Any], set[str]]] = [
    ("in transit, on its first estimate", [parcel(**estimates(1, 1))], {}, set()),
    ("estimate moved one day (the limit): not more than it", [parcel(**estimates(1, 2))], {}, set()),
    ("estimate moved two days", [parcel(**estimates(1, 3))], {}, {DELIVERY_SLIPPED}),
    ("slipped, then delivered: resolves", [parcel(state=ParcelState.DELIVERED, **estimates(1, 3))], {}, set()),
    ("slip rule off", [parcel(**estimates(1, 5))], {"delivery_slipped_days": 0}, set()),
    (
        "exception",
        [parcel(state=ParcelState.EXCEPTION, events=(IN_TRANSIT, EXCEPTION_SCAN))],
        {},
        {CARRIER_EXCEPTION},
    ),
    ("failed attempt", [parcel(state=ParcelState.FAILED_ATTEMPT)], {}, {CARRIER_EXCEPTION}),
    ("exception rule off", [parcel(state=ParcelState.EXCEPTION)], {"carrier_exception": False}, set()),
    ("returned to sender", [parcel(state=ParcelState.RETURNED_TO_SENDER)], {}, {DELIVERED_ELSEWHERE_OR_RETURNED}),
    (
        "delivered elsewhere",
        [parcel(state=ParcelState.DELIVERED, delivered_elsewhere=True, delivered_to="UPS Access Point, AUSTIN")],
        {},
        {DELIVERED_ELSEWHERE_OR_RETURNED},
    ),
    ("delivered to the door", [parcel(state=ParcelState.DELIVERED)], {}, set()),
    (
        "returned, rule off",
        [parcel(state=ParcelState.RETURNED_TO_SENDER)],
        {"delivered_elsewhere_or_returned": False},
        set(),
    ),
    (
        "label only, shipped 3 days ago",
        [parcel(state=ParcelState.LABEL_CREATED, events=(LABEL,), shipped_at=NOW - timedelta(days=3))],
        {},
        {NO_CARRIER_SCAN},
    ),
    (
        "unknown to the carrier, shipped 2 days ago: not yet",
        [parcel(state=ParcelState.UNKNOWN, events=())],
        {},
        set(),
    ),
    (
        "unknown, shipped 4 days ago, no provider follows it: nothing a carrier said",
        [parcel(state=ParcelState.UNKNOWN, events=(), provider=None, shipped_at=NOW - timedelta(days=4))],
        {},
        set(),
    ),
    (
        "no scan rule off",
        [parcel(state=ParcelState.UNKNOWN, events=(), shipped_at=NOW - timedelta(days=9))],
        {"no_carrier_scan_days": 0},
        set(),
    ),
    (
        "returned long ago (forget_after_days)",
        [parcel(state=ParcelState.RETURNED_TO_SENDER, updated_at=NOW - timedelta(days=31))],
        {},
        set(),
    ),
    (
        "two packages, two rules: one alert per rule",
        [
            parcel("1Z1", state=ParcelState.EXCEPTION),
            parcel("1Z2", state=ParcelState.FAILED_ATTEMPT),
            parcel("1Z3", **estimates(0, 4)),
        ],
        {},
        {CARRIER_EXCEPTION, DELIVERY_SLIPPED},
    ),
]


@pytest.mark.parametrize(("parcels", "limits", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_delivery_rule_conditions(parcels: list[TrackedParcel], limits: dict[str, Any], expected: set[str]) -> None:
    found = delivery_findings(Packages("PO-1", parcels, NOW, AlertSettings(**limits)))
    assert {f.rule for f in found} == expected
    for finding in found:
        assert finding.message.startswith("PO-1: ")
        assert set(finding.details["tracking_numbers"]) <= {p.tracking_number for p in parcels}


def test_messages_name_the_packages_and_what_the_carrier_said() -> None:
    found = delivery_findings(
        Packages(
            "PO-9",
            [
                parcel("1Z1", state=ParcelState.EXCEPTION, events=(IN_TRANSIT, EXCEPTION_SCAN)),
                parcel("1Z2", **estimates(0, 3)),
            ],
            NOW,
            AlertSettings(),
        )
    )
    messages = {f.rule: f.message for f in found}
    assert messages[CARRIER_EXCEPTION] == "PO-9: package 1Z1 (UPS) has a carrier exception: Damaged, being repackaged"
    assert messages[DELIVERY_SLIPPED].startswith("PO-9: package 1Z2 (UPS) now expected ")
    assert "3 days later than the carrier first said" in messages[DELIVERY_SLIPPED]


def settings(**alerts: Any) -> Settings:
    return Settings(
        connectwise={"company": "c", "public_key": "p", "private_key": "k", "client_id": "x"},
        tdsynnex={"user_id": "u", "password": "pw", "customer_number": "1"},
        alerts=alerts,
    )


def test_candidates_let_through_every_parcel_a_rule_finds(store: Store) -> None:
    # Every table case's parcels stored under a PO of its own: the rules over the candidates find what
    # they find over every parcel.
    everything: list[TrackedParcel] = []
    for index, (_, parcels, _limits, _) in enumerate(CASES):
        everything += [replace(p, po_id=100 + index) for p in parcels]
    save_parcels(store, everything)
    limits = AlertSettings()
    candidates = {(p.po_id, p.tracking_number) for p in candidate_parcels(store, "t", limits, NOW)}
    by_po: dict[int, list[TrackedParcel]] = {}
    for p in everything:
        by_po.setdefault(p.po_id, []).append(p)
    for po_id, parcels in by_po.items():
        for finding in delivery_findings(Packages("PO", parcels, NOW, limits)):
            for number in finding.details["tracking_numbers"]:
                assert (po_id, number) in candidates, (po_id, number, finding.rule)
    assert len(candidates) < len(everything), "quiet parcels are left in the database"


def test_evaluation_opens_and_resolves_delivery_alerts(store: Store) -> None:
    save_facts(store, [FactsRow("t", 7, "PO-7", NOW, NOW), FactsRow("t", 8, "PO-8", NOW, NOW, status_name="Held")])
    save_parcels(
        store,
        [
            parcel("1Z7", po_id=7, state=ParcelState.EXCEPTION, events=(IN_TRANSIT, EXCEPTION_SCAN)),
            parcel("1Z8", po_id=8, state=ParcelState.EXCEPTION),  # a person took PO-8 over
        ],
    )
    outcome = evaluate_alerts(store, settings(), "t", NOW)
    assert [(a.po_number, a.rule) for a in outcome.opened] == [("PO-7", CARRIER_EXCEPTION)]
    assert "Damaged" in outcome.opened[0].message

    save_parcels(store, [parcel("1Z7", po_id=7, state=ParcelState.DELIVERED, updated_at=NOW)])
    later = evaluate_alerts(store, settings(), "t", NOW + timedelta(hours=3))
    assert [(a.po_id, a.rule) for a in later.resolved] == [(7, CARRIER_EXCEPTION)]
    assert open_alerts(store, "t") == {}


def test_two_packages_in_trouble_read_as_a_plural() -> None:
    troubled = [parcel(n, state=ParcelState.EXCEPTION, events=(IN_TRANSIT, EXCEPTION_SCAN)) for n in ("1Z1", "1Z2")]
    found = delivery_findings(Packages("PO-9", troubled, NOW, AlertSettings()))
    message = next(f.message for f in found if f.rule == CARRIER_EXCEPTION)
    assert message.startswith("PO-9: 2 packages (1Z1, 1Z2) have a carrier exception"), message
