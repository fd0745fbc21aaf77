"""One tenant's connections: its two services' clients, its store and its clock, built from settings.

Production passes no transports; tests and the demo pass `httpx.ASGITransport`s that mount the
simulators in-process, which is the only difference between the two. An engine is not part of a
tenant: each runner builds the engine for its own variant of a cycle (runners/).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import httpx

from orderbridge.carriers import CarrierProvider, open_providers
from orderbridge.config import Settings
from orderbridge.connectwise.client import ConnectWiseClient
from orderbridge.core.clock import Clock, SystemClock
from orderbridge.store import Store
from orderbridge.tdsynnex.client import TDSynnexClient
from orderbridge.tdsynnex.invoices import InvoiceClient
from orderbridge.tdsynnex.partner import PartnerClient


@dataclass
class Transports:
    """One transport per remote. TD SYNNEX's PO Status, invoice and Partner services share one,
    because the simulator serves all three from one app (production passes None everywhere)."""

    connectwise: httpx.AsyncBaseTransport | None = None
    tdsynnex: httpx.AsyncBaseTransport | None = None
    carriers: httpx.AsyncBaseTransport | None = None  # EasyPost, UPS and FedEx (one simulator app serves all)


@dataclass
class Tenant:
    name: str
    settings: Settings
    connectwise: ConnectWiseClient
    tdsynnex: TDSynnexClient
    store: Store
    clock: Clock
    invoices: InvoiceClient | None = None
    partner: PartnerClient | None = None
    # The configured carrier-tracking providers by name ("easypost", "ups", "fedex"); empty when
    # `[carriers] enabled` is false.
    carriers: dict[str, CarrierProvider] = field(default_factory=dict)


@asynccontextmanager
async def open_tenant(
    settings: Settings,
    *,
    store: Store | None = None,
    transports: Transports | None = None,
    clock: Clock | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    name: str = "default",
) -> AsyncIterator[Tenant]:
    """The tenant's clients (closed on exit) and store (closed on exit only when opened here)."""
    transports = transports or Transports()
    clock = clock or SystemClock()
    own_store = store is None
    store = store or Store.open(settings.store.url)
    cw = ConnectWiseClient(settings.connectwise, settings.http, transport=transports.connectwise, sleep=sleep)
    tds = TDSynnexClient(settings.tdsynnex, settings.http, transport=transports.tdsynnex, sleep=sleep)
    invoices = (
        InvoiceClient(settings.tdsynnex, settings.http, transport=transports.tdsynnex, sleep=sleep)
        if settings.tdsynnex.invoice_url
        else None
    )
    partner = (
        PartnerClient(
            settings.partner,
            settings.http,
            transport=transports.tdsynnex,
            sleep=sleep,
            clock=clock,
            tz=ZoneInfo(settings.tdsynnex.timezone),
        )
        if settings.partner.enabled
        else None
    )
    carriers = open_providers(settings.carriers, settings.http, transport=transports.carriers, sleep=sleep, clock=clock)
    try:
        yield Tenant(
            name=name,
            settings=settings,
            connectwise=cw,
            tdsynnex=tds,
            store=store,
            clock=clock,
            invoices=invoices,
            partner=partner,
            carriers=carriers,
        )
    finally:
        for provider in carriers.values():
            await provider.aclose()
        await cw.aclose()
        await tds.aclose()
        if invoices is not None:
            await invoices.aclose()
        if partner is not None:
            await partner.aclose()
        if own_store:
            store.close()
