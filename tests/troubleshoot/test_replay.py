"""Replay: re-plan stored TD SYNNEX answers after renaming the TDS statuses, without calling TD SYNNEX."""

from __future__ import annotations

from datetime import timedelta

import httpx
from world import World, no_sleep, simple_order, world

from orderbridge.config import Settings
from orderbridge.runners.replay import run_replay
from orderbridge.runners.setup import run_setup
from orderbridge.simulators.connectwise.app import create_app as create_cw_app
from orderbridge.simulators.tdsynnex.app import create_app as create_tds_app
from orderbridge.store import Store
from orderbridge.store.payloads import TDSYNNEX, latest_payloads
from orderbridge.sync.tenant import Transports, open_tenant

RENAMED = {
    "accepted": "Distributor Accepted",
    "released": "Distributor Released",
    "shipped": "Distributor Shipped",
    "invoiced": "Distributor Invoiced",
    "closed": "Distributor Closed",
}


def transports(w: World) -> Transports:
    return Transports(
        connectwise=httpx.ASGITransport(app=create_cw_app(w.cw)),
        tdsynnex=httpx.ASGITransport(app=create_tds_app(w.tds)),
    )


def renamed(settings: Settings) -> Settings:
    return settings.model_copy(update={"statuses": settings.statuses.model_copy(update=RENAMED)})


async def test_replay_after_renaming_statuses_rewrites_every_po_without_td_synnex(store: Store) -> None:
    async with world(store) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        start = w.clock.now()
        for n in range(4):
            w.add(simple_order(f"PO-{n}", start, ship_after=timedelta(hours=-0.5) if n % 2 else None))
        await w.engine.run_cycle()
        before = {f"PO-{n}": w.po(f"PO-{n}")["status"]["name"] for n in range(4)}
        assert set(before.values()) == {"TDS Accepted", "TDS Shipped"}
        ids = [w.po(f"PO-{n}")["id"] for n in range(4)]
        assert set(latest_payloads(store, "default", ids, TDSYNNEX)) == set(ids), "every answer was kept"

        settings = renamed(w.tenant.settings)
        tds_calls = len(w.tds.requests)
        async with open_tenant(settings, store=store, transports=transports(w), clock=w.clock, sleep=no_sleep) as t:
            await run_setup(settings, t.connectwise)
            summary = await run_replay(t, since=start - timedelta(days=1))
            assert summary.failed == 0 and summary.changed == 4
            after = {f"PO-{n}": w.po(f"PO-{n}")["status"]["name"] for n in range(4)}
            assert after == {po: name.replace("TDS", "Distributor") for po, name in before.items()}
            assert len(w.tds.requests) == tds_calls, "replay must not ask TD SYNNEX"

            writes = w.writes()
            again = await run_replay(t, since=start - timedelta(days=1))
            assert again.writes == 0 and again.changed == 0 and again.unchanged == 4
            assert w.writes() == writes and len(w.tds.requests) == tds_calls


async def test_replay_of_one_po_and_dry_run(store: Store) -> None:
    async with world(store) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        start = w.clock.now()
        for n in range(2):
            w.add(simple_order(f"PO-{n}", start))
        await w.engine.run_cycle()
        settings = renamed(w.tenant.settings)
        async with open_tenant(settings, store=store, transports=transports(w), clock=w.clock, sleep=no_sleep) as t:
            await run_setup(settings, t.connectwise)
            dry = await run_replay(t, since=start - timedelta(days=1), po_number="PO-1", dry_run=True)
            assert dry.seen == 1 and [p.change.new for p in dry.planned if p.change.field == "status"]
            assert w.po("PO-1")["status"]["name"] == "TDS Accepted", "a dry run writes nothing"
            await run_replay(t, since=start - timedelta(days=1), po_number="PO-1")
        assert w.po("PO-1")["status"]["name"] == "Distributor Accepted"
        assert w.po("PO-0")["status"]["name"] == "TDS Accepted", "only the PO asked for"
