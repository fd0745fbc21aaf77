"""The writer lease on both databases: one holder per tenant, a clear refusal, expiry and takeover,
a crashed holder on this host replaced at once, and a fence that trips once the lease is not fresh."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import threading
from datetime import timedelta

import pytest

from orderbridge.config import LeaseSettings
from orderbridge.core.clock import SimClock
from orderbridge.core.errors import LeaseLost, TenantBusy
from orderbridge.runners.writer import WriterLease
from orderbridge.store import Store
from orderbridge.store.leases import LeaseRow, current, try_acquire

SETTINGS = LeaseSettings(duration_seconds=60)
BUSY = re.compile(
    r"^tenant acme is being synced by orderbridge sync --once \(pid \d+ on [^)]+\) since "
    r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC; try again later$"
)


def lease(store: Store, clock: SimClock, *, host: str | None = None, pid: int | None = None) -> WriterLease:
    return WriterLease(store, "acme", SETTINGS, role="orderbridge sync --once", clock=clock, host=host, pid=pid)


async def test_a_second_writer_is_refused_with_one_line_naming_the_holder(store: Store) -> None:
    clock = SimClock()
    first, second = lease(store, clock), lease(store, clock)
    async with first.held():
        with pytest.raises(TenantBusy) as refused:
            await second.acquire()
        assert BUSY.match(refused.value.message), refused.value.message
        assert "\n" not in refused.value.message
        first.check()  # the holder may write
        with pytest.raises(LeaseLost):
            second.check()  # the refused one may not
    assert current(store, "acme") is None, "released on exit"
    async with second.held():
        second.check()


async def test_other_tenants_are_not_affected(store: Store) -> None:
    clock = SimClock()
    other = WriterLease(store, "globex", SETTINGS, role="orderbridge run", clock=clock)
    async with lease(store, clock).held(), other.held():
        other.check()


async def test_an_expired_lease_of_a_crashed_holder_is_taken_over_and_the_old_holder_is_fenced(store: Store) -> None:
    clock = SimClock()
    # A holder on another machine that died without releasing: nothing here can see its process.
    crashed = lease(store, clock, host="elsewhere.example")
    await crashed.acquire()
    clock.advance(timedelta(seconds=59))
    with pytest.raises(TenantBusy):
        await lease(store, clock).acquire()
    clock.advance(timedelta(seconds=1))
    taker = lease(store, clock)
    await taker.acquire()
    row = current(store, "acme")
    assert row is not None and row.token == taker.token
    # The old holder wakes up: its fence trips (not renewed for half the lease) before any write...
    with pytest.raises(LeaseLost, match="not renewed since"):
        crashed.check()
    # ...its heartbeat finds the lease gone, and its release leaves the new holder's lease alone.
    assert crashed.renew() is False
    with pytest.raises(LeaseLost, match="another writer took the tenant over"):
        crashed.check()
    crashed.release()
    still = current(store, "acme")
    assert still is not None and still.token == taker.token
    taker.check()


async def test_a_holder_paused_past_half_its_lease_stops_writing_and_a_renewal_revives_it(store: Store) -> None:
    clock = SimClock()
    holder = lease(store, clock)
    await holder.acquire()
    clock.advance(timedelta(seconds=29))
    holder.check()
    clock.advance(timedelta(seconds=1))
    with pytest.raises(LeaseLost, match="stopped before the next ConnectWise write"):
        holder.check()
    assert holder.renew() is True  # nobody took it meanwhile: the heartbeat catches up
    holder.check()


async def test_a_dead_holder_on_this_host_is_replaced_at_once(store: Store) -> None:
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True)
    dead_pid = int(finished.stdout)
    clock = SimClock()
    killed = lease(store, clock, pid=dead_pid)
    await killed.acquire()
    taker = lease(store, clock)
    await taker.acquire()  # no wait for the 60 s expiry: the pid on this host is gone
    row = current(store, "acme")
    assert row is not None and row.token == taker.token and row.pid == taker.pid


async def test_a_waiting_writer_gets_the_lease_once_it_is_released(store: Store) -> None:
    clock = SimClock()
    first = lease(store, clock)
    await first.acquire()
    polls: list[float] = []

    async def released_while_waiting(seconds: float) -> None:
        polls.append(seconds)
        first.release()
        await asyncio.sleep(0)

    waiting = WriterLease(
        store,
        "acme",
        LeaseSettings(duration_seconds=60, wait_seconds=30),
        role="orderbridge replay",
        clock=clock,
        sleep=released_while_waiting,
    )
    await waiting.acquire()
    assert len(polls) == 1
    waiting.check()


def test_of_many_racing_for_a_free_tenant_exactly_one_wins(store: Store) -> None:
    clock = SimClock()
    now = clock.now()
    start = threading.Barrier(8)
    rows: list[LeaseRow] = []

    def race(number: int) -> None:
        mine = LeaseRow("acme", f"racer {number}", "host", number, f"token-{number}", now, now + timedelta(minutes=1))
        start.wait()
        rows.append(try_acquire(store, mine, now=now))

    threads = [threading.Thread(target=race, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = {row.token for row in rows}
    assert len(rows) == 8 and len(winners) == 1, winners
    final = current(store, "acme")
    assert final is not None and final.token in winners
