"""Real `orderbridge sync --once` processes on one tenant at once: one syncs, the others are refused
with one line and exit 75, and no ConnectWise note is written twice (SQLite and PostgreSQL stores).

The simulators serve sockets in this process; TD SYNNEX sits behind a gate that holds every question
while it is closed, so the first process is provably mid-cycle (holding the tenant) while the others
start, however slowly the machine starts them. A SIGKILLed holder is replaced at once by the next run.
Every other command that writes to ConnectWise (setup, replay, backfill) is refused the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from orderbridge.cli import main
from orderbridge.config import LeaseSettings, load_settings
from orderbridge.core.clock import SimClock
from orderbridge.runners.setup import run_setup
from orderbridge.runners.writer import WriterLease
from orderbridge.simulators.book import seed_demo_book
from orderbridge.simulators.connectwise.app import create_app as create_cw_app
from orderbridge.simulators.connectwise.seed import seed_defaults
from orderbridge.simulators.connectwise.state import ConnectWiseState
from orderbridge.simulators.serve import CW_BASE_PATH, TDS_STATUS_PATH, RunningServer, start_server
from orderbridge.simulators.tdsynnex.app import create_app as create_tds_app
from orderbridge.simulators.tdsynnex.state import TDSynnexState
from orderbridge.store import Store
from orderbridge.sync.tenant import open_tenant

ORDERBRIDGE = str(Path(sys.executable).parent / "orderbridge")
EXIT_BUSY = 75
WAIT_S = 60.0
BUSY_LINE = re.compile(
    r"^busy: tenant default is being synced by (orderbridge [a-z -]+) \(pid (\d+) on [^)]+\) since "
    r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC; try again later$"
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


class Gate:
    """ASGI middleware: while closed, every request waits (counted) before reaching the app."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.opened = threading.Event()
        self.waiting = 0
        self._lock = threading.Lock()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not self.opened.is_set():
            with self._lock:
                self.waiting += 1
            while not self.opened.is_set():
                await asyncio.sleep(0.01)
        await self.app(scope, receive, send)


@dataclass
class Sims:
    cw: ConnectWiseState
    gate: Gate
    cw_server: RunningServer
    tds_server: RunningServer


@contextmanager
def gated_simulators(orders: int = 12) -> Iterator[Sims]:
    clock = SimClock()
    cw, tds = ConnectWiseState(clock), TDSynnexState(clock)
    seed_defaults(cw)
    seed_demo_book(cw, tds, clock, orders=orders)
    gate = Gate(create_tds_app(tds))
    gate.opened.set()
    cw_server = start_server(create_cw_app(cw))
    try:
        tds_server = start_server(gate)
    except BaseException:
        cw_server.stop()
        raise
    try:
        yield Sims(cw, gate, cw_server, tds_server)
    finally:
        gate.opened.set()
        tds_server.stop()
        cw_server.stop()


def prepare(sims: Sims, folder: Path, store_url: str) -> Path:
    path = folder / "orderbridge.toml"
    path.write_text(
        f"""
[connectwise]
company = "demo"
public_key = "demopublic"
private_key = "demoprivate"
client_id = "00000000-0000-4000-8000-000000000000"
base_url = "{sims.cw_server.url + CW_BASE_PATH}"
requests_per_minute = 60000

[tdsynnex]
user_id = "demo@example.com"
password = "demo"
customer_number = "100001"
url = "{sims.tds_server.url + TDS_STATUS_PATH}"
invoice_url = ""
requests_per_minute = 60000

[http]
allow_insecure_loopback = true
backoff_base_s = 0.01
timeout_s = 120          # the gate holds questions while the other processes start

[store]
url = "{store_url}"

[display]
expat_warning = false    # the refusal is asserted to be the only line on stderr
""",
        encoding="utf-8",
    )
    settings = load_settings(path)

    async def setup() -> None:
        async with open_tenant(settings) as tenant:
            await run_setup(settings, tenant.connectwise)

    asyncio.run(setup())
    return path


def start_sync(config: Path, *command: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [ORDERBRIDGE, "--config", str(config), *(command or ("sync", "--once", "--no-progress"))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until(condition: Any, seconds: float = WAIT_S) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def duplicate_notes(cw: ConnectWiseState) -> int:
    duplicates = 0
    for record in cw.purchase_orders.scan():
        texts = Counter(note.get("text") for note in cw.notes(record["id"]))
        duplicates += sum(count - 1 for count in texts.values())
    return duplicates


def note_count(cw: ConnectWiseState) -> int:
    return sum(len(cw.notes(record["id"])) for record in cw.purchase_orders.scan())


def busy_lines(stderr: str) -> list[re.Match[str]]:
    """The refusal: one line (the config silences the old-expat notice some Pythons would print)."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line, got: {stderr!r}"
    match = BUSY_LINE.match(lines[0])
    assert match is not None, lines[0]
    return [match]


def test_a_second_sync_once_while_one_runs_exits_75_with_one_line_and_no_note_is_doubled(
    store_url: str, tmp_path: Path
) -> None:
    with gated_simulators() as sims:
        config = prepare(sims, tmp_path, store_url)
        sims.gate.opened.clear()
        first = start_sync(config)
        second: subprocess.Popen[str] | None = None
        try:
            assert wait_until(lambda: sims.gate.waiting > 0), "the first sync never asked TD SYNNEX"
            second = start_sync(config)  # the first is mid-cycle: it holds the tenant
            # If it does not stop, it is syncing too (the bug): let both finish, then count the damage.
            with contextlib.suppress(subprocess.TimeoutExpired):
                second.wait(timeout=WAIT_S)
            sims.gate.opened.set()
            out_second, err_second = second.communicate(timeout=WAIT_S)
            out_first, err_first = first.communicate(timeout=WAIT_S)
        finally:
            sims.gate.opened.set()
            for process in (first, second):
                if process is not None and process.poll() is None:
                    process.kill()
                    process.wait()
        assert first.returncode == 0, out_first + err_first
        assert duplicate_notes(sims.cw) == 0
        assert note_count(sims.cw) > 0
        assert second.returncode == EXIT_BUSY, out_second + err_second
        (match,) = busy_lines(err_second)
        assert match.group(1) == "orderbridge sync --once" and int(match.group(2)) == first.pid
        assert out_second == ""


def test_four_sync_once_at_once_one_syncs_three_are_refused(store_url: str, tmp_path: Path) -> None:
    with gated_simulators() as sims:
        config = prepare(sims, tmp_path, store_url)
        sims.gate.opened.clear()
        processes = [start_sync(config) for _ in range(4)]
        try:
            # Whoever holds the tenant waits at the gate; the others should give up meanwhile.
            wait_until(lambda: sum(p.poll() is not None for p in processes) >= 3)
            sims.gate.opened.set()
            results = [(p.returncode, *p.communicate(timeout=WAIT_S)) for p in processes]
        finally:
            sims.gate.opened.set()
            for process in processes:
                if process.poll() is None:
                    process.kill()
                    process.wait()
        codes = sorted(p.returncode for p in processes)
        assert duplicate_notes(sims.cw) == 0
        assert codes == [0, EXIT_BUSY, EXIT_BUSY, EXIT_BUSY], results
        for code, _out, err in results:
            if code == EXIT_BUSY:
                busy_lines(err)


def test_a_sync_once_killed_mid_cycle_does_not_lock_the_tenant_out(store_url: str, tmp_path: Path) -> None:
    with gated_simulators() as sims:
        config = prepare(sims, tmp_path, store_url)
        sims.gate.opened.clear()
        killed = start_sync(config)
        try:
            assert wait_until(lambda: sims.gate.waiting > 0)
            killed.send_signal(signal.SIGKILL)  # no `finally`: its lease stays in the store
            killed.wait(timeout=WAIT_S)
        finally:
            sims.gate.opened.set()
        again = start_sync(config)  # at once, well within the lease's 120 s
        out, err = again.communicate(timeout=WAIT_S * 2)
        assert again.returncode == 0, out + err
        assert duplicate_notes(sims.cw) == 0


def test_a_cron_sync_once_while_the_daemon_syncs_the_tenant_is_refused(store_url: str, tmp_path: Path) -> None:
    with gated_simulators() as sims:
        config = prepare(sims, tmp_path, store_url)
        sims.gate.opened.clear()
        daemon = start_sync(config, "run", "--cycles", "1")
        cron: subprocess.Popen[str] | None = None
        try:
            assert wait_until(lambda: sims.gate.waiting > 0), "the daemon never asked TD SYNNEX"
            cron = start_sync(config)
            with contextlib.suppress(subprocess.TimeoutExpired):
                cron.wait(timeout=WAIT_S)
            sims.gate.opened.set()
            _, err_cron = cron.communicate(timeout=WAIT_S)
            out_daemon, err_daemon = daemon.communicate(timeout=WAIT_S)
        finally:
            sims.gate.opened.set()
            for process in (daemon, cron):
                if process is not None and process.poll() is None:
                    process.kill()
                    process.wait()
        assert daemon.returncode == 0, out_daemon + err_daemon
        assert duplicate_notes(sims.cw) == 0
        assert cron.returncode == EXIT_BUSY, err_cron
        (match,) = busy_lines(err_cron)
        assert match.group(1) == "orderbridge run" and int(match.group(2)) == daemon.pid


@pytest.mark.parametrize(
    "command",
    [
        ("sync", "--once", "--no-progress"),
        ("setup",),
        ("replay", "--since", "2020-01-01"),
        ("backfill", "--since", "2020-01-01"),
    ],
)
def test_every_command_that_writes_to_connectwise_waits_its_turn(
    command: tuple[str, ...], store_url: str, tmp_path: Path
) -> None:
    with gated_simulators(orders=3) as sims:
        config = prepare(sims, tmp_path, store_url)
        writes = len(sims.cw.request_log.writes())
        with Store.open(store_url) as store:
            other = WriterLease(store, "default", LeaseSettings(), role="orderbridge run")
            asyncio.run(other.acquire())
            result = CliRunner().invoke(main, ["--config", str(config), *command])
            assert result.exit_code == EXIT_BUSY, result.output
            assert "busy: tenant default is being synced by orderbridge run (pid" in result.output
            assert len(sims.cw.request_log.writes()) == writes
            if command[0] in ("sync", "setup"):  # a dry run writes nothing, so it needs no turn
                dry = CliRunner().invoke(main, ["--config", str(config), *command, "--dry-run"])
                assert dry.exit_code == 0, dry.output
            other.release()
        result = CliRunner().invoke(main, ["--config", str(config), *command])
        assert result.exit_code == 0, result.output
