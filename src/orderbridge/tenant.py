"""Wiring for one tenant: the two clients, the store and the engine, built from settings.

Production passes no transports; tests and the demo pass `httpx.ASGITransport`s that mount the
simulators in-process, which is the only difference between the two.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from orderbridge.clock import Clock, SystemClock
from orderbridge.config import Settings
from orderbridge.connectwise.client import ConnectWiseClient
from orderbridge.store import Store
from orderbridge.sync.engine import Engine
from orderbridge.tdsynnex.client import TDSynnexClient


@dataclass
class Transports:
    connectwise: httpx.AsyncBaseTransport | None = None
    tdsynnex: httpx.AsyncBaseTransport | None = None


@dataclass
class Tenant:
    name: str
    settings: Settings
    connectwise: ConnectWiseClient
    tdsynnex: TDSynnexClient
    store: Store
    engine: Engine


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
    transports = transports or Transports()
    clock = clock or SystemClock()
    own_store = store is None
    store = store or Store.open(settings.store.url)
    cw = ConnectWiseClient(settings.connectwise, settings.http, transport=transports.connectwise, sleep=sleep)
    tds = TDSynnexClient(settings.tdsynnex, settings.http, transport=transports.tdsynnex, sleep=sleep)
    try:
        engine = Engine(settings, connectwise=cw, tdsynnex=tds, store=store, clock=clock, tenant=name)
        yield Tenant(name=name, settings=settings, connectwise=cw, tdsynnex=tds, store=store, engine=engine)
    finally:
        await cw.aclose()
        await tds.aclose()
        if own_store:
            store.close()
