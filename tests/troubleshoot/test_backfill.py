"""Backfill: 200 POs from before orderbridge ran come in quietly, and the reports cover them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from world import World, no_sleep, simple_order, world

from orderbridge.runners.backfill import quiet_settings, run_backfill
from orderbridge.runners.setup import run_setup
from orderbridge.simulators.connectwise.app import create_app as create_cw_app
from orderbridge.simulators.tdsynnex.app import create_app as create_tds_app
from orderbridge.store import Store
from orderbridge.store.facts import FactsFilter, count_facts
from orderbridge.sync.tenant import Transports, open_tenant

OLD = 200


@pytest.fixture
async def hook() -> AsyncIterator[tuple[list[bytes], int]]:
    """An HTTP endpoint that records every request it gets (Apprise's json:// target)."""
    received: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        yield received, server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


def transports(w: World) -> Transports:
    return Transports(
        connectwise=httpx.ASGITransport(app=create_cw_app(w.cw)),
        tdsynnex=httpx.ASGITransport(app=create_tds_app(w.tds)),
    )


async def test_backfill_of_200_old_pos_notifies_nobody_and_fills_the_reports(
    store: Store, hook: tuple[list[bytes], int]
) -> None:
    received, port = hook
    notifications = {"urls": [f"json://127.0.0.1:{port}/hooks"], "stage_changes": ["accepted", "shipped", "invoiced"]}
    async with world(store, notifications=notifications) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        w.cw.add_status("Closed", closed=True)
        now = w.clock.now()
        for n in range(OLD):
            closed = n % 4 != 0  # three in four were closed long ago; the rest are open, marked earlier
            script = simple_order(
                f"OLD-{n}",
                now - timedelta(days=20),
                order_number=f"4{n:07d}",
                invoice_after=timedelta(days=3) if closed else None,
                ship_after=timedelta(days=1) if closed else None,
            )
            fields = {"closedFlag": True} if closed else {}
            w.add(script, status_name="Closed" if closed else "Sent to Vendor", fields=fields)

        settings = quiet_settings(w.tenant.settings)
        async with open_tenant(settings, store=store, transports=transports(w), clock=w.clock, sleep=no_sleep) as t:
            summary = await run_backfill(t, since=now - timedelta(days=1))
        assert summary.seen == OLD and summary.failed == 0
        assert summary.events >= OLD, "every PO's history is recorded"
        assert received == [], "a backfill sends no notification"
        assert count_facts(store, FactsFilter(tenant="default")) == OLD, "the reports cover every old PO"
        po_ids = [w.po(f"OLD-{n}")["id"] for n in (1, 2)]
        assert all(store.events_for("default", po_id) for po_id in po_ids)
        assert not any(w.cw.notes(po_id) for po_id in po_ids), "no PO notes for old events"

        # The live cycle after it is quiet about the old POs and still notifies about a new one.
        w.add(simple_order("NEW-1", w.clock.now(), ship_after=timedelta(hours=-0.5)))
        live = await w.engine.run_cycle()
        assert live.failed == 0
        assert received, "notifications work; the backfill was quiet on purpose"
        assert all(b"OLD-" not in request for request in received)
