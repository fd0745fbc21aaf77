"""End to end, `[fulfilment]`: a delivered PO gets one coordination ticket, its lines are received once
every package carrying them is delivered, and each shipped serial number becomes one configuration on
the customer's company; over the three simulators and a real store (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_delivery_end_to_end import CARRIERS_ON, FEDEX, UPS, copy_database, run_days
from world import CUSTOMER, World, no_sleep, world

from orderbridge.config import FulfilmentSettings
from orderbridge.core.domain import Package
from orderbridge.core.errors import TenantBusy
from orderbridge.runners.operator import live_engine
from orderbridge.runners.setup import run_setup
from orderbridge.runners.writer import tenant_writer
from orderbridge.simulators.carriers.app import create_app as create_carriers_app
from orderbridge.simulators.carriers.state import NumberScript
from orderbridge.simulators.connectwise import fulfilment_kinds as sim
from orderbridge.simulators.connectwise.app import create_app as create_cw_app
from orderbridge.simulators.fault_spec import apply_fault_spec
from orderbridge.simulators.tdsynnex.app import create_app as create_tds_app
from orderbridge.simulators.tdsynnex.lifecycle import LineEvent, LineScript, OrderScript
from orderbridge.store import Store
from orderbridge.store.parcels import load_parcels
from orderbridge.sync.summary import CycleSummary
from orderbridge.sync.tenant import Tenant, Transports, open_tenant
from orderbridge.troubleshoot.probes import probe_connectwise
from orderbridge.web.app import create_app

FULFILMENT: dict[str, Any] = {
    "coordination_board": "Deliveries",
    "coordination_summary": "Arrived: PO {po_number} for {customer}",
    "receive_on_delivery": True,
    "configurations": True,
    "configuration_type": "Managed Workstation",
}


def two_lines(po_number: str, start: datetime, *, serials: tuple[str, ...] = ("SN-A1", "SN-A2")) -> OrderScript:
    """Line 1 ships in a FedEx package (with serials), line 2 in a UPS package; both a day later."""

    def line(number: int, sku: str, tracking: str, with_serials: tuple[str, ...], method: str) -> LineScript:
        events = [
            LineEvent(start - timedelta(hours=1), "accept", "41000001", "SO", 2, "6", method),
            LineEvent(
                start + timedelta(days=1),
                "ship",
                "41000001",
                quantity=2,
                warehouse="6",
                ship_method=method,
                packages=(Package(tracking, ship_item_quantity=2, serial_numbers=with_serials),),
            ),
            LineEvent(start + timedelta(days=2), "invoice", "41000001"),
        ]
        return LineScript(number, sku, f"PN-{sku}", f"Product {sku}", 2, Decimal("100.0"), events)

    return OrderScript(
        customer_number=CUSTOMER,
        po_number=po_number,
        placed_at=start - timedelta(hours=1),
        lines=[line(1, "1000001", FEDEX, serials, "FG"), line(2, "1000002", UPS, (), "UP")],
    )


def customer(w: World, *, drop_ship: bool = True) -> dict[str, Any]:
    company = w.cw.add_company("ACME", "Acme <Corp> & Sons")
    ref = {"id": company["id"], "identifier": company["identifier"], "name": company["name"]}
    return {"customerCompany": ref, "dropShipCustomerFlag": drop_ship, "customerName": "Acme"}


def seed_fulfilment(w: World) -> None:
    sim.add_board(w.cw, "Deliveries")
    sim.add_configuration_type(w.cw, "Managed Workstation")


def kinds(store: Store, po_id: int, kind: str) -> list[Any]:
    return [e for e in store.events_for("default", po_id) if e.kind == kind]


async def test_delivered_po_gets_one_ticket_received_lines_and_configurations(store: Store) -> None:
    async with world(store, carriers={**CARRIERS_ON, "route": {}}, fulfilment=FULFILMENT) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        seed_fulfilment(w)
        w.carriers.set_script(FEDEX, NumberScript(outcome="delivered"))
        w.carriers.set_script(UPS, NumberScript(outcome="slipped"))
        w.add(two_lines("PO-900", w.clock.now()), fields=customer(w))
        po_id = w.po("PO-900")["id"]
        company_id = w.po("PO-900")["customerCompany"]["id"]
        seen_partial = False
        end = w.clock.now() + timedelta(days=14)
        while w.clock.now() < end:
            await w.engine.run_cycle()
            w.clock.advance(timedelta(hours=6))
            # Every cycle: a line is received exactly when every package carrying it is delivered, and the
            # ticket exists only once all of them are.
            parcels = {p.tracking_number: p for p in load_parcels(store, "default", [po_id]).get(po_id, ())}
            lines = {line["lineNumber"]: line for line in w.cw.line_items(po_id)}
            for number, tracking in ((1, FEDEX), (2, UPS)):
                received = lines[number].get("receivedStatus") == "FullyReceived"
                assert received == (tracking in parcels and parcels[tracking].delivered), (number, lines[number])
            both = all(parcels.get(t) is not None and parcels[t].delivered for t in (FEDEX, UPS))
            seen_partial = seen_partial or (parcels.get(FEDEX) is not None and parcels[FEDEX].delivered and not both)
            assert bool(sim.tickets(w.cw)) == both
        assert seen_partial, "the test never saw one package delivered and the other not"
        configurations = sim.configurations(w.cw)
        assert sorted(c["serialNumber"] for c in configurations) == ["SN-A1", "SN-A2"]
        assert {c["company"]["id"] for c in configurations} == {company_id}
        assert {c["type"]["name"] for c in configurations} == {"Managed Workstation"}
        lines = {line["lineNumber"]: line for line in w.cw.line_items(po_id)}
        assert lines[1]["receivedQuantity"] == 2 and lines[1]["dateReceived"]
        tickets = sim.tickets(w.cw)
        assert len(tickets) == 1
        ticket = tickets[0]
        assert ticket["board"]["name"] == "Deliveries"
        assert ticket["company"]["name"] == "Acme <Corp> & Sons"
        assert ticket["summary"].startswith("Arrived: PO PO-900 for Acme <Corp> & Sons")
        assert f"[orderbridge:coordination:{po_id}]" in ticket["summary"]
        ids = sorted(c["id"] for c in sim.configurations(w.cw))
        assert sorted(sim.linked_configurations(w.cw, ticket["id"])) == ids, "the serials' configurations are linked"
        assert len(kinds(store, po_id, "coordination_ticket")) == 1
        assert len(kinds(store, po_id, "configurations")) == 1
        assert len(sim.configurations(w.cw)) == 2

        before = w.writes()
        await run_days(w, 2)
        assert w.writes() == before, "converged: reruns create and patch nothing"
        assert len(sim.tickets(w.cw)) == 1 and len(sim.configurations(w.cw)) == 2


@pytest.mark.parametrize(
    ("fulfilment", "drop_ship"),
    [({"receive_on_delivery": True}, False), ({}, True)],
    ids=["not-drop-ship", "off-by-default"],
)
async def test_receiving_is_for_drop_ship_pos_and_off_by_default(
    store: Store, fulfilment: dict[str, Any], drop_ship: bool
) -> None:
    async with world(store, carriers={**CARRIERS_ON, "route": {}}, fulfilment=fulfilment) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        w.carriers.set_script(FEDEX, NumberScript(outcome="delivered"))
        w.carriers.set_script(UPS, NumberScript(outcome="delivered"))
        w.add(two_lines("PO-910", w.clock.now()), fields=customer(w, drop_ship=drop_ship))
        await run_days(w, 8)
        assert w.po("PO-910")["status"]["name"] == "TDS Closed"
        lines = w.cw.line_items(w.po("PO-910")["id"])
        assert all(line.get("receivedStatus") != "FullyReceived" and not line.get("dateReceived") for line in lines)
        assert sim.tickets(w.cw) == [] and sim.configurations(w.cw) == []


async def test_a_crash_between_ticket_and_record_creates_no_second_ticket(tmp_path: Path) -> None:
    path, saved = tmp_path / "orderbridge.db", tmp_path / "before.db"
    with Store.open(f"sqlite:///{path}") as store:
        async with world(store, carriers={**CARRIERS_ON, "route": {}}, fulfilment=FULFILMENT) as w:
            await run_setup(w.tenant.settings, w.tenant.connectwise)
            seed_fulfilment(w)
            w.carriers.set_script(FEDEX, NumberScript(outcome="delivered"))
            w.carriers.set_script(UPS, NumberScript(outcome="delivered"))
            w.add(two_lines("PO-920", w.clock.now()), fields=customer(w))
            po_id = w.po("PO-920")["id"]
            while not sim.tickets(w.cw):
                copy_database(path, saved)
                w.clock.advance(timedelta(hours=2))
                await w.engine.run_cycle()
                assert w.clock.now() < datetime.max.replace(tzinfo=w.clock.now().tzinfo)
            copy_database(saved, path)  # the crash: the store forgets the cycle that made the ticket
            assert kinds(store, po_id, "coordination_ticket") == []
            await w.engine.run_cycle()
            assert len(sim.tickets(w.cw)) == 1
            events = kinds(store, po_id, "coordination_ticket")
            assert len(events) == 1 and events[0].details["found"] is True
            await w.engine.run_cycle()
            assert len(sim.tickets(w.cw)) == 1 and len(sim.configurations(w.cw)) == 2
            assert len(sim.linked_configurations(w.cw, sim.tickets(w.cw)[0]["id"])) == 2, "linked once each"


async def test_dry_run_shows_what_would_be_created_and_writes_nothing(store: Store) -> None:
    async with world(store, carriers={**CARRIERS_ON, "route": {}}, fulfilment=FULFILMENT) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        seed_fulfilment(w)
        w.carriers.set_script(FEDEX, NumberScript(outcome="delivered"))
        w.add(two_lines("PO-930", w.clock.now()), fields=customer(w))
        w.clock.advance(timedelta(days=1, hours=2))
        summary = await w.engine.run_cycle(dry_run=True)
        shown = [(p.change.field, p.change.new) for p in summary.planned]
        assert ("configuration", "PN-1000001 SN-A1") in shown and ("configuration", "PN-1000001 SN-A2") in shown
        assert sim.configurations(w.cw) == []


@pytest.mark.parametrize("missing", ["board", "type"])
async def test_a_missing_board_or_type_is_a_warning_and_the_po_still_syncs(store: Store, missing: str) -> None:
    async with world(store, carriers={**CARRIERS_ON, "route": {}}, fulfilment=FULFILMENT) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        if missing == "board":
            sim.add_configuration_type(w.cw, "Managed Workstation")
        else:
            sim.add_board(w.cw, "Deliveries")
        w.carriers.set_script(FEDEX, NumberScript(outcome="delivered"))
        w.carriers.set_script(UPS, NumberScript(outcome="delivered"))
        w.add(two_lines("PO-940", w.clock.now()), fields=customer(w))
        warnings: list[str] = []
        end = w.clock.now() + timedelta(days=8)
        while w.clock.now() < end:
            warnings += (await w.engine.run_cycle()).warnings
            w.clock.advance(timedelta(hours=12))
        assert w.po("PO-940")["status"]["name"] == "TDS Closed"
        wanted = "service board 'Deliveries'" if missing == "board" else "configuration type 'Managed Workstation'"
        assert any(wanted in warning for warning in warnings), warnings


@asynccontextmanager
async def second_process(w: World) -> AsyncIterator[Tenant]:
    """The same tenant opened again with its own clients (carriers included): a second writer process."""
    transports = Transports(
        connectwise=httpx.ASGITransport(app=create_cw_app(w.cw)),
        tdsynnex=httpx.ASGITransport(app=create_tds_app(w.tds)),
        carriers=httpx.ASGITransport(app=create_carriers_app(w.carriers)),
    )
    async with open_tenant(
        w.tenant.settings, store=w.tenant.store, transports=transports, clock=w.clock, sleep=no_sleep
    ) as tenant:
        yield tenant


async def cycle_as(tenant: Tenant, role: str) -> object:
    async with tenant_writer(tenant, role).held() as lease:
        return await live_engine(tenant, fence=lease).run_cycle()


async def test_two_writers_started_together_make_one_ticket_and_one_configuration_per_serial(store: Store) -> None:
    async with world(store, carriers={**CARRIERS_ON, "route": {}}, fulfilment=FULFILMENT) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        seed_fulfilment(w)
        w.carriers.set_script(FEDEX, NumberScript(outcome="delivered"))
        w.carriers.set_script(UPS, NumberScript(outcome="delivered"))
        w.add(two_lines("PO-950", w.clock.now()), fields=customer(w))
        apply_fault_spec("cw:latency=1ms~p99:10ms,seed=5", w.cw, w.tds)
        async with second_process(w) as second:
            for _ in range(24):  # every cycle of the PO's life is two writers started together
                outcomes = await asyncio.gather(
                    cycle_as(w.tenant, "orderbridge run"),
                    cycle_as(second, "orderbridge sync --once"),
                    return_exceptions=True,
                )
                assert all(isinstance(o, CycleSummary | TenantBusy) for o in outcomes), outcomes
                w.clock.advance(timedelta(hours=12))
        assert w.po("PO-950")["status"]["name"] == "TDS Closed"
        assert len(sim.tickets(w.cw)) == 1
        assert sorted(c["serialNumber"] for c in sim.configurations(w.cw)) == ["SN-A1", "SN-A2"]


async def test_setup_and_doctor_name_a_missing_board_and_configuration_type(store: Store) -> None:
    async with world(store, fulfilment=FULFILMENT) as w:
        transport = httpx.ASGITransport(app=create_cw_app(w.cw))
        report = await run_setup(w.tenant.settings, w.tenant.connectwise)
        assert any("no service board 'Deliveries'" in warning for warning in report.warnings), report.warnings
        assert any("no configuration type 'Managed Workstation'" in warning for warning in report.warnings)
        findings = [f for f in await probe_connectwise(w.tenant.settings, transport) if f.check.endswith("fulfilment")]
        assert [f.ok for f in findings] == [False, False]

        seed_fulfilment(w)
        report = await run_setup(w.tenant.settings, w.tenant.connectwise)
        assert not [warning for warning in report.warnings if "[fulfilment]" in warning]
        findings = [f for f in await probe_connectwise(w.tenant.settings, transport) if f.check.endswith("fulfilment")]
        assert [f.ok for f in findings] == [True]


async def test_the_po_page_shows_customer_lines_and_the_connectwise_link_escaped(store: Store) -> None:
    async with world(store, carriers={**CARRIERS_ON, "route": {}}, fulfilment=FULFILMENT) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        seed_fulfilment(w)
        w.carriers.set_script(FEDEX, NumberScript(outcome="delivered"))
        w.carriers.set_script(UPS, NumberScript(outcome="exception"))
        fields = customer(w)
        fields["customerContact"] = {"id": 77, "name": "<script>alert(1)</script>"}
        w.add(two_lines("PO-960", w.clock.now()), fields=fields)
        po_id = w.po("PO-960")["id"]
        await run_days(w, 6)
        app = create_app(w.tenant.settings, store, clock=w.clock)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as web:
            page = (await web.get(f"/po/default/{po_id}")).text
        card = page[page.index('id="po-customer"') :]
        assert "Acme &lt;Corp&gt; &amp; Sons" in card and "<Corp>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in card and "<script>alert(1)" not in page
        assert "(drop-ship)" in card
        link = (
            f"https://cw.sim/v4_6_release/ConnectWise.aspx?locale=en_US&amp;routeTo=PurchaseOrderFV&amp;recid={po_id}"
        )
        assert f'href="{link}"' in card
        rows = card[card.index("<tbody>") : card.index("</tbody>")]
        assert rows.count('<tr class="line received">') == 1, "the FedEx line is delivered and received"
        assert rows.count('<tr class="line shipped">') == 1, "the UPS package met an exception: shipped only"
        assert FEDEX in rows and UPS in rows
        # Several tenants: each PO links to its own tenant's ConnectWise.
        own = w.tenant.settings.model_copy(
            update={"fulfilment": FulfilmentSettings(po_link="https://cw.two/po?x={id}")}
        )
        app = create_app(w.tenant.settings, store, clock=w.clock, tenant_settings={"default": own})
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as web:
            page = (await web.get(f"/po/default/{po_id}")).text
        assert f'href="https://cw.two/po?x={po_id}"' in page
