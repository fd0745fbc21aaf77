"""An in-process world for end-to-end tests: the simulators (ConnectWise, TD SYNNEX, and the carriers
EasyPost, UPS and FedEx, which follow TD SYNNEX's packages) on one SimClock, mounted by transport.

Nothing of ours is mocked: the engine talks HTTP to the real simulator apps through
`httpx.ASGITransport`, which is the only difference from production.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from orderbridge.config import Settings
from orderbridge.core.clock import SimClock
from orderbridge.core.domain import Package
from orderbridge.runners.operator import live_engine
from orderbridge.simulators.book import cw_lines_for
from orderbridge.simulators.carriers.app import create_app as create_carriers_app
from orderbridge.simulators.carriers.state import CarrierState
from orderbridge.simulators.connectwise.app import create_app as create_cw_app
from orderbridge.simulators.connectwise.seed import seed_defaults
from orderbridge.simulators.connectwise.state import ConnectWiseState
from orderbridge.simulators.serve import carriers_demo_table
from orderbridge.simulators.tdsynnex.app import create_app as create_tds_app
from orderbridge.simulators.tdsynnex.lifecycle import LineEvent, LineScript, OrderScript
from orderbridge.simulators.tdsynnex.state import TDSynnexState
from orderbridge.store import Store
from orderbridge.sync.engine import Engine
from orderbridge.sync.tenant import Tenant, Transports, open_tenant

CUSTOMER = "100001"
CARRIERS_URL = "https://carriers.sim"


def world_settings(store_url: str, **sections: dict[str, Any]) -> Settings:
    data: dict[str, Any] = {
        "connectwise": {
            "company": "demo",
            "public_key": "demopublic",
            "private_key": "demoprivate",
            "client_id": "test-client",
            "base_url": "https://cw.sim/v4_6_release/apis/3.0",
        },
        "tdsynnex": {
            "user_id": "demo@example.com",
            "password": "demo",
            "customer_number": CUSTOMER,
            "url": "https://tds.sim/SynnexXML/POStatus",
            "invoice_url": "https://tds.sim/webservice/invoice/query",
        },
        "store": {"url": store_url},
        # Every provider with the simulator's demo credentials; off unless a test passes carriers={"enabled": True}.
        "carriers": carriers_demo_table(CARRIERS_URL),
    }
    for name, values in sections.items():
        data[name] = {**data.get(name, {}), **values}
    return Settings(**data)


async def no_sleep(_: float) -> None:
    return None


@dataclass
class World:
    clock: SimClock
    cw: ConnectWiseState
    tds: TDSynnexState
    carriers: CarrierState
    tenant: Tenant
    engine: Engine  # a live engine (the operator's view attached), kept across the world's cycles

    def add(self, script: OrderScript, **po: Any) -> dict[str, Any]:
        """Seed one order at TD SYNNEX and its tracked PO in ConnectWise."""
        self.tds.add_order(script)
        po.setdefault("status_name", "Sent to Vendor")
        return self.cw.add_purchase_order(po_number=script.po_number, lines=cw_lines_for(script), **po)

    def po(self, po_number: str) -> dict[str, Any]:
        return self.cw.purchase_order_by_number(po_number)

    def writes(self) -> int:
        return len(self.cw.request_log.writes())


@asynccontextmanager
async def world(store: Store, **sections: dict[str, Any]) -> AsyncIterator[World]:
    clock = SimClock()
    cw = ConnectWiseState(clock)
    seed_defaults(cw)
    tds = TDSynnexState(clock)
    carriers = CarrierState(clock, packages=tds.shipped_parcel)
    transports = Transports(
        connectwise=httpx.ASGITransport(app=create_cw_app(cw)),
        tdsynnex=httpx.ASGITransport(app=create_tds_app(tds)),
        carriers=httpx.ASGITransport(app=create_carriers_app(carriers)),
    )
    settings = world_settings("sqlite://", **sections)
    async with open_tenant(settings, store=store, transports=transports, clock=clock, sleep=no_sleep) as tenant:
        engine = live_engine(tenant)
        yield World(clock=clock, cw=cw, tds=tds, carriers=carriers, tenant=tenant, engine=engine)


def simple_order(
    po_number: str,
    start: datetime,
    *,
    ship_after: timedelta | None = timedelta(days=1),
    invoice_after: timedelta | None = timedelta(days=3),
    tracking: str = "541877002320",
    order_number: str = "41000001",
    quantity: int = 2,
) -> OrderScript:
    """One line, accepted now, shipped in one FedEx package later, invoiced after that."""
    events = [
        LineEvent(
            at=start - timedelta(hours=1),
            kind="accept",
            order_number=order_number,
            order_type="SO",
            quantity=quantity,
            warehouse="6",
            ship_method="FG",
        )
    ]
    if ship_after is not None:
        events.append(
            LineEvent(
                at=start + ship_after,
                kind="ship",
                order_number=order_number,
                quantity=quantity,
                warehouse="6",
                ship_method="FG",
                packages=(Package(tracking, ship_item_quantity=quantity),),
            )
        )
    if invoice_after is not None:
        events.append(LineEvent(at=start + invoice_after, kind="invoice", order_number=order_number))
    line = LineScript(1, "3396979", "C1E21UT#ABA", "SBUY PRO 6305 MT", quantity, Decimal("510.0"), events)
    return OrderScript(
        customer_number=CUSTOMER, po_number=po_number, placed_at=start - timedelta(hours=1), lines=[line]
    )
