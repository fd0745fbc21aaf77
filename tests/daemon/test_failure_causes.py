"""The daemon says why POs fail, and retries them as soon as `orderbridge setup` fixed the cause.

The tenant here never ran setup, so every PO fails with "ConnectWise has no PO status ..." and is put
on the 5-minute retry back-off. The log line of the cycle must name that cause and its fix; and
setup, run while the daemon sleeps, must make the daemon sync those POs at once, not 5 minutes later.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from fleet import SimSleep, fleet, make_site
from world import simple_order

from orderbridge.core.clock import SimClock
from orderbridge.runners.daemon import Daemon
from orderbridge.runners.setup import run_setup
from orderbridge.store import Store

SHIPPED = {"ship_after": timedelta(hours=-0.5), "invoice_after": None}
NO_JITTER = {"jitter": 0}


async def test_each_cycle_log_line_names_the_top_causes_and_their_fix(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    clock = SimClock()
    site = make_site(clock)
    for number in range(12):
        site.add(simple_order(f"PO-{600 + number}", clock.now(), **SHIPPED))
    caplog.set_level(logging.INFO, logger="orderbridge.runners.daemon")
    async with fleet(store, clock, [site], setup=False, schedule=NO_JITTER) as tenants:
        await Daemon(tenants, clock=clock, max_cycles=1, sleep=SimSleep(clock)).run()

    [line] = [r.getMessage() for r in caplog.records if "seen 12" in r.getMessage()]
    assert "12 failed: ConnectWise has no PO status 'TDS Shipped'; run `orderbridge setup`" in line
    assert [r.levelno for r in caplog.records if "seen 12" in r.getMessage()] == [logging.WARNING]


async def test_a_cycle_where_td_synnex_never_answers_is_a_failed_cycle(store: Store) -> None:
    clock = SimClock()
    site = make_site(clock)
    site.add(simple_order("PO-650", clock.now(), **SHIPPED))
    site.tds.faults.add("status", status=503)  # every PO Status call, forever
    async with fleet(store, clock, [site], schedule=NO_JITTER) as tenants:
        daemon = Daemon(tenants, clock=clock, max_cycles=1, sleep=SimSleep(clock))
        await daemon.run()
    state = daemon.health_state["default"]
    assert list(daemon.failed_tenants()) == ["default"] and state.failures == 1
    assert state.last_error is not None and "TD SYNNEX did not answer" in state.last_error


async def test_setup_wakes_the_daemon_and_the_failed_pos_are_retried_at_once(store: Store) -> None:
    clock = SimClock()
    site = make_site(clock)
    for number in range(3):
        site.add(simple_order(f"PO-{660 + number}", clock.now(), **SHIPPED))
    async with fleet(store, clock, [site], setup=False, schedule=NO_JITTER) as tenants:
        [tenant] = tenants
        # Real (short) sleeps between cycles so the daemon polls while it waits, as in production;
        # simulated time stands still, so the failed POs stay 5 minutes away from due unless setup acts.
        daemon = Daemon(tenants, clock=clock, poll_s=0.01)
        running = asyncio.create_task(daemon.run())
        state = daemon.health_state["default"]
        try:
            await _until(lambda: state.cycles >= 1)
            assert state.last_summary is not None and state.last_summary.failed == 3
            assert site.po("PO-660")["status"]["name"] == "Sent to Vendor"

            report = await run_setup(tenant.settings, tenant.connectwise, store=store, now=clock.now())
            assert report.retried == 3

            await _until(lambda: state.cycles >= 2)
        finally:
            daemon.stop()
            await running
    assert state.last_summary is not None and state.last_summary.failed == 0
    assert all(site.po(f"PO-{660 + n}")["status"]["name"] == "TDS Shipped" for n in range(3))


async def _until(condition, timeout_s: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    """Wait for `condition` (the daemon's next cycle); the daemon would otherwise sleep 5 minutes."""
    async with asyncio.timeout(timeout_s):
        while not condition():
            await asyncio.sleep(0.01)
