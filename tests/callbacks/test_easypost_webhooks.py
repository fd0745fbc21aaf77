"""EasyPost tracker webhooks end to end: `setup --carrier-webhooks` registers the hook at the simulator, the
simulator posts signed `tracker.updated` events to the receiver as the package moves, and the PO closes
on delivery with one poll per package. Forged, oversized and flooding posts are refused first.
SQLite and PostgreSQL."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

from test_delivery_end_to_end import FEDEX, order
from world import World, world

from orderbridge.callbacks.receiver import callback_routes
from orderbridge.carriers.easypost_webhook import SIGNATURE_HEADER, signature_for
from orderbridge.config import CallbacksSettings
from orderbridge.config.directory import StaticTenants
from orderbridge.core.delivery import ParcelState
from orderbridge.runners.carrier_webhooks import register_carrier_webhooks
from orderbridge.runners.setup import run_setup
from orderbridge.simulators.carriers.auth import DEMO_WEBHOOK_SECRET
from orderbridge.simulators.carriers.easypost_api import deliver_webhooks
from orderbridge.simulators.carriers.state import NumberScript
from orderbridge.store import Store
from orderbridge.store.inbox import pending_callbacks
from orderbridge.store.parcels import load_parcels

BRIDGE = "https://bridge.test"
# Webhooks carry the news: polls are so rare here that only the first one (the tracker's creation) happens.
CARRIERS: dict[str, Any] = {
    "enabled": True,
    "route": {"FedEx": "easypost"},
    "poll_in_transit_hours": 5000.0,
    "poll_near_delivery_hours": 5000.0,
}


@asynccontextmanager
async def webhook_world(store: Store, **limits: Any) -> AsyncIterator[tuple[World, httpx.AsyncClient, Starlette]]:
    async with world(store, carriers=CARRIERS) as w:
        tenants = StaticTenants({"default": w.tenant.settings})
        app = Starlette(routes=callback_routes(store, tenants, limits=CallbacksSettings(**limits), clock=w.clock))
        w.carriers.webhooks.transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BRIDGE) as client:
            yield w, client, app


async def test_tracker_updates_pushed_by_easypost_close_the_po(store: Store) -> None:
    async with webhook_world(store) as (w, client, _app):
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        first = await register_carrier_webhooks(w.tenant.settings, w.tenant.carriers, BRIDGE)
        again = await register_carrier_webhooks(w.tenant.settings, w.tenant.carriers, BRIDGE)
        assert first.created and not again.created and first.hook_id == again.hook_id
        assert [h.url for h in w.carriers.webhooks.hooks.values()] == [f"{BRIDGE}/callbacks/easypost/default"]

        w.carriers.set_script(FEDEX, NumberScript(outcome="failed_attempt"))
        w.add(order("PO-800", w.clock.now()))
        po_id = w.po("PO-800")["id"]
        for _ in range(24):
            await deliver_webhooks(w.carriers)
            await w.engine.run_cycle()
            w.clock.advance(timedelta(hours=12))

        assert w.po("PO-800")["status"]["name"] == "TDS Closed"
        parcel = load_parcels(store, "default", [po_id])[po_id][0]
        assert parcel.state is ParcelState.DELIVERED and parcel.polls == 1, "webhooks, not polls, carried the news"
        attempts = w.carriers.webhooks.attempts
        assert attempts and all(a.statuses[-1] == 200 for a in attempts)
        kinds = [e.kind for e in store.events_for("default", po_id)]
        assert kinds.count("delivered") == 1 and "delivery_exception" in kinds

        # A re-delivered event (EasyPost retries; a replay) changes nothing and queues nothing.
        notes_before = len(w.cw.notes(po_id))
        queued = pending_callbacks(store, "default")
        assert queued, "the POs the webhooks concerned were queued in the callback inbox"
        last = attempts[-1]
        replay = await client.post(
            "/callbacks/easypost/default", content=last.body, headers={SIGNATURE_HEADER: last.signature or ""}
        )
        assert replay.status_code == 200
        assert pending_callbacks(store, "default") == queued
        await w.engine.run_cycle()
        assert len(w.cw.notes(po_id)) == notes_before


async def test_forged_and_flooding_webhooks_are_refused_before_anything_is_read(store: Store) -> None:
    async with webhook_world(store, unverified_per_source_per_minute=5, max_body_bytes=2048) as (_w, client, app):
        body = b'{"object":"Event","description":"tracker.updated","result":{}}'
        good = signature_for(DEMO_WEBHOOK_SECRET, body)
        forged = signature_for("not-the-secret", body)
        url = "/callbacks/easypost/default"
        assert (await client.post(url, content=body)).status_code == 401  # unsigned
        assert (await client.post(url, content=body, headers={SIGNATURE_HEADER: forged})).status_code == 401
        unknown = await client.post("/callbacks/easypost/nobody", content=body, headers={SIGNATURE_HEADER: good})
        assert unknown.status_code == 401
        big = b"{" + b" " * 4096 + b"}"
        assert (await client.post(url, content=big, headers={SIGNATURE_HEADER: good})).status_code == 413
        codes = [
            (await client.post(url, content=body, headers={SIGNATURE_HEADER: forged})).status_code for _ in range(4)
        ]
        assert codes[-1] == 429, codes
        # The flood spent its own source's budget, not the genuine sender's (another address).
        genuine = httpx.ASGITransport(app=app, client=("198.51.100.7", 4000))
        async with httpx.AsyncClient(transport=genuine, base_url=BRIDGE) as sender:
            answer = await sender.post(url, content=body, headers={SIGNATURE_HEADER: good})
        assert answer.status_code == 400  # verified, then read: not a Tracker
