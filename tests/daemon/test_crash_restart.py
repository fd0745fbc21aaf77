"""SIGKILL `orderbridge run` at several points of a cycle, restart it, and compare with a run that never crashed.

The simulators serve real sockets in this process; the daemon is a real subprocess with a config file,
so the kill is a real `SIGKILL` (no `finally`, no flush). Time at TD SYNNEX is simulated and only this
test moves it, so both runs see exactly the same distributor answers. The invariants (DESIGN.md §6,
G1-G3): the final ConnectWise state is identical, no note is written twice, and the store holds the same
stage changes as the run without crashes.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from orderbridge.config import load_settings
from orderbridge.runners.setup import run_setup
from orderbridge.simulators.serve import SimulatorPair, running_simulators
from orderbridge.store import Store
from orderbridge.sync.tenant import open_tenant

ORDERS = 30
PHASE_TWO = timedelta(days=2)  # enough for most of the book to ship and some of it to be invoiced
ORDERBRIDGE = str(Path(sys.executable).parent / "orderbridge")
DEADLINE_S = 20.0

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def write_config(sims: SimulatorPair, folder: Path) -> Path:
    path = folder / "orderbridge.toml"
    path.write_text(
        f"""
[connectwise]
company = "demo"
public_key = "demopublic"
private_key = "demoprivate"
client_id = "00000000-0000-4000-8000-000000000000"
base_url = "{sims.cw_base_url}"
page_size = 10          # several pages per listing, so a kill can land mid-listing
requests_per_minute = 60000

[tdsynnex]
user_id = "demo@example.com"
password = "demo"
customer_number = "100001"
url = "{sims.tds_url}"
invoice_url = ""
requests_per_minute = 60000

[http]
allow_insecure_loopback = true
backoff_base_s = 0.01

[schedule]              # every PO is due again almost at once: each cycle re-checks the whole book
new_minutes = 0.001
accepted_minutes = 0.001
released_minutes = 0.001
shipped_minutes = 0.001
invoiced_minutes = 0.001
closed_minutes = 0.001
jitter = 0

[daemon]
discovery_minutes = 0.005
min_sleep_s = 0
stop_deadline_s = 5

[store]
url = "sqlite:///{folder / "orderbridge.db"}"
""",
        encoding="utf-8",
    )
    return path


def run_daemon(config: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [ORDERBRIDGE, "--config", str(config), "run", *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def converge(config: Path, cycles: int = 2) -> None:
    process = run_daemon(config, "--cycles", str(cycles))
    output, _ = process.communicate(timeout=DEADLINE_S * 2)
    assert process.returncode == 0, output.decode(errors="replace")


def kill_when(process: subprocess.Popen[bytes], condition: Callable[[], bool]) -> bool:
    """SIGKILL as soon as `condition` holds; False if the daemon went idle or died first."""
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline and process.poll() is None:
        if condition():
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            return True
        time.sleep(0.001)
    process.kill()
    process.wait(timeout=10)
    return False


def prepare(sims: SimulatorPair, folder: Path) -> Path:
    """Statuses created, the book synced once at its start; then TD SYNNEX moves on two days."""
    config = write_config(sims, folder)
    settings = load_settings(config)

    async def setup() -> None:
        async with open_tenant(settings) as tenant:
            await run_setup(settings, tenant.connectwise)

    asyncio.run(setup())
    converge(config, cycles=1)
    # TD SYNNEX answers a little slowly, so a cycle lasts long enough to be interrupted at a chosen point.
    sims.tdsynnex.faults.add("slow", seconds=0.01)
    sims.clock.advance(PHASE_TWO)
    return config


def strip_info(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: strip_info(item) for key, item in value.items() if key != "_info"}
    if isinstance(value, list):
        return [strip_info(item) for item in value]
    return value


def differences(expected: Any, actual: Any, where: str = "") -> list[str]:
    """Field-level differences, so a failure says which PO and field a crash changed."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = []
        for key in sorted(set(expected) | set(actual), key=str):
            found += differences(expected.get(key), actual.get(key), f"{where}/{key}")
        return found
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [
            line
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for line in differences(e, a, f"{where}[{i}]")
        ]
    return [] if expected == actual else [f"{where}: expected {expected!r}, got {actual!r}"]


def connectwise_state(sims: SimulatorPair) -> dict[str, Any]:
    cw = sims.connectwise
    state = {}
    for record in cw.purchase_orders.scan():
        po_id = record["id"]
        state[record["poNumber"]] = {
            # poDate is the simulator's creation stamp on its running clock (today, to the minute), not
            # ours: the two books are seeded minutes apart, and crossing a minute failed the comparison.
            "po": {k: v for k, v in strip_info(cw.get_purchase_order(po_id)).items() if k != "poDate"},
            "lines": strip_info(cw.line_items(po_id)),
            "notes": sorted(note["text"] for note in cw.notes(po_id)),
        }
    return state


def stage_changes(folder: Path) -> set[tuple[int, str]]:
    with Store.open(f"sqlite:///{folder / 'orderbridge.db'}") as store:
        ids = sorted(store.load_tracked("default", range(1000, 1000 + ORDERS + 10)))
        return {
            (po_id, event.key)
            for po_id in ids
            for event in store.events_for("default", po_id)
            if event.kind == "stage_changed"
        }


def cw_writes(sims: SimulatorPair) -> int:
    return len(sims.connectwise.request_log.writes())


def listing_pages(sims: SimulatorPair) -> int:
    return sum(
        1
        for entry in sims.connectwise.request_log.matching("GET", "/procurement/purchaseorders")
        if entry.resource.rstrip("/") == "/procurement/purchaseorders"
        and "pageId" in entry.query
        and "fields" not in entry.query  # the light listing of PO numbers (sync/duplicates.py)
    )


@pytest.fixture(scope="module")
def without_crash(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], set[tuple[int, str]], int]:
    folder = tmp_path_factory.mktemp("no-crash")
    with running_simulators(orders=ORDERS) as sims:
        config = prepare(sims, folder)
        before = cw_writes(sims)
        converge(config)
        return connectwise_state(sims), stage_changes(folder), cw_writes(sims) - before


def test_the_book_has_work_left_after_phase_one(
    without_crash: tuple[dict[str, Any], set[tuple[int, str]], int],
) -> None:
    state, changes, writes = without_crash
    assert writes >= 10, "phase two must write enough for the kills to land mid-cycle"
    statuses = Counter(entry["po"]["status"]["name"] for entry in state.values())
    assert statuses["TDS Shipped"] + statuses["TDS Invoiced"] >= 5, statuses
    assert len(changes) >= ORDERS


@pytest.fixture(scope="module")
def with_crashes(tmp_path_factory: pytest.TempPathFactory, without_crash: tuple[Any, Any, int]) -> tuple[Any, Any, int]:
    """The same book and phases, with the daemon SIGKILLed four times during phase two."""
    folder = tmp_path_factory.mktemp("crashes")
    expected_writes = without_crash[2]
    with running_simulators(orders=ORDERS) as sims:
        config = prepare(sims, folder)
        start = cw_writes(sims)
        kills = 0

        def after_writes(count: int) -> Callable[[], bool]:
            return lambda: cw_writes(sims) - start >= count

        pages_at_start = listing_pages(sims)
        plan = [
            after_writes(1),  # the first write of the cycle has landed, its record not yet saved
            after_writes(expected_writes // 3),
            lambda: listing_pages(sims) > pages_at_start,  # mid-listing: a later page was just served
            after_writes(2 * expected_writes // 3),
        ]
        for condition in plan:
            pages_at_start = listing_pages(sims)
            kills += kill_when(run_daemon(config), condition)
        converge(config)
        return connectwise_state(sims), stage_changes(folder), kills


def test_sigkill_at_several_points_then_restart_ends_as_if_nothing_crashed(
    without_crash: tuple[Any, Any, int], with_crashes: tuple[Any, Any, int]
) -> None:
    expected_state, expected_changes, _ = without_crash
    state, changes, kills = with_crashes
    assert kills >= 3, "the kills must land while there is work in flight"
    changed = differences(expected_state, state)
    assert not changed, "\n".join(changed)
    for po_number, entry in state.items():
        assert len(entry["notes"]) == len(set(entry["notes"])), f"{po_number} has a duplicate note"
    assert changes == expected_changes, "a stage change was lost or invented"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_sigterm_stops_the_daemon_with_exit_0_and_metrics_are_served(tmp_path: Path) -> None:
    with running_simulators(orders=5) as sims:
        config = write_config(sims, tmp_path)
        settings = load_settings(config)

        async def setup() -> None:
            async with open_tenant(settings) as tenant:
                await run_setup(settings, tenant.connectwise)

        asyncio.run(setup())
        port = free_port()
        process = run_daemon(config, "--metrics-port", str(port))
        try:
            health: dict[str, Any] = {}
            deadline = time.monotonic() + DEADLINE_S
            while time.monotonic() < deadline and not health.get("tenants", {}).get("default", {}).get("cycles"):
                try:
                    health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).json()
                except httpx.HTTPError:
                    time.sleep(0.05)
            assert health["status"] == "ok", health
            scraped = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
            assert 'orderbridge_cycles_total{outcome="ok",tenant="default"}' in scraped
            assert "demoprivate" not in scraped
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=DEADLINE_S)
        assert process.returncode == 0, output.decode(errors="replace")
        assert b"demoprivate" not in output and b"Traceback" not in output
