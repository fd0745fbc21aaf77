"""Many tenants for callback and worker tests: each its own ConnectWise and TD SYNNEX simulator,
its own ConnectWise host name, all on one SimClock and one store, plus the callback receiver app.

HTTP between the parts goes through `HostRouter`, a transport that hands each request to the
in-process app serving that host, so the simulator's callback delivery reaches the receiver and the
receiver's signing-key fetch reaches the right simulator, without a socket.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

from world import simple_order, world_settings

from orderbridge.callbacks.receiver import CallbackReceiver
from orderbridge.config import Settings
from orderbridge.config.directory import StaticTenants
from orderbridge.core.clock import SimClock
from orderbridge.simulators.book import cw_lines_for
from orderbridge.simulators.connectwise.app import create_app as create_cw_app
from orderbridge.simulators.connectwise.seed import seed_defaults
from orderbridge.simulators.connectwise.state import ConnectWiseState
from orderbridge.simulators.tdsynnex.app import create_app as create_tds_app
from orderbridge.simulators.tdsynnex.state import TDSynnexState
from orderbridge.store import Store
from orderbridge.sync.tenant import Transports

RECEIVER_HOST = "bridge.test"
PUBLIC_IP = "93.184.216.34"


async def public_resolve(host: str) -> list[str]:
    """Every test host is a public name; `rebound.test` plays a public name that points inside."""
    return ["10.0.0.7"] if host.startswith("rebound") else [PUBLIC_IP]


class HostRouter(httpx.AsyncBaseTransport):
    """Route each request to the in-process ASGI app registered for its host."""

    def __init__(self) -> None:
        self.apps: dict[str, httpx.ASGITransport] = {}
        self.hits: list[str] = []

    def add(self, host: str, app: Any) -> None:
        self.apps[host] = httpx.ASGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.hits.append(f"{request.method} {request.url.host}{request.url.path}")
        transport = self.apps.get(request.url.host)
        if transport is None:
            raise httpx.ConnectError(f"no simulated host {request.url.host}", request=request)
        return await transport.handle_async_request(request)


@dataclass
class Site:
    name: str
    host: str
    settings: Settings
    cw: ConnectWiseState
    tds: TDSynnexState
    cw_app: Starlette
    tds_app: Starlette

    def add(self, po_number: str, clock: SimClock, **script: Any) -> dict[str, Any]:
        order = simple_order(po_number, clock.now(), **script)
        self.tds.add_order(order)
        return self.cw.add_purchase_order(po_number=po_number, lines=cw_lines_for(order), status_name="Sent to Vendor")

    def transports(self) -> Transports:
        return Transports(
            connectwise=httpx.ASGITransport(app=self.cw_app), tdsynnex=httpx.ASGITransport(app=self.tds_app)
        )


@dataclass
class Fleet:
    clock: SimClock
    store: Store
    sites: dict[str, Site] = field(default_factory=dict)
    router: HostRouter = field(default_factory=HostRouter)
    receiver: CallbackReceiver | None = None
    receiver_app: Starlette | None = None

    @property
    def directory(self) -> StaticTenants:
        return StaticTenants({name: site.settings for name, site in self.sites.items()})

    def transports_for(self, tenant: str) -> Transports | None:
        site = self.sites.get(tenant)
        return site.transports() if site else None

    def add_site(self, name: str, **sections: dict[str, Any]) -> Site:
        host = f"cw-{name}.sim"
        cw = ConnectWiseState(self.clock)
        seed_defaults(cw)
        connectwise = {"base_url": f"https://{host}/v4_6_release/apis/3.0", **sections.pop("connectwise", {})}
        settings = world_settings(
            self.store.engine.url.render_as_string(hide_password=False), connectwise=connectwise, **sections
        )
        tds = TDSynnexState(self.clock)
        site = Site(name, host, settings, cw, tds, create_cw_app(cw), create_tds_app(tds))
        self.sites[name] = site
        self.router.add(host, site.cw_app)
        # Deliveries leave the simulator through the router, so they reach the receiver app.
        cw.callbacks.transport = self.router
        return site

    def start_receiver(self, **limits: Any) -> CallbackReceiver:
        from orderbridge.config import CallbacksSettings

        self.receiver = CallbackReceiver(
            self.store,
            self.directory,
            limits=CallbacksSettings(**limits),
            clock=self.clock,
            key_transport=self.router,
            resolve=public_resolve,
        )
        self.receiver_app = Starlette(routes=self.receiver.routes())
        self.router.add(RECEIVER_HOST, self.receiver_app)
        return self.receiver

    def client_from(self, address: str) -> httpx.AsyncClient:
        """A client whose requests reach the receiver from `address` (ConnectWise's own come from 127.0.0.1)."""
        assert self.receiver_app is not None, "start_receiver() first"
        transport = httpx.ASGITransport(app=self.receiver_app, client=(address, 40000))
        return httpx.AsyncClient(transport=transport, base_url=f"https://{RECEIVER_HOST}")

    def callback_url(self, tenant: str) -> str:
        return f"https://{RECEIVER_HOST}/callbacks/connectwise/{tenant}"

    def advance(self, seconds: float) -> None:
        self.clock.advance(timedelta(seconds=seconds))
