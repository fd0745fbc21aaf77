"""End to end, delivery truth: TD SYNNEX ships, a carrier provider follows the package to the door, and the
PO closes on delivery, over all three simulators in-process and a real store (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from world import CARRIERS_URL, CUSTOMER, World, world

from orderbridge.core.delivery import ParcelState
from orderbridge.core.domain import Package
from orderbridge.runners.setup import run_setup
from orderbridge.simulators.carriers.state import NumberScript
from orderbridge.simulators.serve import carriers_demo_table
from orderbridge.simulators.tdsynnex.lifecycle import LineEvent, LineScript, OrderScript
from orderbridge.store import Store
from orderbridge.store.parcels import ParcelFilter, iter_parcels, load_parcels

FEDEX = "797615467620"  # a FedEx Express-shaped number (carriers.md §4)
UPS = "1Z1442YY7229014688"  # a valid UPS number
FORWARDER = "H320463803"  # a manufacturer drop-ship reference (td-synnex.md §1.6)


def order(
    po_number: str,
    start: datetime,
    *,
    ship_method: str = "FG",
    numbers: tuple[str, ...] = (FEDEX,),
    ship_after: timedelta = timedelta(days=1),
    invoice_after: timedelta = timedelta(days=2),
) -> OrderScript:
    """One line, accepted now, shipped a day later in `numbers`, invoiced a day after that."""
    events = [
        LineEvent(start - timedelta(hours=1), "accept", "41000001", "SO", 2, "6", ship_method),
        LineEvent(
            start + ship_after,
            "ship",
            "41000001",
            quantity=2,
            warehouse="6",
            ship_method=ship_method,
            packages=tuple(Package(number, ship_item_quantity=1) for number in numbers),
        ),
        LineEvent(start + invoice_after, "invoice", "41000001"),
    ]
    line = LineScript(1, "3396979", "C1E21UT#ABA", "SBUY PRO 6305 MT", 2, Decimal("510.0"), events)
    return OrderScript(
        customer_number=CUSTOMER, po_number=po_number, placed_at=start - timedelta(hours=1), lines=[line]
    )


async def run_days(w: World, days: int, step: timedelta = timedelta(hours=12)) -> None:
    end = w.clock.now() + timedelta(days=days)
    while w.clock.now() < end:
        await w.engine.run_cycle()
        w.clock.advance(step)
    await w.engine.run_cycle()


def stage_rule(store: Store, po_id: int) -> str:
    closed = [e for e in store.events_for("default", po_id) if e.key == "stage:CLOSED"]
    assert closed, "the PO never closed"
    return str(closed[0].details["rule"])


CARRIERS_ON: dict[str, Any] = {"enabled": True, "delivered_field": ""}


@pytest.mark.parametrize(
    ("route", "ship_method", "number", "provider"),
    [
        ({}, "FG", FEDEX, "fedex"),
        ({}, "UP", UPS, "ups"),
        ({"FedEx": "easypost"}, "FG", FEDEX, "easypost"),
    ],
    ids=["fedex", "ups", "easypost"],
)
async def test_shipped_package_followed_to_delivery_closes_the_po(
    store: Store, route: dict[str, str], ship_method: str, number: str, provider: str
) -> None:
    carriers = {**CARRIERS_ON, "route": {**route}}
    async with world(store, carriers=carriers) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        w.carriers.set_script(number, NumberScript(outcome="delivered"))
        w.add(order("PO-700", w.clock.now(), ship_method=ship_method, numbers=(number,)))
        po_id = w.po("PO-700")["id"]

        await run_days(w, 3)
        parcels = load_parcels(store, "default", [po_id])[po_id]
        assert [(p.tracking_number, p.provider) for p in parcels] == [(number, provider)]
        assert w.po("PO-700")["status"]["name"] == "TDS Invoiced", "invoiced, but the carrier has not delivered yet"

        await run_days(w, 6)
        assert w.po("PO-700")["status"]["name"] == "TDS Closed"
        assert stage_rule(store, po_id) == "invoiced, fully shipped and delivered"
        parcel = load_parcels(store, "default", [po_id])[po_id][0]
        assert parcel.state is ParcelState.DELIVERED and parcel.delivered_at is not None
        assert parcel.first_estimate is not None and parcel.signed_by
        delivered = [e for e in store.events_for("default", po_id) if e.kind == "delivered"]
        assert len(delivered) == 1 and delivered[0].details["tracking_numbers"] == [number]
        notes = [n["text"] for n in w.cw.notes(po_id) if "Delivered" in n["text"]]
        assert len(notes) == 1 and "1 of 1 package" in notes[0] and "(UTC)" in notes[0]
        line = w.cw.line_items(po_id)[0]
        assert str(line["expectedArrivalDate"]).startswith(parcel.delivered_at.strftime("%Y-%m-%d"))
        # Bounded polling: the package was asked about a few times, then never again once delivered.
        assert parcel.next_poll_at is None and parcel.stopped == "final"
        assert 1 <= parcel.polls <= w.tenant.settings.carriers.calls_per_package
        asked = [r for r in w.carriers.requests if number in r.numbers and r.provider == provider]
        assert len(asked) <= parcel.polls + 1  # + EasyPost's one tracker creation, or a token


async def test_forwarder_reference_closes_by_the_grace_rule_and_says_why(store: Store) -> None:
    async with world(store, carriers=CARRIERS_ON) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        w.add(order("PO-710", w.clock.now(), ship_method="UPSN", numbers=(FORWARDER,)))
        po_id = w.po("PO-710")["id"]
        await run_days(w, 10, step=timedelta(days=1))
        assert w.po("PO-710")["status"]["name"] == "TDS Closed"
        assert stage_rule(store, po_id).startswith("invoiced, fully shipped, 7 days after the last shipment")
        untracked = [e for e in store.events_for("default", po_id) if e.kind == "delivery_untracked"]
        assert len(untracked) == 1
        assert untracked[0].summary.startswith(
            f"Package {FORWARDER} is a forwarder reference no carrier provider can follow"
        )
        assert untracked[0].summary.endswith("PO closes 7 days after shipment")
        assert not [r for r in w.carriers.requests if FORWARDER in r.numbers], "a forwarder reference was sent"


async def test_polling_stops_at_the_call_budget_and_the_po_falls_back_to_grace(store: Store) -> None:
    carriers = {**CARRIERS_ON, "calls_per_package": 3, "poll_in_transit_hours": 1.0, "poll_near_delivery_hours": 1.0}
    async with world(store, carriers=carriers) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        w.carriers.set_script(FEDEX, NumberScript(outcome="exception"))  # scans stop; never delivered
        w.add(order("PO-720", w.clock.now()))
        po_id = w.po("PO-720")["id"]
        await run_days(w, 12, step=timedelta(hours=6))
        parcel = load_parcels(store, "default", [po_id])[po_id][0]
        assert parcel.polls == 3 and parcel.stopped == "budget" and parcel.next_poll_at is None
        fedex_calls = [r for r in w.carriers.requests if r.provider == "fedex" and FEDEX in r.numbers]
        assert len(fedex_calls) == 3
        kinds = [e.kind for e in store.events_for("default", po_id)]
        assert kinds.count("tracking_stopped") == 1
        assert w.po("PO-720")["status"]["name"] == "TDS Closed"
        assert "days after the last shipment" in stage_rule(store, po_id)


async def test_a_refusing_provider_never_stops_the_cycle(store: Store) -> None:
    fedex = {**carriers_demo_table(CARRIERS_URL)["fedex"], "client_secret": "wrong-secret"}
    carriers = {**CARRIERS_ON, "fedex": fedex}
    async with world(store, carriers=carriers) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        w.add(order("PO-730", w.clock.now()))
        w.add(order("PO-731", w.clock.now(), ship_method="UP", numbers=(UPS,)))
        w.carriers.set_script(UPS, NumberScript(outcome="delivered"))
        summaries = []
        for _ in range(8):
            summaries.append(await w.engine.run_cycle())
            w.clock.advance(timedelta(days=1))
        refused = [s for s in summaries if any("FedEx refused the credentials" in text for text in s.warnings)]
        assert refused, "the FedEx refusal was not reported"
        assert all(sum("FedEx refused" in t for t in s.warnings) <= 1 for s in summaries), "reported twice a cycle"
        assert all(s.failed == 0 for s in summaries)
        assert w.po("PO-731")["status"]["name"] == "TDS Closed", "UPS tracking went on"
        assert w.po("PO-730")["status"]["name"] == "TDS Invoiced", "FedEx never answered: the package is undelivered"
        ups = list(iter_parcels(store, ParcelFilter(tenant="default", provider="ups")))
        assert [p.state for p in ups] == [ParcelState.DELIVERED]


def copy_database(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy of a live database (WAL included)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


async def test_a_crash_between_the_delivery_note_and_its_record_writes_no_second_note(tmp_path: Path) -> None:
    """The delivering cycle writes the note and closes the PO in ConnectWise, then 'crashes': the store is
    put back as it was before that cycle. The next cycle hears the same delivery again and must find the
    note by its marker instead of writing it twice."""
    path, saved = tmp_path / "orderbridge.db", tmp_path / "before.db"
    with Store.open(f"sqlite:///{path}") as store:
        async with world(store, carriers=CARRIERS_ON) as w:
            await run_setup(w.tenant.settings, w.tenant.connectwise)
            w.carriers.set_script(FEDEX, NumberScript(outcome="delivered"))
            w.add(order("PO-740", w.clock.now()))
            po_id = w.po("PO-740")["id"]
            await run_days(w, 2, step=timedelta(hours=6))
            journey = w.carriers.journey(FEDEX)
            assert journey is not None
            delivered_at = journey.steps[-1].at
            w.clock.advance(delivered_at - w.clock.now() - timedelta(hours=1))
            await w.engine.run_cycle()
            assert w.po("PO-740")["status"]["name"] == "TDS Invoiced"
            copy_database(path, saved)

            w.clock.advance(timedelta(hours=4))  # past the delivery and the next poll
            await w.engine.run_cycle()
            assert w.po("PO-740")["status"]["name"] == "TDS Closed"
            copy_database(saved, path)  # the crash: everything the store learned in that cycle is lost

            await w.engine.run_cycle()
            notes = [n["text"] for n in w.cw.notes(po_id) if n["text"].startswith("Delivered")]
            assert len(notes) == 1, notes
            delivered = [e for e in store.events_for("default", po_id) if e.kind == "delivered"]
            assert len(delivered) == 1 and delivered[0].note_id is not None
            before = w.writes()
            await w.engine.run_cycle()
            assert w.writes() == before, "the PO converged: another cycle writes nothing"


async def test_carrier_scans_that_change_nothing_the_planner_reads_write_nothing(store: Store) -> None:
    """In transit, polls keep coming back with new hub scans: no ConnectWise write, and the PO stays quiet."""
    async with world(store, carriers=CARRIERS_ON) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        w.carriers.set_script(FEDEX, NumberScript(outcome="delivered"))
        w.add(order("PO-750", w.clock.now(), invoice_after=timedelta(days=20)))
        po_id = w.po("PO-750")["id"]
        await w.engine.run_cycle()
        w.clock.advance(timedelta(days=1))
        await w.engine.run_cycle()  # shipped, registered, asked about at once
        # Days from the estimated day, a package is asked about once a day (rules/parcel_schedule.py).
        w.clock.advance(timedelta(hours=25))
        await w.engine.run_cycle()  # picked up and at a hub: in transit, with an estimate
        held = load_parcels(store, "default", [po_id])[po_id][0]
        assert held.state is ParcelState.IN_TRANSIT and held.estimate is not None
        before = w.writes()
        w.clock.advance(timedelta(hours=25))
        summary = await w.engine.run_cycle()  # more hub scans, nothing else
        parcel = load_parcels(store, "default", [po_id])[po_id][0]
        assert parcel.state is ParcelState.IN_TRANSIT and parcel.polls == held.polls + 1
        assert len(parcel.events) > len(held.events)
        assert w.writes() == before and summary.quiet == 1


async def test_the_delivered_custom_field_is_checked_by_setup_and_filled_on_delivery(store: Store) -> None:
    async with world(store, carriers={**CARRIERS_ON, "delivered_field": "Delivered"}) as w:
        report = await run_setup(w.tenant.settings, w.tenant.connectwise)
        assert any("'Delivered' ([carriers] delivered_field) is not defined" in text for text in report.warnings)
        w.cw.add_custom_field("Delivered", "Text")
        assert not any(
            "delivered_field" in t for t in (await run_setup(w.tenant.settings, w.tenant.connectwise)).warnings
        )
        w.carriers.set_script(UPS, NumberScript(outcome="elsewhere"))
        w.add(order("PO-760", w.clock.now(), ship_method="UP", numbers=(UPS,)))
        await run_days(w, 9)
        po = w.po("PO-760")
        value = next(field.get("value") for field in po["customFields"] if field["caption"] == "Delivered")
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC(, signed by .+)?", str(value)), value
        delivered = next(e for e in store.events_for("default", po["id"]) if e.kind == "delivered")
        assert delivered.details["delivered_elsewhere"] is True
        note = next(n["text"] for n in w.cw.notes(po["id"]) if n["text"].startswith("Delivered"))
        assert "Delivered elsewhere: " + UPS in note


async def test_fedex_is_asked_thirty_numbers_a_call_and_each_package_once_a_poll(store: Store) -> None:
    numbers = tuple(f"7976154{n:05d}" for n in range(35))  # 12-digit FedEx Express shapes
    async with world(store, carriers=CARRIERS_ON) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        w.add(order("PO-770", w.clock.now(), numbers=numbers))
        await w.engine.run_cycle()
        w.clock.advance(timedelta(days=1))

        def track_calls() -> list[Any]:
            return [r for r in w.carriers.requests if r.provider == "fedex" and r.path.startswith("/track")]

        await w.engine.run_cycle()  # shipped: all 35 registered and asked about at once
        assert [len(r.numbers) for r in track_calls()] == [30, 5]
        w.clock.advance(timedelta(hours=25))  # once a day while the estimated day is days away
        await w.engine.run_cycle()  # the next poll: every package is due again, still 30 a call
        assert sorted(len(r.numbers) for r in track_calls()) == [5, 5, 30, 30]
        asked = [n for r in track_calls() for n in r.numbers]
        assert all(asked.count(n) == 2 for n in numbers), "each package once per poll"
