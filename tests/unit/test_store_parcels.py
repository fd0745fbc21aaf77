"""The parcels table (store/parcels.py) on SQLite and PostgreSQL: a row round-trips whole, registering
twice keeps what a carrier said, a polling pass wakes the POs it concerns (parked ones stay parked), and
the queries other features read from filter as they say."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

from orderbridge.core.delivery import SCAN_EVENTS_KEPT, ParcelState, ScanEvent, TrackedParcel
from orderbridge.store import Store, SyncRecord, TrackedOrder
from orderbridge.store.parcels import (
    ParcelFilter,
    due_parcels,
    iter_parcels,
    load_parcels,
    next_poll_at,
    parcels_by_number,
    register_parcels,
    save_parcels,
    save_polled,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def parcel(po_id: int = 1, number: str = "797615467620", **fields: object) -> TrackedParcel:
    values: dict[str, object] = {
        "tenant": "t",
        "po_id": po_id,
        "tracking_number": number,
        "carrier": "FedEx",
        "provider": "fedex",
        "route_reason": "FedEx is followed by fedex",
        "registered_at": NOW,
        "lines": (1, 2),
        "shipped_at": NOW - timedelta(days=1),
        "next_poll_at": NOW,
    }
    values.update(fields)
    return TrackedParcel(**values)  # type: ignore[arg-type]


def test_a_parcel_round_trips_whole_with_bounded_scans(store: Store) -> None:
    scans = tuple(
        ScanEvent(NOW - timedelta(hours=40 - i), ParcelState.IN_TRANSIT, f"scan {i}", "MEMPHIS, TN", "AR")
        for i in range(SCAN_EVENTS_KEPT + 5)
    )
    full = parcel(
        state=ParcelState.DELIVERED,
        found=True,
        first_estimate=date(2026, 3, 2),
        estimate=date(2026, 3, 3),
        delivered_at=NOW,
        signed_by="J SMITH",
        delivered_elsewhere=True,
        delivered_to="UPS ACCESS POINT",
        events=scans,
        provider_ref="trk_1",
        polls=4,
        stopped="final",
        next_poll_at=None,
        updated_at=NOW,
    )
    save_parcels(store, [full])
    loaded = load_parcels(store, "t", [1])[1][0]
    assert loaded == dataclasses.replace(full, events=scans[-SCAN_EVENTS_KEPT:])


def test_registering_again_keeps_what_the_carrier_said(store: Store) -> None:
    register_parcels(store, [parcel()])
    save_parcels(store, [parcel(state=ParcelState.IN_TRANSIT, polls=1)])
    register_parcels(store, [parcel()])
    assert load_parcels(store, "t", [1])[1][0].state is ParcelState.IN_TRANSIT


def test_a_polling_pass_wakes_its_pos_but_not_parked_ones(store: Store) -> None:
    later, parked = NOW + timedelta(hours=6), NOW + timedelta(days=36500)
    for po_id, due in ((1, later), (2, parked)):
        row = TrackedOrder(tenant="t", po_id=po_id, po_number=f"PO-{po_id}", first_seen_at=NOW, updated_at=NOW)
        store.save_results(
            "t", [SyncRecord(tracked=dataclasses.replace(row, next_check_at=due), events=[], activity=[])]
        )
    save_polled(store, [parcel(1), parcel(2)], wake={1, 2}, now=NOW)
    tracked = store.load_tracked("t", [1, 2])
    assert tracked[1].next_check_at == NOW and tracked[2].next_check_at == parked


def test_the_queries_other_features_read(store: Store) -> None:
    save_parcels(
        store,
        [
            parcel(1, "A", next_poll_at=NOW - timedelta(minutes=1)),
            parcel(1, "B", next_poll_at=NOW + timedelta(hours=1)),
            parcel(2, "A", next_poll_at=None, provider=None, carrier="UPS"),
            parcel(3, "C", state=ParcelState.DELIVERED, next_poll_at=None),
        ],
    )
    assert [(p.po_id, p.tracking_number) for p in due_parcels(store, "t", NOW)] == [(1, "A")]
    assert next_poll_at(store, "t") == NOW - timedelta(minutes=1)
    assert sorted(p.po_id for p in parcels_by_number(store, "t", "A")) == [1, 2]
    assert [p.tracking_number for p in iter_parcels(store, ParcelFilter(tenant="t", carrier="UPS"))] == ["A"]
    undelivered = iter_parcels(store, ParcelFilter(tenant="t", undelivered_only=True), batch=1)
    assert [(p.po_id, p.tracking_number) for p in undelivered] == [(1, "A"), (1, "B"), (2, "A")]
