"""`doctor PO` names the cause and the fix for every case of the troubleshooting guide.

Each test stages its case for real (simulators, engine, store) and reads the doctor's text, the way
an operator would; the one exception is the PO without a number, which ConnectWise cannot hold.
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from doctor_world import diagnose, problems, transports
from world import simple_order, world

from orderbridge.config import DisplaySettings, Settings
from orderbridge.core.domain import CustomField, PurchaseOrder
from orderbridge.runners.operator import live_engine
from orderbridge.runners.setup import run_setup
from orderbridge.simulators.tdsynnex.lifecycle import LineEvent, LineScript, OrderScript
from orderbridge.store import Store
from orderbridge.sync.tenant import open_tenant
from orderbridge.troubleshoot.po import Evidence, explain


async def test_send_to_tds_not_set(store: Store) -> None:
    async with world(store) as w:
        w.add(simple_order("PO-NM", w.clock.now()), tracked=False)
        await w.engine.run_cycle()
        text = await diagnose(w, "PO-NM")
    assert "'Send to TDS' checkbox is not ticked" in text
    assert "fix:   tick 'Send to TDS' on the PO" in text


async def test_wrong_td_synnex_order_number(store: Store) -> None:
    async with world(store) as w:
        w.cw.add_purchase_order(po_number="PO-WRONG", status_name="Sent to Vendor", vendor_order_number="41999999")
        await w.engine.run_cycle()
        text = await diagnose(w, "PO-WRONG")
    assert "TD SYNNEX knows neither PO 'PO-WRONG' nor sales order(s) 41999999" in text
    assert "sales-order number in Vendor Order Number is wrong" in text
    assert "fix:   copy the sales-order number from the TD SYNNEX order confirmation" in text


def test_missing_po_number() -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    settings = Settings(
        connectwise={"company": "c", "public_key": "p", "private_key": "k", "client_id": "x"},
        tdsynnex={"user_id": "u", "password": "pw", "customer_number": "1"},
    )
    live = PurchaseOrder(id=5, po_number="", custom_fields=(CustomField(1, "Send to TDS", "Checkbox", value=True),))
    text = "\n".join(f.text() for f in explain(Evidence("", "default", now, settings, live=live)))
    assert "the PO has no PO number" in text and "fix:   enter the PO number that was sent to TD SYNNEX" in text


async def test_connectivity_problem(store: Store) -> None:
    async with world(store) as w:
        w.add(simple_order("PO-NET", w.clock.now()))
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]  # closed when the block ends: nothing listens there
        base = w.tenant.settings
        offline = base.model_copy(
            update={
                "tdsynnex": base.tdsynnex.model_copy(update={"url": f"http://127.0.0.1:{port}/SynnexXML/POStatus"}),
                "http": base.http.model_copy(update={"max_attempts": 1, "allow_insecure_loopback": True}),
            }
        )
        via = transports(w)
        via.tdsynnex = None  # the real network, to a port nobody listens on
        async with open_tenant(offline, store=store, transports=via, clock=w.clock) as t:
            summary = await live_engine(t).run_cycle()
        assert summary.failed == 1
        text = await diagnose(w, "PO-NET")
    assert "check(s) failed" in text and "cause: a connectivity problem" in text
    assert "fix:   run `orderbridge doctor` without a PO to find the failing step" in text


async def test_order_not_found_at_td_synnex(store: Store) -> None:
    async with world(store) as w:
        w.cw.add_purchase_order(po_number="PO-NF", status_name="Sent to Vendor")
        await w.engine.run_cycle()
        text = await diagnose(w, "PO-NF")
    assert "TD SYNNEX does not know PO 'PO-NF' for customer 100001" in text
    assert "cause: the order was placed under another PO number or customer number" in text
    assert "fix:   check the PO number against the TD SYNNEX order confirmation" in text


async def test_stale_data_at_td_synnex(store: Store) -> None:
    async with world(store) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        w.add(simple_order("PO-OLD", w.clock.now(), ship_after=None, invoice_after=None))
        await w.engine.run_cycle()
        w.clock.advance(timedelta(days=12))
        await w.engine.run_cycle()
        text = await diagnose(w, "PO-OLD")
    assert "TD SYNNEX's answer has not changed for 12.0 days" in text
    assert "cause: TD SYNNEX's data is delayed or stale" in text
    assert "fix:   compare with the order in the TD SYNNEX portal" in text


async def test_several_orders_with_similar_numbers(store: Store) -> None:
    async with world(store) as w:
        for number in ("PO-4711", "PO-4711A", "PO-4712"):
            w.add(simple_order(number, w.clock.now(), order_number=f"4100{number[-4:].replace('A', '9')}"))
        await w.engine.run_cycle()
        text = await diagnose(w, "PO4711")
    assert "no PO 'PO4711' in ConnectWise" in text
    assert "fix:   did you mean one of 'PO-4711', 'PO-4711A', 'PO-4712'? the lookup needs an exact match" in text
    assert "similar PO numbers are tracked: PO-4711, PO-4711A, PO-4712" in text
    assert len(problems(text)) == 1, text


async def test_a_po_that_is_found_is_not_failed_for_having_look_alikes(store: Store) -> None:
    async with world(store) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        for number in ("PO-4711", "PO-4712", "PO-4713"):
            w.add(simple_order(number, w.clock.now(), ship_after=timedelta(hours=-0.5)))
        await w.engine.run_cycle()
        text = await diagnose(w, "PO-4712")
    assert problems(text) == [], text
    assert "similar" not in text


async def test_shipped_but_no_tracking_number_yet(store: Store) -> None:
    async with world(store) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        start = w.clock.now()
        events = [
            LineEvent(
                at=start - timedelta(hours=2), kind="accept", order_number="41000077", order_type="SO", quantity=1
            ),
            LineEvent(at=start - timedelta(hours=1), kind="ship", order_number="41000077", quantity=1, packages=()),
        ]
        line = LineScript(1, "3396979", "C1E21UT#ABA", "SBUY PRO 6305 MT", 1, Decimal("510.0"), events)
        w.add(
            OrderScript(customer_number="100001", po_number="PO-NT", placed_at=start - timedelta(hours=3), lines=[line])
        )
        await w.engine.run_cycle()
        text = await diagnose(w, "PO-NT")
    assert "shipped, tracking number not yet published by TD SYNNEX" in text
    assert "fix:   nothing to do yet: the next check after TD SYNNEX publishes it writes the tracking" in text


async def test_slow_updates_at_high_volume(store: Store) -> None:
    async with world(store) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        w.add(simple_order("PO-LAG", w.clock.now(), ship_after=None))
        await w.engine.run_cycle()
        w.clock.advance(timedelta(hours=6))  # no cycle ran: every check is overdue
        text = await diagnose(w, "PO-LAG")
    assert "its check was due at" in text
    assert "cause: updates are slow: the sync runs behind schedule" in text
    assert "fix:   run `orderbridge run` (or more workers)" in text


async def test_a_healthy_po_has_no_problems_and_tells_its_story(store: Store) -> None:
    async with world(store) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        w.add(simple_order("PO-OK", w.clock.now(), ship_after=timedelta(hours=-0.5)))
        await w.engine.run_cycle()
        text = await diagnose(w, "PO-OK")
    assert problems(text) == [], text
    assert "looked up by PO number 'PO-OK'" in text
    assert "TD SYNNEX last answered" in text and " wrote " in text and "rule: " in text and "next check due" in text


async def test_times_are_told_in_the_display_zone(store: Store) -> None:
    async with world(store) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        w.add(simple_order("PO-ZONE", w.clock.now(), ship_after=timedelta(hours=-0.5)))
        await w.engine.run_cycle()
        berlin = w.tenant.settings.model_copy(update={"display": DisplaySettings(timezone="Europe/Berlin")})
        text = await diagnose(w, "PO-ZONE", settings=berlin)
    assert "Europe/Berlin" in text and "UTC" not in text, text
    assert "wrote status: Sent to Vendor -> TDS Shipped (#" in text, text
