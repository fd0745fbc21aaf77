"""End to end: both simulators, the engine and a real store (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from world import simple_order, world

from orderbridge.runners.operator import live_engine
from orderbridge.runners.setup import run_setup
from orderbridge.store import ActivityFilter, Store


async def setup_statuses(w) -> None:  # type: ignore[no-untyped-def]
    await run_setup(w.tenant.settings, w.tenant.connectwise)


async def test_po_moves_accepted_shipped_invoiced_with_tracking(store: Store) -> None:
    async with world(store) as w:
        await setup_statuses(w)
        w.add(simple_order("PO-100", w.clock.now()))

        first = await w.engine.run_cycle()
        assert (first.seen, first.changed, first.failed) == (1, 1, 0)
        po = w.po("PO-100")
        assert po["status"]["name"] == "TDS Accepted"
        assert po["vendorOrderNumber"] == "41000001"
        assert not po.get("trackingNumber")

        w.clock.advance(timedelta(days=1, hours=1))
        await w.engine.run_cycle()
        po = w.po("PO-100")
        assert po["status"]["name"] == "TDS Shipped"
        assert po["trackingNumber"] == "541877002320"
        assert po["shipmentDate"].startswith(w.clock.now().strftime("%Y-%m-%d")[:8])
        assert po["shipmentMethod"]["name"] == "FedEx Ground"

        w.clock.advance(timedelta(days=2))
        await w.engine.run_cycle()
        assert w.po("PO-100")["status"]["name"] == "TDS Invoiced"

        kinds = [event.kind for event in store.events_for("default", po["id"])]
        assert kinds.count("stage_changed") == 3
        writes = store.query_activity(ActivityFilter(tenant="default", po_number="PO-100", actions=("write",)))
        assert {entry.field for entry in writes} >= {"status", "trackingNumber", "shipmentDate", "shipmentMethod"}


async def test_second_cycle_with_nothing_new_makes_zero_writes(store: Store) -> None:
    async with world(store) as w:
        await setup_statuses(w)
        for number in range(5):
            w.add(simple_order(f"PO-{200 + number}", w.clock.now(), ship_after=timedelta(hours=-0.5)))
        first = await w.engine.run_cycle()
        assert first.changed == 5 and first.writes >= 5
        before = w.writes()
        second = await w.engine.run_cycle()
        assert second.writes == 0 and second.unchanged == 5
        assert w.writes() == before, "the simulator's request log shows a write in the second cycle"
        assert second.balanced


async def test_dry_run_writes_nothing_and_lists_the_planned_changes(store: Store) -> None:
    async with world(store) as w:
        await setup_statuses(w)
        w.add(simple_order("PO-300", w.clock.now(), ship_after=timedelta(hours=-0.5)))
        before = w.writes()
        summary = await w.engine.run_cycle(dry_run=True)
        assert w.writes() == before
        assert store.load_tracked("default", [w.po("PO-300")["id"]]) == {}
        assert store.query_activity(ActivityFilter(tenant="default")) == []
        fields = {item.change.field for item in summary.planned}
        assert {"status", "trackingNumber", "shipmentDate", "vendorOrderNumber"} <= fields
        assert w.po("PO-300")["status"]["name"] == "Sent to Vendor"


async def test_one_bad_po_never_stops_the_others(store: Store) -> None:
    async with world(store) as w:
        await setup_statuses(w)
        now = w.clock.now()
        for number in range(1, 9):
            w.add(simple_order(f"PO-{400 + number}", now, ship_after=timedelta(hours=-0.5)))
        w.tds.faults.add("malformed", po_number="PO-401")
        w.tds.faults.add("html", po_number="PO-402")
        w.tds.faults.add("error_detail", po_number="PO-403")
        w.tds.faults.add("unknown_code", po_number="PO-404")
        bad_patch = w.po("PO-405")["id"]
        w.cw.faults.add(rf"/procurement/purchaseorders/{bad_patch}$", method="PATCH", status=400)
        # ConnectWise numbers new POs itself; one whose number was cleared by another integration has none.
        blank = w.cw.add_purchase_order(po_number="", status_name="Sent to Vendor", lines=[])
        w.cw.purchase_orders.get(blank["id"]).pop("poNumber")  # type: ignore[union-attr]

        summary = await w.engine.run_cycle()

        failed = dict(summary.failures)
        assert set(failed) == {"PO-401", "PO-402", "PO-403", "PO-404", "PO-405", f"id {_id_without_number(w)}"}
        assert "XML" in failed["PO-401"] or "truncated" in failed["PO-401"].lower()
        assert "HTML" in failed["PO-402"]
        assert "onhold" in failed["PO-404"]
        assert "400" in failed["PO-405"]
        assert "no PO number" in failed[f"id {_id_without_number(w)}"]
        for good in ("PO-406", "PO-407", "PO-408"):
            assert w.po(good)["status"]["name"] == "TDS Shipped"
        assert summary.balanced and summary.changed == 3
        errors = store.query_activity(ActivityFilter(tenant="default", actions=("error",)))
        assert {entry.po_number for entry in errors} >= {"PO-401", "PO-402", "PO-403", "PO-404", "PO-405"}


def _id_without_number(w) -> int:  # type: ignore[no-untyped-def]
    return next(record["id"] for record in w.cw.purchase_orders.scan() if not record.get("poNumber"))


async def test_status_a_person_set_is_left_alone_while_details_still_sync(store: Store) -> None:
    async with world(store) as w:
        await setup_statuses(w)
        record = w.add(simple_order("PO-500", w.clock.now()))
        await w.engine.run_cycle()
        assert w.po("PO-500")["status"]["name"] == "TDS Accepted"
        await w.tenant.connectwise.patch_purchase_order(
            record["id"], [{"op": "replace", "path": "status", "value": {"name": "Backordered"}}]
        )
        w.clock.advance(timedelta(days=2))
        await w.engine.run_cycle()
        po = w.po("PO-500")
        assert po["status"]["name"] == "Backordered"
        assert po["trackingNumber"] == "541877002320"
        events = [event.kind for event in store.events_for("default", record["id"])]
        assert "status_taken_over" in events


async def test_due_only_cycle_asks_td_synnex_only_about_due_orders(store: Store) -> None:
    async with world(store) as w:
        await setup_statuses(w)
        now = w.clock.now()
        w.add(simple_order("PO-600", now, ship_after=None))  # accepted: due again in ~15 minutes
        w.add(simple_order("PO-601", now, ship_after=timedelta(hours=-0.5)))  # shipped: due in ~1 hour
        await w.engine.run_cycle()
        asked = len(w.tds.requests)

        idle = await w.engine.run_cycle(due_only=True)
        assert (idle.not_due, idle.writes, len(w.tds.requests) - asked) == (2, 0, 0)
        assert idle.balanced

        w.clock.advance(timedelta(minutes=17))
        later = await w.engine.run_cycle(due_only=True)
        assert (later.checked, later.not_due, later.writes) == (1, 1, 0)
        assert len(w.tds.requests) - asked == 1

        forced = await w.engine.run_cycle(due_only=True, force={w.po("PO-601")["id"]})
        assert forced.checked == 1 and forced.not_due == 1


async def test_a_refused_note_does_not_hold_back_the_status_and_tracking(store: Store) -> None:
    async with world(store) as w:
        await setup_statuses(w)
        record = w.add(simple_order("PO-700", w.clock.now(), ship_after=timedelta(hours=-0.5)))
        w.cw.faults.add(rf"/procurement/purchaseorders/{record['id']}/notes$", method="POST", status=400, times=99)
        summary = await w.engine.run_cycle()
        assert summary.failed == 0
        po = w.po("PO-700")
        assert po["status"]["name"] == "TDS Shipped" and po["trackingNumber"] == "541877002320"
        errors = store.query_activity(ActivityFilter(tenant="default", po_number="PO-700", actions=("error",)))
        assert errors and "note" in errors[0].reason


async def test_invoices_in_any_order_make_no_write_on_the_next_cycle(store: Store) -> None:
    async with world(store) as w:
        await setup_statuses(w)
        now = w.clock.now()
        # Two sales orders invoiced the same day: "the latest invoice" must not depend on fetch order.
        for number in range(3):
            w.add(
                simple_order(f"PO-71{number}", now, order_number=f"4100001{number}", invoice_after=timedelta(hours=1))
            )
        w.clock.advance(timedelta(days=1))
        await w.engine.run_cycle()
        await w.engine.run_cycle()
        third = await w.engine.run_cycle()
        assert third.writes == 0, third.planned


async def test_a_failed_po_list_page_keeps_what_was_listed_and_marks_the_cycle_incomplete(store: Store) -> None:
    from orderbridge.core.errors import TransientApiError

    async with world(store) as w:
        await setup_statuses(w)
        for number in range(3):
            w.add(simple_order(f"PO-80{number}", w.clock.now()))
        tracking_field = w.tenant.settings.connectwise.tracking_field
        listed = [po async for po in w.tenant.connectwise.iter_tracked_purchase_orders(tracking_field=tracking_field)]

        async def two_then_fail():  # type: ignore[no-untyped-def]
            for po in listed[:2]:
                yield po
            raise TransientApiError("GET /procurement/purchaseorders failed after retries: 503", service="connectwise")

        summary = await live_engine(w.tenant, discover=two_then_fail).run_cycle()
        assert summary.changed == 2 and summary.aborted and "discovery stopped early" in summary.aborted
        last = store.last_cycle("default")
        assert last is not None and last.status == "incomplete"
