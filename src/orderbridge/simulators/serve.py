"""Serve the simulators on loopback sockets (uvicorn in background threads) for the demo and `sim`:
ConnectWise, TD SYNNEX, and the carrier-tracking providers (EasyPost, UPS, FedEx on one port).

Real sockets, not in-process transports, so the demo exercises exactly the path production uses and
an operator can point any ConnectWise client or a browser at the simulators while they run.

Simulated time starts at the real current time (to the minute), so an orderbridge pointed at them
on its own wall clock sees orders placed hours ago, not months ago: stage ages and alerts are real.
Tests pass `start` for a fixed date.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import uvicorn
from rich.console import Console

from orderbridge.core.clock import SimClock
from orderbridge.simulators.book import DemoBook, seed_demo_book
from orderbridge.simulators.carriers import auth as carrier_auth
from orderbridge.simulators.carriers.app import create_app as create_carriers_app
from orderbridge.simulators.carriers.state import CarrierState
from orderbridge.simulators.connectwise.app import create_app as create_cw_app
from orderbridge.simulators.connectwise.seed import seed_defaults
from orderbridge.simulators.connectwise.state import ConnectWiseState
from orderbridge.simulators.fault_spec import FaultSpec, apply_fault_spec
from orderbridge.simulators.tdsynnex.app import create_app as create_tds_app
from orderbridge.simulators.tdsynnex.state import TDSynnexState

CW_BASE_PATH = "/v4_6_release/apis/3.0"
TDS_STATUS_PATH = "/SynnexXML/POStatus"


@dataclass
class RunningServer:
    server: uvicorn.Server
    thread: threading.Thread
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start_server(app: Any, *, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Start uvicorn in a thread; port 0 picks a free one. Returns once it accepts connections."""
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"sim-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive():
            raise OSError(f"simulator could not listen on {host}:{port} (is the port in use?)")
        if time.monotonic() > deadline:
            raise OSError(f"simulator on {host}:{port} did not start within 15 s")
        time.sleep(0.02)
    bound = server.servers[0].sockets[0].getsockname()[1]
    return RunningServer(server=server, thread=thread, host=host, port=int(bound))


@dataclass
class SimulatorPair:
    """The running simulators (ConnectWise, TD SYNNEX and the carrier-tracking providers) on one clock."""

    clock: SimClock
    connectwise: ConnectWiseState
    tdsynnex: TDSynnexState
    cw_server: RunningServer
    tds_server: RunningServer
    book: DemoBook | None
    carriers: CarrierState
    carriers_server: RunningServer

    @property
    def cw_base_url(self) -> str:
        return self.cw_server.url + CW_BASE_PATH

    @property
    def tds_url(self) -> str:
        return self.tds_server.url + TDS_STATUS_PATH

    @property
    def carriers_url(self) -> str:
        return self.carriers_server.url

    def carrier_settings(self) -> dict[str, Any]:
        """A `[carriers]` table for the simulator (every provider, demo credentials), switched off: the
        caller sets `enabled`. Needs `[http] allow_insecure_loopback = true`, as the other simulators do."""
        return carriers_demo_table(self.carriers_url)


def carriers_demo_table(url: str, *, enabled: bool = False) -> dict[str, Any]:
    return {
        "enabled": enabled,
        "route": {"UPS": "ups", "FedEx": "fedex", "USPS": "easypost", "DHL": "easypost"},
        "easypost": {
            "api_key": carrier_auth.DEMO_EASYPOST_KEY.key,
            "base_url": url + "/v2",
            "webhook_secret": carrier_auth.DEMO_WEBHOOK_SECRET,
            "requests_per_minute": 60000,
        },
        "ups": {
            "client_id": carrier_auth.DEMO_UPS.client_id,
            "client_secret": carrier_auth.DEMO_UPS.client_secret,
            "base_url": url + "/api",
            "token_url": url + "/security/v1/oauth/token",
            "requests_per_minute": 60000,
        },
        "fedex": {
            "client_id": carrier_auth.DEMO_FEDEX.client_id,
            "client_secret": carrier_auth.DEMO_FEDEX.client_secret,
            "base_url": url,
            "token_url": url + "/oauth/token",
            "requests_per_minute": 60000,
        },
    }


def wall_clock_start(now: datetime | None = None) -> datetime:
    """Today, now, to the minute: where the simulators' clock starts unless a test fixes it."""
    return (now or datetime.now(UTC)).astimezone(UTC).replace(second=0, microsecond=0)


@contextmanager
def running_simulators(
    *,
    host: str = "127.0.0.1",
    cw_port: int = 0,
    tds_port: int = 0,
    carriers_port: int = 0,
    seed: bool = True,
    orders: int = 50,
    start: datetime | None = None,
) -> Iterator[SimulatorPair]:
    clock = SimClock(start or wall_clock_start())
    cw_state = ConnectWiseState(clock)
    seed_defaults(cw_state)
    tds_state = TDSynnexState(clock)
    book = seed_demo_book(cw_state, tds_state, clock, orders=orders) if seed else None
    # The carriers follow the packages TD SYNNEX ships, through its read-only lookup, on the same clock.
    carrier_state = CarrierState(clock, packages=tds_state.shipped_parcel)
    with ExitStack() as servers:
        cw_server = start_server(create_cw_app(cw_state), host=host, port=cw_port)
        servers.callback(cw_server.stop)
        tds_server = start_server(create_tds_app(tds_state), host=host, port=tds_port)
        servers.callback(tds_server.stop)
        carriers_server = start_server(create_carriers_app(carrier_state), host=host, port=carriers_port)
        servers.callback(carriers_server.stop)
        yield SimulatorPair(clock, cw_state, tds_state, cw_server, tds_server, book, carrier_state, carriers_server)


def serve_forever(
    *,
    host: str,
    cw_port: int,
    tds_port: int,
    seed: bool,
    out: Console,
    faults: FaultSpec | None = None,
    carriers_port: int = 8473,
) -> None:
    with running_simulators(
        host=host, cw_port=cw_port, tds_port=tds_port, carriers_port=carriers_port, seed=seed
    ) as sims:
        if faults is not None:
            apply_fault_spec(faults, sims.connectwise, sims.tdsynnex)
            out.print(f"faults: {faults}")
        out.print(f"ConnectWise simulator: {sims.cw_base_url}  (company demo, keys demopublic / demoprivate)")
        out.print(f"TD SYNNEX simulator:   {sims.tds_url}  (demo@example.com / demo, customer 100001)")
        url = sims.carriers_url
        out.print(f"Carrier simulators:    {url}  (EasyPost, UPS and FedEx; they follow TD SYNNEX's packages)")
        out.print(
            f"  EasyPost {url}/v2  api key {carrier_auth.DEMO_EASYPOST_KEY.key} "
            f"(test key {carrier_auth.DEMO_EASYPOST_TEST_KEY.key}), webhook secret {carrier_auth.DEMO_WEBHOOK_SECRET}"
        )
        out.print(
            f"  UPS      {url}/api  token {url}/security/v1/oauth/token  "
            f"{carrier_auth.DEMO_UPS.client_id} / {carrier_auth.DEMO_UPS.client_secret}"
        )
        out.print(
            f"  FedEx    {url}  token {url}/oauth/token  "
            f"{carrier_auth.DEMO_FEDEX.client_id} / {carrier_auth.DEMO_FEDEX.client_secret}"
        )
        out.print("Control APIs under /_sim/ on all three (reset, seed, clock, faults, requests). Ctrl-C stops.")
        try:
            running = (sims.cw_server, sims.tds_server, sims.carriers_server)
            while all(server.thread.is_alive() for server in running):
                time.sleep(0.5)
        except KeyboardInterrupt:
            out.print("stopping")
