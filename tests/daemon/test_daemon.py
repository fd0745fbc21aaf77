"""The daemon in-process on simulated time: due-only cycles, tenants kept apart, callbacks, stopping."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from fleet import SimSleep, fleet, make_site
from starlette.applications import Starlette
from world import simple_order

from orderbridge.core.clock import SimClock
from orderbridge.core.domain import Stage
from orderbridge.runners.daemon import Daemon
from orderbridge.runners.metrics import DaemonMetrics, metrics_app, metrics_routes, store_refresher
from orderbridge.runners.writer import tenant_writer
from orderbridge.store import Store, SyncRecord, TrackedOrder
from orderbridge.store.cursors import load_cursor
from orderbridge.store.inbox import pending_callbacks, record_callback

ACCEPTED_ONLY = {"ship_after": None, "invoice_after": None}
SHIPPED = {"ship_after": timedelta(hours=-0.5), "invoice_after": None}
NO_JITTER = {"jitter": 0}


def po_status_requests(site) -> list[str]:  # type: ignore[no-untyped-def]
    return [request.po_number or "" for request in site.tds.requests if "POStatus" in request.path]


async def test_second_run_over_an_unchanged_book_asks_only_due_orders_and_writes_nothing(store: Store) -> None:
    clock = SimClock()
    site = make_site(clock)
    for number in range(4):
        site.add(simple_order(f"PO-{700 + number}", clock.now(), **ACCEPTED_ONLY))  # due again in 15 min
        site.add(simple_order(f"PO-{710 + number}", clock.now(), **SHIPPED))  # due again in 60 min
    async with fleet(store, clock, [site], schedule=NO_JITTER) as tenants:
        await Daemon(tenants, clock=clock, max_cycles=1, sleep=SimSleep(clock)).run()
        assert site.po("PO-710")["status"]["name"] == "TDS Shipped"
        writes, asked = site.writes(), len(po_status_requests(site))
        clock.advance(timedelta(minutes=20))

        restarted = Daemon(tenants, clock=clock, max_cycles=1, sleep=SimSleep(clock))
        await restarted.run()

        summary = restarted.health_state["default"].last_summary
        assert summary is not None and summary.balanced
        assert site.writes() == writes, "an unchanged book must cost zero ConnectWise writes"
        assert sorted(po_status_requests(site)[asked:]) == [f"PO-{700 + n}" for n in range(4)]
        assert (summary.checked, summary.not_due, summary.writes) == (4, 4, 0)


async def test_the_daemon_sleeps_until_the_earliest_due_order(store: Store) -> None:
    clock = SimClock()
    site = make_site(clock)
    site.add(simple_order("PO-720", clock.now(), **SHIPPED))  # next check in 60 minutes
    sleep = SimSleep(clock)
    async with fleet(store, clock, [site], schedule=NO_JITTER, daemon={"discovery_minutes": 240}) as tenants:
        await Daemon(tenants, clock=clock, max_cycles=3, sleep=sleep).run()
    assert sleep.naps == [3600.0, 3600.0]
    assert len(po_status_requests(site)) == 3


async def test_the_daemon_wakes_for_a_parcel_poll_before_the_next_due_order(store: Store) -> None:
    """Carrier tracking on: a shipped package due for a poll in 2 hours shortens a 10-hour sleep."""
    clock = SimClock()
    paces = {"poll_in_transit_hours": 2.0, "poll_near_delivery_hours": 2.0, "poll_far_hours": 2.0}
    site = make_site(clock, carriers={"enabled": True, **paces})
    site.add(simple_order("PO-725", clock.now(), **SHIPPED))
    sleep = SimSleep(clock)
    sections = {"schedule": {**NO_JITTER, "shipped_minutes": 600}, "daemon": {"discovery_minutes": 1440}}
    async with fleet(store, clock, [site], **sections) as tenants:
        await Daemon(tenants, clock=clock, max_cycles=2, sleep=sleep).run()
    assert sleep.naps == [7200.0]
    assert site.carriers is not None and [r.provider for r in site.carriers.requests if r.path.startswith("/track")]


async def test_discovery_interval_caps_the_sleep_so_new_pos_are_found(store: Store) -> None:
    clock = SimClock()
    site = make_site(clock)
    site.add(simple_order("PO-730", clock.now(), **SHIPPED))
    sleep = SimSleep(clock)
    async with fleet(store, clock, [site], schedule=NO_JITTER, daemon={"discovery_minutes": 5}) as tenants:
        daemon = Daemon(tenants, clock=clock, max_cycles=2, sleep=sleep)
        await daemon.run()
    assert sleep.naps == [300.0]


async def test_one_tenants_failure_never_touches_another(store: Store) -> None:
    clock = SimClock()
    good = make_site(clock, "acme")
    bad = make_site(clock, "globex", connectwise={"private_key": "not-the-key"})
    good.add(simple_order("PO-800", clock.now(), **SHIPPED))
    bad.add(simple_order("PO-800", clock.now(), **SHIPPED))  # same PO number, other tenant
    metrics = DaemonMetrics()
    async with (
        fleet(store, clock, [good], schedule=NO_JITTER) as first,
        fleet(store, clock, [bad], setup=False) as second,
    ):
        daemon = Daemon([*first, *second], clock=clock, metrics=metrics, max_cycles=3, sleep=SimSleep(clock))
        await daemon.run()

    assert good.po("PO-800")["status"]["name"] == "TDS Shipped"
    assert bad.po("PO-800")["status"]["name"] == "Sent to Vendor"
    assert daemon.health_state["acme"].failures == 0 and daemon.health_state["globex"].failures == 3
    health = daemon.health()
    assert not health.ok and health.detail["tenants"]["acme"]["consecutive_failures"] == 0
    assert "not-the-key" not in (daemon.health_state["globex"].last_error or "")
    acme_rows = store.load_tracked("acme", [good.po("PO-800")["id"]])
    assert len(acme_rows) == 1 and store.load_tracked("globex", [bad.po("PO-800")["id"]]) == {}
    text = metrics.render().decode()
    assert 'orderbridge_cycles_total{outcome="failed",tenant="globex"} 3.0' in text
    assert 'orderbridge_errors_total{kind="AuthError",tenant="globex"} 3.0' in text
    assert 'orderbridge_cycles_total{outcome="ok",tenant="acme"} 3.0' in text
    assert "not-the-key" not in text


async def test_a_callback_forces_its_po_and_is_marked_handled(store: Store) -> None:
    clock = SimClock()
    site = make_site(clock)
    record = site.add(simple_order("PO-740", clock.now(), **SHIPPED))
    async with fleet(store, clock, [site], schedule=NO_JITTER) as tenants:
        await Daemon(tenants, clock=clock, max_cycles=1, sleep=SimSleep(clock)).run()
        asked = len(po_status_requests(site))
        clock.advance(timedelta(minutes=1))  # far from due
        assert record_callback(store, "default", "msg-1", record["id"], "updated", clock.now())

        await Daemon(tenants, clock=clock, max_cycles=1, sleep=SimSleep(clock)).run()

        assert po_status_requests(site)[asked:] == ["PO-740"]
        assert pending_callbacks(store, "default") == []


async def test_stop_while_a_po_is_in_flight_lets_it_finish_and_exits(store: Store) -> None:
    clock = SimClock()
    site = make_site(clock)
    for number in range(3):
        site.add(simple_order(f"PO-{750 + number}", clock.now(), **SHIPPED))
    site.tds.faults.add("slow", po_number="PO-751", seconds=1)
    async with fleet(store, clock, [site]) as tenants:
        daemon = Daemon(tenants, clock=clock, sleep=SimSleep(clock))

        async def stop_then_answer(_seconds: float) -> None:
            daemon.stop()  # SIGTERM arrives while TD SYNNEX is still answering about PO-751
            await asyncio.sleep(0)

        site.tds.latency.sleep = stop_then_answer
        await asyncio.wait_for(daemon.run(), timeout=30)

    po = site.po("PO-751")
    assert po["status"]["name"] == "TDS Shipped"
    assert store.load_tracked("default", [po["id"]])[po["id"]].stage is not None, "its result was saved"


async def test_stop_deadline_cancels_a_hung_cycle(store: Store) -> None:
    clock = SimClock()
    site = make_site(clock)
    site.add(simple_order("PO-760", clock.now(), **SHIPPED))
    site.tds.faults.add("slow", po_number="PO-760", seconds=1)
    async with fleet(store, clock, [site], daemon={"stop_deadline_s": 0.05}) as tenants:
        daemon = Daemon(tenants, clock=clock, sleep=SimSleep(clock))
        hang = asyncio.Event()

        async def never_answers(_seconds: float) -> None:
            daemon.stop()
            await hang.wait()

        site.tds.latency.sleep = never_answers
        await asyncio.wait_for(daemon.run(), timeout=30)
        assert load_cursor(store, "default").last_updated is None, "an unfinished cycle commits no cursor"


async def test_metrics_and_health_endpoints(store: Store) -> None:
    clock = SimClock()
    site = make_site(clock)
    site.add(simple_order("PO-770", clock.now(), **SHIPPED))
    site.add(simple_order("PO-771", clock.now(), **ACCEPTED_ONLY))
    metrics = DaemonMetrics()
    async with fleet(store, clock, [site]) as tenants:
        daemon = Daemon(tenants, clock=clock, metrics=metrics, max_cycles=1, sleep=SimSleep(clock))
        await daemon.run()
    transport = httpx.ASGITransport(app=metrics_app(metrics, daemon.health))
    async with httpx.AsyncClient(transport=transport, base_url="http://daemon") as client:
        scraped = await client.get("/metrics")
        health = await client.get("/healthz")
    text = scraped.text
    assert scraped.status_code == 200 and scraped.headers["content-type"].startswith("text/plain")
    for series in (
        'orderbridge_cycle_duration_seconds_count{tenant="default"} 1.0',
        'orderbridge_orders{stage="shipped",tenant="default"} 1.0',
        'orderbridge_orders{stage="accepted",tenant="default"} 1.0',
        'orderbridge_api_calls_total{service="tdsynnex",status="200",tenant="default"}',
        'orderbridge_api_calls_total{service="connectwise",status="200",tenant="default"}',
        'orderbridge_change_to_update_seconds_count{tenant="default"} 2.0',
        'orderbridge_purchase_orders_total{outcome="changed",tenant="default"} 2.0',
    ):
        assert series in text, series
    assert "demoprivate" not in text and "demo@example.com" not in text
    assert health.status_code == 200 and health.json()["tenants"]["default"]["cycles"] == 1


async def test_daemon_cycles_list_incrementally_through_the_engine(store: Store) -> None:
    clock = SimClock()
    site = make_site(clock)
    for number in range(3):
        site.add(simple_order(f"PO-{780 + number}", clock.now(), **SHIPPED))
    async with fleet(store, clock, [site], schedule=NO_JITTER) as tenants:
        await Daemon(tenants, clock=clock, max_cycles=2, sleep=SimSleep(clock)).run()
    conditions = [query["conditions"] for query in site.listings()]
    assert len(conditions) == 2 and "_info/lastUpdated" in conditions[1]


async def test_a_process_that_runs_no_cycles_serves_stage_counts_from_the_store(store: Store) -> None:
    now = SimClock().now()
    for tenant, stage in (("acme", Stage.SHIPPED), ("globex", Stage.INVOICED)):
        row = TrackedOrder(tenant=tenant, po_id=1, po_number="PO-1", first_seen_at=now, stage=stage)
        store.save_results(tenant, [SyncRecord(tracked=row, events=[], activity=[])])
    metrics = DaemonMetrics()
    app = Starlette(routes=metrics_routes(metrics, before_scrape=store_refresher(metrics, store)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://dashboard") as client:
        text = (await client.get("/metrics")).text
    assert 'orderbridge_orders{stage="shipped",tenant="acme"} 1.0' in text
    assert 'orderbridge_orders{stage="invoiced",tenant="globex"} 1.0' in text
    assert 'orderbridge_orders{stage="shipped",tenant="globex"} 0.0' in text


async def test_a_failed_listing_commits_no_cursor_and_keeps_callbacks_pending(store: Store) -> None:
    clock = SimClock()
    site = make_site(clock)
    record = site.add(simple_order("PO-790", clock.now(), **SHIPPED))
    async with fleet(store, clock, [site], schedule=NO_JITTER) as tenants:
        await Daemon(tenants, clock=clock, max_cycles=1, sleep=SimSleep(clock)).run()
        cursor = load_cursor(store, "default")
        clock.advance(timedelta(minutes=1))
        assert record_callback(store, "default", "msg-2", record["id"], "updated", clock.now())
        site.cw.faults.add(r"/procurement/purchaseorders$", method="GET", status=400, times=1)

        await Daemon(tenants, clock=clock, max_cycles=1, sleep=SimSleep(clock)).run()

        assert load_cursor(store, "default") == cursor
        assert [p.message_id for p in pending_callbacks(store, "default")] == ["msg-2"]
        await Daemon(tenants, clock=clock, max_cycles=1, sleep=SimSleep(clock)).run()
        assert pending_callbacks(store, "default") == []


async def test_the_daemon_refuses_two_pos_sharing_a_number_on_its_full_listing(store: Store) -> None:
    clock = SimClock()
    site = make_site(clock)
    first = site.add(simple_order("PO-790", clock.now(), **SHIPPED))
    second = site.cw.add_purchase_order(po_number="PO-790", status_name="Sent to Vendor")
    site.add(simple_order("PO-791", clock.now(), **SHIPPED))
    async with fleet(store, clock, [site], schedule=NO_JITTER) as tenants:
        daemon = Daemon(tenants, clock=clock, max_cycles=1, sleep=SimSleep(clock))
        await daemon.run()
    summary = daemon.health_state["default"].last_summary
    assert summary is not None and summary.failed == 2 and summary.changed == 1
    assert all(f"#{first['id']} and #{second['id']}" in message for _, message in summary.failures)
    assert site.po("PO-791")["status"]["name"] == "TDS Shipped"
    assert site.cw.get_purchase_order(first["id"])["status"]["name"] == "Sent to Vendor"


async def test_a_tenant_another_process_is_writing_to_is_skipped_not_failed(store: Store) -> None:
    clock = SimClock()
    site = make_site(clock)
    site.add(simple_order("PO-795", clock.now(), **SHIPPED))
    async with fleet(store, clock, [site], schedule=NO_JITTER) as tenants:
        other = tenant_writer(tenants[0], "orderbridge sync --once")
        before = site.writes()
        async with other.held():
            daemon = Daemon(tenants, clock=clock, max_cycles=1, sleep=SimSleep(clock))
            await daemon.run()
            state = daemon.health_state["default"]
            assert state.failures == 0 and state.last_summary is None and daemon.health().ok
            assert site.writes() == before
        await Daemon(tenants, clock=clock, max_cycles=1, sleep=SimSleep(clock)).run()
    assert site.po("PO-795")["status"]["name"] == "TDS Shipped"
