"""A person renames "TDS Shipped" in ConnectWise: orderbridge keeps writing that status by its id.

Before: every PO due to ship failed with "no PO status 'TDS Shipped'", every shipped PO read as taken
over by a person (and stayed so), and `setup` created a second "TDS Shipped". The rename is done the
way a person's tool would: over the ConnectWise simulator's HTTP API.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
from world import World, simple_order, world

from orderbridge.runners.setup import run_setup
from orderbridge.simulators.connectwise.app import create_app
from orderbridge.store import Store

SHIP_NOW = {"ship_after": timedelta(hours=-0.5), "invoice_after": None}
SHIP_TOMORROW = {"ship_after": timedelta(days=1), "invoice_after": None}


async def rename_status(w: World, old: str, new: str) -> int:
    """PATCH the status's name over ConnectWise's API, as a person's admin tool would; returns its id."""
    status_id = next(s["id"] for s in w.cw.statuses.rows.values() if s["name"] == old)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(w.cw)),
        base_url="https://cw.sim/v4_6_release/apis/3.0",
        auth=("demo+demopublic", "demoprivate"),
        headers={"clientId": "someone-elses-tool"},
    ) as client:
        reply = await client.patch(
            f"/procurement/purchaseorderstatuses/{status_id}", json=[{"op": "replace", "path": "name", "value": new}]
        )
        assert reply.status_code == 200, reply.text
    return int(status_id)


def statuses_named(w: World, name: str) -> list[int]:
    return [int(s["id"]) for s in w.cw.statuses.rows.values() if s["name"] == name]


async def test_a_renamed_status_keeps_being_written_and_setup_does_not_duplicate_it(store: Store) -> None:
    async with world(store) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise, store=store, now=w.clock.now())
        for number in range(3):
            w.add(simple_order(f"PO-{900 + number}", w.clock.now(), **SHIP_NOW))
            w.add(simple_order(f"PO-{910 + number}", w.clock.now(), **SHIP_TOMORROW))
        first = await w.engine.run_cycle()
        assert first.failed == 0 and w.po("PO-900")["status"]["name"] == "TDS Shipped"

        shipped_id = await rename_status(w, "TDS Shipped", "Shipped (TDS)")
        w.clock.advance(timedelta(days=1, hours=1))
        second = await w.engine.run_cycle()

        assert second.failed == 0, second.failures
        for number in range(3):
            assert w.po(f"PO-{910 + number}")["status"]["id"] == shipped_id  # moved on, to the renamed status
            assert w.po(f"PO-{900 + number}")["status"]["id"] == shipped_id
        kinds = {event.kind for po in ("PO-900", "PO-910") for event in store.events_for("default", w.po(po)["id"])}
        assert "status_taken_over" not in kinds, "a renamed TDS status is not a person taking the PO over"
        [warning] = second.warnings
        assert f"ConnectWise status #{shipped_id} was 'TDS Shipped', now 'Shipped (TDS)'" in warning
        assert f"keeps writing status #{shipped_id}" in warning and "[statuses] shipped" in warning

        report = await run_setup(w.tenant.settings, w.tenant.connectwise, store=store, now=w.clock.now())
        assert report.created == [] and statuses_named(w, "TDS Shipped") == []  # no duplicate
        assert any("now 'Shipped (TDS)'" in line for line in report.lines())
        third = await w.engine.run_cycle()
        assert third.failed == 0 and third.writes == 0

        healed = await run_setup(
            w.tenant.settings, w.tenant.connectwise, store=store, now=w.clock.now(), rename_back=True
        )
        assert f"renamed status #{shipped_id} back from 'Shipped (TDS)' to 'TDS Shipped'" in healed.lines()
        assert statuses_named(w, "TDS Shipped") == [shipped_id]
        fourth = await w.engine.run_cycle()
        assert fourth.warnings == [] and fourth.failed == 0 and fourth.writes == 0


async def test_ids_learned_by_a_cycle_alone_protect_against_a_rename(store: Store) -> None:
    """Setup without a store (an older install) learned nothing; the first cycle learns the ids."""
    async with world(store) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        w.add(simple_order("PO-920", w.clock.now(), **SHIP_TOMORROW))
        await w.engine.run_cycle()
        shipped_id = await rename_status(w, "TDS Shipped", "Shipped")
        w.clock.advance(timedelta(days=1, hours=1))
        summary = await w.engine.run_cycle()
        assert summary.failed == 0 and w.po("PO-920")["status"]["id"] == shipped_id
