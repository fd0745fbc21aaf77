"""Carrier calls a cycle makes: first polls batched across POs (FedEx, 30 numbers a request), and none
at all from replay and backfill, which re-plan old answers. Over all three simulators in-process."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from test_delivery_end_to_end import CARRIERS_ON, order
from world import World, no_sleep, world

from orderbridge.runners.backfill import quiet_settings, run_backfill
from orderbridge.runners.replay import run_replay
from orderbridge.runners.setup import run_setup
from orderbridge.simulators.carriers.app import create_app as create_carriers_app
from orderbridge.simulators.connectwise.app import create_app as create_cw_app
from orderbridge.simulators.tdsynnex.app import create_app as create_tds_app
from orderbridge.store import Store
from orderbridge.store.parcels import ParcelFilter, iter_parcels
from orderbridge.sync.tenant import Transports, open_tenant


def fedex_numbers(po: int, count: int) -> tuple[str, ...]:
    return tuple(f"79761{po:03d}{n:04d}" for n in range(count))  # 12-digit FedEx Express shapes


def track_calls(w: World) -> list[Any]:
    return [r for r in w.carriers.requests if r.path.startswith(("/track", "/api/track", "/v2/trackers"))]


def transports(w: World) -> Transports:
    return Transports(
        connectwise=httpx.ASGITransport(app=create_cw_app(w.cw)),
        tdsynnex=httpx.ASGITransport(app=create_tds_app(w.tds)),
        carriers=httpx.ASGITransport(app=create_carriers_app(w.carriers)),
    )


async def test_first_polls_of_many_pos_share_fedex_requests(store: Store) -> None:
    async with world(store, carriers=CARRIERS_ON) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        for po in range(12):  # 12 POs x 3 packages, all shipping at once
            w.add(order(f"PO-8{po:02d}", w.clock.now(), numbers=fedex_numbers(po, 3)))
        await w.engine.run_cycle()
        w.clock.advance(timedelta(days=1))
        await w.engine.run_cycle()  # every package is new: registered and asked about in this cycle
        sizes = sorted(len(r.numbers) for r in track_calls(w))
        assert sum(sizes) == 36, "each new package asked about once"
        assert sizes == [6, 30], "36 first polls of 12 POs are ceil(36/30) = 2 requests, not one per PO"
        parcels = list(iter_parcels(store, ParcelFilter(tenant="default")))
        assert len(parcels) == 36 and all(p.found and p.polls == 1 for p in parcels)


async def test_replay_asks_no_carrier(store: Store) -> None:
    async with world(store, carriers=CARRIERS_ON) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        start = w.clock.now()
        w.add(order("PO-820", start, numbers=fedex_numbers(20, 2)))
        await w.engine.run_cycle()
        w.clock.advance(timedelta(days=1))
        await w.engine.run_cycle()
        asked = len(w.carriers.requests)
        assert asked > 0
        w.clock.advance(timedelta(days=1))  # the packages' next polls are due now

        settings = w.tenant.settings
        async with open_tenant(settings, store=store, transports=transports(w), clock=w.clock, sleep=no_sleep) as t:
            assert t.carriers, "the replaying tenant could reach the carriers"
            summary = await run_replay(t, since=start - timedelta(days=1))
        assert summary.failed == 0 and summary.seen == 1
        assert len(w.carriers.requests) == asked, "replay must not ask a carrier"


async def test_backfill_asks_no_carrier_and_leaves_the_packages_to_the_next_live_cycle(store: Store) -> None:
    async with world(store, carriers=CARRIERS_ON) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        start = w.clock.now()
        w.add(order("PO-830", start, numbers=fedex_numbers(30, 2)))
        w.clock.advance(timedelta(days=4))  # shipped and invoiced before orderbridge ran

        settings = quiet_settings(w.tenant.settings)
        async with open_tenant(settings, store=store, transports=transports(w), clock=w.clock, sleep=no_sleep) as t:
            summary = await run_backfill(t, since=start - timedelta(days=1))
        assert summary.failed == 0 and summary.seen == 1
        assert not w.carriers.requests, "backfill must not ask a carrier"
        parcels = list(iter_parcels(store, ParcelFilter(tenant="default")))
        assert len(parcels) == 2 and all(not p.found and p.next_poll_at is not None for p in parcels)

        await w.engine.run_cycle()  # the live cycle asks about them, in one FedEx request
        assert [len(r.numbers) for r in track_calls(w)] == [2]
        assert all(p.found for p in iter_parcels(store, ParcelFilter(tenant="default")))
