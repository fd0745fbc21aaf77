"""One writer per tenant, in process: two cycles started together on one tenant (two runners, as cron
and a daemon would be) write each note once, and a writer whose lease went stale stops writing.

Both writers talk to the same simulator state through their own clients, and share one store."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
import pytest
from world import World, no_sleep, simple_order, world

from orderbridge.config import LeaseSettings
from orderbridge.core.clock import SimClock
from orderbridge.core.errors import LeaseLost, TenantBusy
from orderbridge.runners.operator import live_engine
from orderbridge.runners.setup import run_setup
from orderbridge.runners.writer import WriterLease, tenant_writer
from orderbridge.simulators.connectwise.app import create_app as create_cw_app
from orderbridge.simulators.fault_spec import apply_fault_spec
from orderbridge.simulators.tdsynnex.app import create_app as create_tds_app
from orderbridge.store import Store
from orderbridge.sync.summary import CycleSummary
from orderbridge.sync.tenant import Tenant, Transports, open_tenant

ORDERS = 8


@asynccontextmanager
async def another_process(w: World, tdsynnex: httpx.AsyncBaseTransport | None = None) -> AsyncIterator[Tenant]:
    """The same tenant opened a second time, with its own clients: what a second process would have."""
    transports = Transports(
        connectwise=httpx.ASGITransport(app=create_cw_app(w.cw)),
        tdsynnex=tdsynnex or httpx.ASGITransport(app=create_tds_app(w.tds)),
    )
    async with open_tenant(
        w.tenant.settings, store=w.tenant.store, transports=transports, clock=w.clock, sleep=no_sleep
    ) as tenant:
        yield tenant


async def shipped_book(w: World) -> list[int]:
    """ORDERS POs, synced once while accepted; then all of them ship, so the next cycle writes a note each."""
    await run_setup(w.tenant.settings, w.tenant.connectwise)
    ids = [
        w.add(simple_order(f"PO-{500 + n}", w.clock.now(), order_number=f"4100{n:04d}"))["id"] for n in range(ORDERS)
    ]
    await w.engine.run_cycle()
    w.clock.advance(timedelta(days=1, hours=1))
    return ids


def duplicate_notes(w: World, ids: list[int]) -> int:
    return sum(count - 1 for po_id in ids for count in Counter(n.get("text") for n in w.cw.notes(po_id)).values())


async def cycle_as(tenant: Tenant, role: str) -> CycleSummary:
    async with tenant_writer(tenant, role).held() as lease:
        return await live_engine(tenant, fence=lease).run_cycle()


async def test_two_cycles_started_together_on_one_tenant_write_each_note_once(store: Store) -> None:
    async with world(store) as w:
        ids = await shipped_book(w)
        notes_before = sum(len(w.cw.notes(po_id)) for po_id in ids)
        # A little ConnectWise latency lets the two cycles interleave as two processes do: without the
        # lease this very scenario wrote 15 duplicate notes.
        apply_fault_spec("cw:latency=1ms~p99:10ms,seed=3", w.cw, w.tds)
        async with another_process(w) as second:
            outcomes = await asyncio.gather(
                cycle_as(w.tenant, "orderbridge run"),
                cycle_as(second, "orderbridge sync --once"),
                return_exceptions=True,
            )
        done = [o for o in outcomes if isinstance(o, CycleSummary)]
        refused = [o for o in outcomes if isinstance(o, TenantBusy)]
        assert len(done) == 1 and len(refused) == 1, outcomes
        assert "is being synced by orderbridge run" in refused[0].message
        assert done[0].changed == ORDERS and done[0].failed == 0
        assert sum(len(w.cw.notes(po_id)) for po_id in ids) >= notes_before + ORDERS  # a shipment note each, at least
        assert duplicate_notes(w, ids) == 0
        assert all(w.cw.get_purchase_order(po_id)["status"]["name"] == "TDS Shipped" for po_id in ids)


async def test_a_writer_paused_past_its_lease_writes_nothing(store: Store) -> None:
    async with world(store) as w:
        await shipped_book(w)
        lease_clock = SimClock()
        paused = WriterLease(store, "default", LeaseSettings(duration_seconds=60), role="cron", clock=lease_clock)
        async with paused.held():
            lease_clock.advance(timedelta(seconds=45))  # e.g. SIGSTOPped: no heartbeat ran meanwhile
            before = w.writes()
            with pytest.raises(LeaseLost, match="stopped before the next ConnectWise write"):
                await live_engine(w.tenant, fence=paused).run_cycle()
            assert w.writes() == before


class CutLease(httpx.AsyncBaseTransport):
    """TD SYNNEX, except that on the `at`-th question the writer's lease clock jumps past its expiry, as
    when the process is suspended mid-cycle."""

    def __init__(self, inner: httpx.AsyncBaseTransport, lease_clock: SimClock, *, at: int) -> None:
        self.inner, self.lease_clock, self.at, self.calls = inner, lease_clock, at, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.calls == self.at:
            self.lease_clock.advance(timedelta(seconds=61))
        return await self.inner.handle_async_request(request)


async def test_a_writer_that_lost_its_lease_mid_cycle_stops_and_the_new_holder_finishes_without_duplicates(
    store: Store,
) -> None:
    async with world(store) as w:
        ids = await shipped_book(w)
        lease_clock = SimClock()
        settings = LeaseSettings(duration_seconds=60)
        cut = CutLease(httpx.ASGITransport(app=create_tds_app(w.tds)), lease_clock, at=3)
        async with another_process(w, tdsynnex=cut) as slow:
            old = WriterLease(store, "default", settings, role="orderbridge sync --once", clock=lease_clock)
            async with old.held():
                with pytest.raises(LeaseLost):
                    await live_engine(slow, fence=old).run_cycle()
                written_by_old = sum(
                    1 for po_id in ids if w.cw.get_purchase_order(po_id)["status"]["name"] == "TDS Shipped"
                )
                assert written_by_old < ORDERS, "the old writer went on after its lease was gone"
                # Its lease expired (by the lease clock): the next writer takes over before the old one exits.
                new = WriterLease(store, "default", settings, role="orderbridge run", clock=lease_clock)
                async with new.held():
                    summary = await live_engine(w.tenant, fence=new).run_cycle()
        assert summary.failed == 0
        assert all(w.cw.get_purchase_order(po_id)["status"]["name"] == "TDS Shipped" for po_id in ids)
        assert duplicate_notes(w, ids) == 0
