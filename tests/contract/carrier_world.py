"""The carrier contract tests' world: the carrier simulators in-process (httpx.ASGITransport) or over a
real socket (uvicorn), one SimClock, and the three clients built the way production builds them.

Every contract test that takes `world` runs twice, once per way in, with the same assertions.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from orderbridge.carriers import EasyPostClient, FedExClient, UPSClient
from orderbridge.config import EasyPostSettings, FedExSettings, HttpSettings, UPSSettings
from orderbridge.core.clock import SimClock
from orderbridge.simulators.carriers import auth
from orderbridge.simulators.carriers.app import create_app
from orderbridge.simulators.carriers.journeys import Parcel, Step
from orderbridge.simulators.carriers.state import CarrierState, NumberScript, RequestRecord
from orderbridge.simulators.serve import RunningServer, start_server

START = datetime(2026, 1, 5, 16, 0, tzinfo=UTC)
FAST = 60000  # requests per minute: the policy's rate limit never waits in these tests


class Sleeps:
    """A no-op sleep that remembers what it was asked to wait (retries cost no wall-clock time)."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class Delegate:
    """One uvicorn server for the session; each test points it at its own freshly built app."""

    def __init__(self) -> None:
        self.app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


@dataclass
class World:
    mode: str
    clock: SimClock
    state: CarrierState
    base: str
    transport: httpx.AsyncBaseTransport | None
    sleeps: Sleeps = field(default_factory=Sleeps)
    http: HttpSettings = field(default_factory=lambda: HttpSettings(max_attempts=3))

    def parcel(
        self,
        number: str,
        carrier: str,
        outcome: str | None = "delivered",
        *,
        shipped_hours_ago: float = 0,
        transit_days: int = 3,
        script: NumberScript | None = None,
    ) -> Parcel:
        parcel = Parcel(
            number, carrier, self.clock.now() - timedelta(hours=shipped_hours_ago), transit_days=transit_days
        )
        self.state.add_parcel(parcel)
        if script is not None or outcome is not None:
            self.state.set_script(number, script or NumberScript(outcome=outcome))
        return parcel

    def step(self, number: str, kind: str, nth: int = 0) -> Step:
        journey = self.state.journey(number)
        assert journey is not None, number
        return [step for step in journey.steps if step.kind == kind][nth]

    def move_to(self, number: str, kind: str, nth: int = 0) -> Step:
        """Simulated time just after the `nth` step of this kind of the package's journey."""
        step = self.step(number, kind, nth)
        self.clock.set(max(self.clock.now(), step.at + timedelta(minutes=1)))
        return step

    def easypost(self, key: str = auth.DEMO_EASYPOST_KEY.key) -> EasyPostClient:
        settings = EasyPostSettings(api_key=SecretStr(key), base_url=self.base + "/v2", requests_per_minute=FAST)
        return EasyPostClient(settings, self.http, transport=self.transport, sleep=self.sleeps)

    def ups(self, secret: str = auth.DEMO_UPS.client_secret, *, clock: SimClock | None = None) -> UPSClient:
        settings = UPSSettings(
            client_id=auth.DEMO_UPS.client_id,
            client_secret=SecretStr(secret),
            base_url=self.base + "/api",
            token_url=self.base + "/security/v1/oauth/token",
            requests_per_minute=FAST,
        )
        return UPSClient(settings, self.http, transport=self.transport, sleep=self.sleeps, clock=clock or self.clock)

    def fedex(
        self, secret: str = auth.DEMO_FEDEX.client_secret, *, clock: SimClock | None = None, batch_size: int = 30
    ) -> FedExClient:
        settings = FedExSettings(
            client_id=auth.DEMO_FEDEX.client_id,
            client_secret=SecretStr(secret),
            base_url=self.base,
            token_url=self.base + "/oauth/token",
            batch_size=batch_size,
            requests_per_minute=FAST,
        )
        return FedExClient(settings, self.http, transport=self.transport, sleep=self.sleeps, clock=clock or self.clock)

    def calls(self, provider: str, path: str = "") -> list[RequestRecord]:
        return [r for r in self.state.requests if r.provider == provider and r.path.startswith(path)]

    def raw(self) -> httpx.AsyncClient:
        """A plain client on the simulators, for checks of the wire itself."""
        return (
            httpx.AsyncClient(transport=self.transport, base_url=self.base)
            if self.transport
            else httpx.AsyncClient(base_url=self.base)
        )


@pytest.fixture(scope="session")
def carrier_server() -> Iterator[tuple[RunningServer, Delegate]]:
    delegate = Delegate()
    server = start_server(delegate)
    try:
        yield server, delegate
    finally:
        server.stop()


@pytest.fixture(params=["in-process", "socket"])
def world(request: pytest.FixtureRequest) -> World:
    clock = SimClock(START)
    state = CarrierState(clock)
    app = create_app(state)
    if request.param == "socket":
        server, delegate = request.getfixturevalue("carrier_server")
        delegate.app = app
        return World("socket", clock, state, server.url, None)
    return World("in-process", clock, state, "https://carriers.sim.test", httpx.ASGITransport(app=app))


@pytest.fixture
def local_world() -> World:
    """In-process only: for faults that raise transport errors (timeouts, resets) and injected clocks."""
    clock = SimClock(START)
    state = CarrierState(clock)
    return World("in-process", clock, state, "https://carriers.sim.test", httpx.ASGITransport(app=create_app(state)))
