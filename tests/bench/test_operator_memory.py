"""The operator hooks keep no per-PO state past the cycle, so a tenant's size does not stay in memory.

Before issue 7 the hooks kept one facts row per PO checked until the next cycle began (and handed a
copy of all of them to `notify`); at N=100,000 that was the largest thing the bench process held.
This runs a real cycle over the bench's own book (simulators mounted in-process) and looks at what
the hooks still hold afterwards: nothing, while the facts they buffered are all in the store.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
from tools.bench.run import CLIENT_ID, DEMO_CW, DEMO_TDS, UNLIMITED
from tools.bench.seeding import seed_book

from orderbridge.config import Settings
from orderbridge.core.clock import SimClock, SystemClock
from orderbridge.runners.operator import OperatorHooks, live_engine
from orderbridge.runners.setup import run_setup
from orderbridge.simulators.connectwise.app import create_app as create_cw_app
from orderbridge.simulators.connectwise.seed import seed_defaults
from orderbridge.simulators.connectwise.state import ConnectWiseState
from orderbridge.simulators.tdsynnex.app import create_app as create_tds_app
from orderbridge.simulators.tdsynnex.state import TDSynnexState
from orderbridge.store import Store
from orderbridge.store.facts import FactsFilter, count_facts
from orderbridge.sync.tenant import Transports, open_tenant

ORDERS = 60


async def test_after_a_cycle_the_hooks_hold_nothing_per_po(tmp_path: Path) -> None:
    start = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    cw = ConnectWiseState(SystemClock())
    seed_defaults(cw)
    tds = TDSynnexState(SimClock(start))
    seed_book(cw, tds, orders=ORDERS, now=start)
    settings = Settings(
        connectwise={
            **DEMO_CW,
            "client_id": CLIENT_ID,
            "base_url": "https://cw.sim/v4_6_release/apis/3.0",
            "requests_per_minute": UNLIMITED,  # in-process: no service to protect, and no time to wait
        },
        tdsynnex={
            **DEMO_TDS,
            "requests_per_minute": UNLIMITED,
            "url": "https://tds.sim/SynnexXML/POStatus",
            "invoice_url": "https://tds.sim/webservice/invoice/query",
        },
        notifications={"stage_changes": ["accepted", "shipped"]},
        store={"url": f"sqlite:///{tmp_path / 'hooks.db'}"},
    )
    transports = Transports(
        connectwise=httpx.ASGITransport(app=create_cw_app(cw)), tdsynnex=httpx.ASGITransport(app=create_tds_app(tds))
    )
    with Store.open(settings.store.url) as store:
        async with open_tenant(settings, store=store, transports=transports, clock=SystemClock()) as tenant:
            await run_setup(settings, tenant.connectwise)
            engine = live_engine(tenant)
            summary = await engine.run_cycle()
            hooks = engine.hooks
        assert isinstance(hooks, OperatorHooks)
        assert summary.seen == ORDERS and summary.transitions  # stages were reached: there was something to keep
        assert count_facts(store, FactsFilter(tenant="default")) == ORDERS
        held = (hooks._observations, hooks._events, hooks._stage_facts)
        assert [len(part) for part in held] == [0, 0, 0]
