"""A store full of realistic history, made by running the real engine over the simulated demo book.

Used by the screenshots and the browser tests: both simulators are mounted in-process on one SimClock,
setup runs, and cycles run while simulated time advances, so the dashboard shows what a real fortnight
looks like (shipments, splits, back-orders, a notFound PO, a cancelled PO, alerts opening and resolving).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from orderbridge.config import Settings
from orderbridge.core.clock import SimClock
from orderbridge.runners.operator import live_engine
from orderbridge.runners.setup import run_setup
from orderbridge.simulators.book import DemoBook, seed_demo_book
from orderbridge.simulators.connectwise.app import create_app as create_cw_app
from orderbridge.simulators.connectwise.seed import seed_defaults
from orderbridge.simulators.connectwise.state import ConnectWiseState
from orderbridge.simulators.tdsynnex.app import create_app as create_tds_app
from orderbridge.simulators.tdsynnex.state import TDSynnexState
from orderbridge.store import Store
from orderbridge.sync.tenant import Transports, open_tenant

DEMO_STEP = timedelta(days=1)


def demo_settings(store_url: str, **sections: dict[str, Any]) -> Settings:
    data: dict[str, Any] = {
        "connectwise": {
            "company": "demo",
            "public_key": "demopublic",
            "private_key": "demoprivate",
            "client_id": "00000000-0000-4000-8000-000000000000",
            "base_url": "https://cw.sim/v4_6_release/apis/3.0",
        },
        "tdsynnex": {
            "user_id": "demo@example.com",
            "password": "demo",
            "customer_number": "100001",
            "url": "https://tds.sim/SynnexXML/POStatus",
            "invoice_url": "",
        },
        "store": {"url": store_url},
        "alerts": {"stuck_days": {"accepted": 4, "released": 3}, "not_found_hours": 12},
    }
    for name, values in sections.items():
        data[name] = {**data.get(name, {}), **values}
    return Settings(**data)


async def _no_sleep(_: float) -> None:
    return None


@dataclass
class DemoHistory:
    clock: SimClock
    book: DemoBook
    settings: Settings
    cycles: int


async def build_demo_history(
    store: Store, *, orders: int = 40, cycles: int = 10, settings: Settings | None = None
) -> DemoHistory:
    """Seed the demo book, run setup, then `cycles` cycles one simulated day apart."""
    clock = SimClock()
    cw = ConnectWiseState(clock)
    seed_defaults(cw)
    tds = TDSynnexState(clock)
    book = seed_demo_book(cw, tds, clock, orders=orders)
    settings = settings or demo_settings("sqlite://")
    transports = Transports(
        connectwise=httpx.ASGITransport(app=create_cw_app(cw)),
        tdsynnex=httpx.ASGITransport(app=create_tds_app(tds)),
    )
    async with open_tenant(settings, store=store, transports=transports, clock=clock, sleep=_no_sleep) as tenant:
        await run_setup(settings, tenant.connectwise)
        engine = live_engine(tenant)
        for number in range(cycles):
            await engine.run_cycle()
            if number < cycles - 1:
                clock.advance(DEMO_STEP)
    return DemoHistory(clock=clock, book=book, settings=settings, cycles=cycles)
