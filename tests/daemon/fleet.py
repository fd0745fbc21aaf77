"""Several tenants for daemon tests: each its own pair of simulators, all on one SimClock and one store.

Built from the same parts as `world.py`, because the daemon needs named tenants and a shared clock,
and time passes through `SimSleep` so a daemon "sleeping" for an hour costs nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from world import no_sleep, world_settings

from orderbridge.core.clock import SimClock
from orderbridge.runners.setup import run_setup
from orderbridge.simulators.book import cw_lines_for
from orderbridge.simulators.carriers.app import create_app as create_carriers_app
from orderbridge.simulators.carriers.state import CarrierState
from orderbridge.simulators.connectwise.app import create_app as create_cw_app
from orderbridge.simulators.connectwise.seed import seed_defaults
from orderbridge.simulators.connectwise.state import ConnectWiseState
from orderbridge.simulators.tdsynnex.app import create_app as create_tds_app
from orderbridge.simulators.tdsynnex.lifecycle import OrderScript
from orderbridge.simulators.tdsynnex.state import TDSynnexState
from orderbridge.store import Store
from orderbridge.sync.tenant import Tenant, Transports, open_tenant


@dataclass
class Site:
    """One tenant's outside world: its ConnectWise, its TD SYNNEX and the carriers following its packages."""

    name: str
    cw: ConnectWiseState
    tds: TDSynnexState
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)
    carriers: CarrierState | None = None

    def add(self, script: OrderScript, **po: Any) -> dict[str, Any]:
        self.tds.add_order(script)
        po.setdefault("status_name", "Sent to Vendor")
        return self.cw.add_purchase_order(po_number=script.po_number, lines=cw_lines_for(script), **po)

    def po(self, po_number: str) -> dict[str, Any]:
        return self.cw.purchase_order_by_number(po_number)

    def writes(self) -> int:
        return len(self.cw.request_log.writes())

    def listings(self) -> list[dict[str, str]]:
        """The query of every PO list call ConnectWise answered, oldest first; the light listing of PO
        numbers before a full listing (`fields=id,poNumber`, sync/duplicates.py) is left out."""
        return [
            entry.query
            for entry in self.cw.request_log.matching("GET", "/procurement/purchaseorders")
            if entry.resource.rstrip("/") == "/procurement/purchaseorders" and "fields" not in entry.query
        ]


def make_site(clock: SimClock, name: str = "default", **sections: dict[str, Any]) -> Site:
    cw = ConnectWiseState(clock)
    seed_defaults(cw)
    tds = TDSynnexState(clock)
    return Site(name, cw, tds, dict(sections), CarrierState(clock, packages=tds.shipped_parcel))


class SimSleep:
    """The daemon's sleep on simulated time: moves the clock instead of waiting, and counts the naps."""

    def __init__(self, clock: SimClock) -> None:
        self.clock = clock
        self.naps: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.naps.append(seconds)
        self.clock.advance(timedelta(seconds=seconds))


@asynccontextmanager
async def fleet(
    store: Store, clock: SimClock, sites: Sequence[Site], *, setup: bool = True, **sections: dict[str, Any]
) -> AsyncIterator[list[Tenant]]:
    """Open one tenant per site on `store`, with the TDS statuses created in each ConnectWise."""
    async with AsyncExitStack() as stack:
        tenants = []
        for site in sites:
            merged = {**sections, **site.sections}
            transports = Transports(
                connectwise=httpx.ASGITransport(app=create_cw_app(site.cw)),
                tdsynnex=httpx.ASGITransport(app=create_tds_app(site.tds)),
                carriers=httpx.ASGITransport(app=create_carriers_app(site.carriers)) if site.carriers else None,
            )
            tenant = await stack.enter_async_context(
                open_tenant(
                    world_settings("sqlite://", **merged),
                    store=store,
                    transports=transports,
                    clock=clock,
                    sleep=no_sleep,
                    name=site.name,
                )
            )
            if setup:
                await run_setup(tenant.settings, tenant.connectwise)
            tenants.append(tenant)
        yield tenants
