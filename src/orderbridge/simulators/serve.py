"""Serve the simulators on loopback sockets (uvicorn in background threads) for the demo and `sim`.

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
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import uvicorn
from rich.console import Console

from orderbridge.core.clock import SimClock
from orderbridge.simulators.book import DemoBook, seed_demo_book
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
    clock: SimClock
    connectwise: ConnectWiseState
    tdsynnex: TDSynnexState
    cw_server: RunningServer
    tds_server: RunningServer
    book: DemoBook | None

    @property
    def cw_base_url(self) -> str:
        return self.cw_server.url + CW_BASE_PATH

    @property
    def tds_url(self) -> str:
        return self.tds_server.url + TDS_STATUS_PATH


def wall_clock_start(now: datetime | None = None) -> datetime:
    """Today, now, to the minute: where the simulators' clock starts unless a test fixes it."""
    return (now or datetime.now(UTC)).astimezone(UTC).replace(second=0, microsecond=0)


@contextmanager
def running_simulators(
    *,
    host: str = "127.0.0.1",
    cw_port: int = 0,
    tds_port: int = 0,
    seed: bool = True,
    orders: int = 50,
    start: datetime | None = None,
) -> Iterator[SimulatorPair]:
    clock = SimClock(start or wall_clock_start())
    cw_state = ConnectWiseState(clock)
    seed_defaults(cw_state)
    tds_state = TDSynnexState(clock)
    book = seed_demo_book(cw_state, tds_state, clock, orders=orders) if seed else None
    cw_server = start_server(create_cw_app(cw_state), host=host, port=cw_port)
    try:
        tds_server = start_server(create_tds_app(tds_state), host=host, port=tds_port)
    except BaseException:
        cw_server.stop()
        raise
    try:
        yield SimulatorPair(clock, cw_state, tds_state, cw_server, tds_server, book)
    finally:
        tds_server.stop()
        cw_server.stop()


def serve_forever(
    *, host: str, cw_port: int, tds_port: int, seed: bool, out: Console, faults: FaultSpec | None = None
) -> None:
    with running_simulators(host=host, cw_port=cw_port, tds_port=tds_port, seed=seed) as sims:
        if faults is not None:
            apply_fault_spec(faults, sims.connectwise, sims.tdsynnex)
            out.print(f"faults: {faults}")
        out.print(f"ConnectWise simulator: {sims.cw_base_url}  (company demo, keys demopublic / demoprivate)")
        out.print(f"TD SYNNEX simulator:   {sims.tds_url}  (demo@example.com / demo, customer 100001)")
        out.print("Control APIs under /_sim/ on both (reset, seed, clock, faults, requests). Ctrl-C stops.")
        try:
            while sims.cw_server.thread.is_alive() and sims.tds_server.thread.is_alive():
                time.sleep(0.5)
        except KeyboardInterrupt:
            out.print("stopping")
