"""The tenant job without a queue (SQLite and PostgreSQL): callbacks force a check, due tenants are
chosen fairly, and one large tenant's job still runs many calls at once within its own limits.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from callback_world import RECEIVER_HOST, Fleet
from world import no_sleep, world_settings

from orderbridge.config import LeaseSettings
from orderbridge.connectwise.client import ConnectWiseClient
from orderbridge.core.clock import SimClock
from orderbridge.runners.callbacks import register_callbacks
from orderbridge.runners.setup import run_setup
from orderbridge.runners.worker.due import due_tenants
from orderbridge.runners.worker.jobs import WorkerRuntime, sync_tenant_once
from orderbridge.runners.writer import WriterLease
from orderbridge.store import Store
from orderbridge.store.inbox import pending_callbacks
from orderbridge.sync.tenant import Transports, open_tenant


@pytest.fixture
async def fleet(store: Store) -> AsyncIterator[Fleet]:
    fleet = Fleet(SimClock(), store)
    for name in ("acme", "beta"):
        site = fleet.add_site(name)
        async with open_tenant(site.settings, store=store, transports=site.transports(), clock=fleet.clock) as t:
            await run_setup(t.settings, t.connectwise)
    receiver = fleet.start_receiver()
    yield fleet
    await receiver.aclose()


def runtime_for(fleet: Fleet, **transports: object) -> WorkerRuntime:
    return WorkerRuntime(
        settings=world_settings("sqlite://"),
        tenants=fleet.directory,
        store=fleet.store,
        clock=fleet.clock,
        transports=fleet.transports_for,
        sleep=no_sleep,
    )


def names(fleet: Fleet) -> list[str]:
    return list(fleet.directory.names())


async def test_a_callback_forces_a_check_of_a_po_that_is_not_due(fleet: Fleet) -> None:
    acme = fleet.sites["acme"]
    first, second = acme.add("PO-1", fleet.clock), acme.add("PO-2", fleet.clock, order_number="41000002")
    runtime = runtime_for(fleet)
    summary = await sync_tenant_once(runtime, "acme")
    assert summary is not None and summary.checked == 2

    # A person edits PO-1 in ConnectWise; the callback arrives.
    cw = ConnectWiseClient(
        acme.settings.connectwise, acme.settings.http, transport=httpx.ASGITransport(app=acme.cw_app)
    )
    async with cw:
        await register_callbacks(acme.settings, cw, f"https://{RECEIVER_HOST}", tenant="acme")
        await cw.patch_purchase_order(first["id"], [{"op": "replace", "path": "internalNotes", "value": "hi"}])
    assert [p.po_id for p in pending_callbacks(fleet.store, "acme")] == [first["id"]]
    due = due_tenants(fleet.store, names(fleet), fleet.clock.now(), discover_after=_hour())
    assert [(d.name, d.reason) for d in due] == [("beta", "never synced"), ("acme", "callback")]

    again = await sync_tenant_once(runtime, "acme")
    assert again is not None
    assert (again.checked, again.not_due) == (1, 1)  # PO-1 forced, PO-2 still waits for its turn
    assert pending_callbacks(fleet.store, "acme") == []
    assert second["id"] not in {p.po_id for p in pending_callbacks(fleet.store, "acme")}


def _hour() -> timedelta:
    return timedelta(hours=1)


async def test_due_tenants_oldest_attempt_first_and_stale_rows_do_not_keep_a_tenant_due(fleet: Fleet) -> None:
    acme, beta = fleet.sites["acme"], fleet.sites["beta"]
    acme.add("PO-1", fleet.clock)
    beta.add("PO-1", fleet.clock)
    runtime = runtime_for(fleet)
    now = fleet.clock.now()
    assert {d.reason for d in due_tenants(fleet.store, names(fleet), now, discover_after=_hour())} == {"never synced"}

    await sync_tenant_once(runtime, "beta")
    fleet.clock.advance(timedelta(minutes=1))
    await sync_tenant_once(runtime, "acme")
    fleet.clock.advance(timedelta(minutes=1))
    assert due_tenants(fleet.store, names(fleet), fleet.clock.now(), discover_after=_hour()) == []

    # PO-1 is unticked in beta's ConnectWise: its row stays, due in the past, and must not keep
    # beta due every minute after the next attempt has looked and not found it.
    beta.cw.purchase_orders.get(1001)["customFields"][0]["value"] = False  # type: ignore[index]
    fleet.clock.advance(timedelta(minutes=20))
    due = due_tenants(fleet.store, names(fleet), fleet.clock.now(), discover_after=_hour())
    assert [(d.name, d.reason) for d in due] == [("beta", "orders due"), ("acme", "orders due")]
    await sync_tenant_once(runtime, "beta")
    fleet.clock.advance(timedelta(minutes=1))
    assert [d.name for d in due_tenants(fleet.store, names(fleet), fleet.clock.now(), discover_after=_hour())] == [
        "acme"
    ]
    fleet.clock.advance(timedelta(hours=1))
    assert {d.name for d in due_tenants(fleet.store, names(fleet), fleet.clock.now(), discover_after=_hour())} == {
        "acme",
        "beta",
    }


class CountingTransport(httpx.AsyncBaseTransport):
    """Counts requests in flight at once; yields to the loop so concurrent calls can overlap."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.now = 0
        self.most = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            await asyncio.sleep(0.001)
            return await self.inner.handle_async_request(request)
        finally:
            self.now -= 1


async def test_a_large_tenants_job_runs_many_calls_at_once_within_its_limit(fleet: Fleet) -> None:
    acme = fleet.sites["acme"]
    for number in range(40):
        acme.add(f"PO-{number}", fleet.clock, order_number=f"41{number:06d}")
    counting = CountingTransport(httpx.ASGITransport(app=acme.tds_app))

    def transports(tenant: str) -> Transports | None:
        return Transports(connectwise=httpx.ASGITransport(app=acme.cw_app), tdsynnex=counting)

    runtime = runtime_for(fleet)
    runtime.transports = transports
    summary = await sync_tenant_once(runtime, "acme")
    assert summary is not None and summary.checked == 40
    assert 1 < counting.most <= acme.settings.tdsynnex.concurrency


async def test_a_tenant_removed_from_the_configuration_ends_its_job_quietly(fleet: Fleet) -> None:
    assert await sync_tenant_once(runtime_for(fleet), "gone") is None


async def test_a_job_for_a_tenant_another_process_is_writing_to_ends_without_a_cycle(fleet: Fleet) -> None:
    """procrastinate's lock keeps workers apart; the writer lease also keeps a cron `sync --once` out."""
    acme = fleet.sites["acme"]
    acme.add("PO-1", fleet.clock)
    runtime = runtime_for(fleet)
    cron = WriterLease(fleet.store, "acme", LeaseSettings(), role="orderbridge sync --once")
    async with cron.held():
        assert await sync_tenant_once(runtime, "acme") is None
        assert fleet.store.last_cycle("acme") is None
    summary = await sync_tenant_once(runtime, "acme")
    assert summary is not None and summary.checked == 1
