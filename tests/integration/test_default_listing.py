"""The default discovery of a cycle (`sync --once`, worker jobs): POs that left the open listing are
asked for by id once, and two POs sharing one PO number are both refused, by name, before either is
synced. Both simulators and a real store (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from world import World, simple_order, world

from orderbridge.core.domain import Stage
from orderbridge.runners.setup import run_setup
from orderbridge.store import Store
from orderbridge.store.cursors import PARK_HORIZON


def by_id_listings(w: World) -> list[str]:
    return [
        entry.query["conditions"]
        for entry in w.cw.request_log.matching("GET", "/procurement/purchaseorders")
        if " in (" in entry.query.get("conditions", "")
    ]


async def test_a_po_a_person_closed_or_unticked_is_parked_and_not_written(store: Store) -> None:
    async with world(store) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        cancelled = w.add(simple_order("PO-C1", w.clock.now(), order_number="43000001"))
        unticked = w.add(simple_order("PO-C2", w.clock.now(), order_number="43000002"))
        kept = w.add(simple_order("PO-C3", w.clock.now(), order_number="43000003"))
        await w.engine.run_cycle()
        # A person cancels one (a closed status of theirs) and unticks "Send to TDS" on another.
        await w.tenant.connectwise.patch_purchase_order(
            cancelled["id"], [{"op": "replace", "path": "status", "value": {"name": "Cancelled"}}]
        )
        record = w.cw.purchase_orders.get(unticked["id"])
        assert record is not None
        for custom in record["customFields"]:
            if custom["caption"] == "Send to TDS":
                custom["value"] = False
        w.clock.advance(timedelta(days=1, hours=1))  # all three ship at TD SYNNEX meanwhile
        before = w.writes()
        summary = await w.engine.run_cycle()
        assert summary.seen == 1 and summary.changed == 1
        assert w.writes() > before and w.po("PO-C3")["status"]["name"] == "TDS Shipped"
        assert w.cw.get_purchase_order(cancelled["id"])["status"]["name"] == "Cancelled"
        assert w.cw.get_purchase_order(unticked["id"])["status"]["name"] == "TDS Accepted"
        tracked = store.load_tracked("default", [cancelled["id"], unticked["id"], kept["id"]])
        for po_id in (cancelled["id"], unticked["id"]):
            due = tracked[po_id].next_check_at
            assert due is not None and due > w.clock.now() + PARK_HORIZON, "left the listing: parked"
        asked = len(by_id_listings(w))
        assert asked == 1
        await w.engine.run_cycle()
        assert len(by_id_listings(w)) == asked, "a parked PO is not asked for again"


async def test_a_dry_run_asks_by_id_but_parks_nothing(store: Store) -> None:
    async with world(store) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        po = w.add(simple_order("PO-D1", w.clock.now()))
        await w.engine.run_cycle()
        await w.tenant.connectwise.patch_purchase_order(
            po["id"], [{"op": "replace", "path": "status", "value": {"name": "Cancelled"}}]
        )
        row = store.load_tracked("default", [po["id"]])[po["id"]]
        await w.engine.run_cycle(dry_run=True)
        assert store.load_tracked("default", [po["id"]])[po["id"]] == row


async def test_two_pos_with_one_po_number_are_both_refused_naming_both(store: Store) -> None:
    async with world(store) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        first = w.add(simple_order("PO-DUP", w.clock.now(), ship_after=timedelta(hours=-0.5)))
        # Typed again on another PO, with other case and stray spaces: TD SYNNEX sees the same number.
        second = w.cw.add_purchase_order(po_number=" po-dup ", status_name="Sent to Vendor")
        alone = w.add(simple_order("PO-ALONE", w.clock.now(), order_number="43000009"))
        before = {po_id: w.cw.get_purchase_order(po_id) for po_id in (first["id"], second["id"])}
        summary = await w.engine.run_cycle()
        message = (
            f"PO number PO-DUP is on ConnectWise POs #{first['id']} and #{second['id']}; "
            "TD SYNNEX cannot tell them apart: give one of them a distinct number"
        )
        assert sorted(summary.failures) == sorted([("PO-DUP", message), (" po-dup ", message)])
        assert summary.failed == 2 and summary.changed == 1
        for po_id, record in before.items():
            assert w.cw.get_purchase_order(po_id) == record, "neither PO is written"
            assert w.cw.notes(po_id) == []
        assert w.cw.get_purchase_order(alone["id"])["status"]["name"] == "TDS Accepted"
        rows = store.load_tracked("default", [first["id"], second["id"]])
        assert {rows[po_id].last_error for po_id in rows} == {message}
        assert all(rows[po_id].stage is None for po_id in rows)

        # Renumbered by a person: the next cycle syncs it like any other.
        await w.tenant.connectwise.patch_purchase_order(
            second["id"], [{"op": "replace", "path": "poNumber", "value": "PO-DUP-2"}]
        )
        again = await w.engine.run_cycle()
        assert ("PO-DUP", message) not in again.failures
        assert store.load_tracked("default", [first["id"]])[first["id"]].stage == Stage.SHIPPED


async def test_a_shared_number_is_found_across_listing_pages(store: Store) -> None:
    """The two POs are many pages apart in the listing; the first must not be synced before the second shows."""
    async with world(store, connectwise={"page_size": 2}) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        first = w.add(simple_order("PO-X", w.clock.now(), order_number="43000100"))
        for n in range(7):
            w.add(simple_order(f"PO-Y{n}", w.clock.now(), order_number=f"4300020{n}"))
        last = w.cw.add_purchase_order(po_number="PO-X", status_name="Sent to Vendor")
        summary = await w.engine.run_cycle()
        assert summary.failed == 2 and summary.changed == 7
        assert w.cw.get_purchase_order(first["id"])["status"]["name"] == "Sent to Vendor"
        assert any(f"#{first['id']} and #{last['id']}" in message for _, message in summary.failures)
