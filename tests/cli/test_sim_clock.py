"""The simulators run on today's date, so orderbridge on its own wall clock sees a believable book.

Before, `orderbridge sim` started its clock on 2026-01-05 whatever the date: an operator trying it with
`sync` and `report` saw 333 days from PO to accepted and 55 alerts (ship dates "missed 331 days ago").
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console
from test_exit_codes import write_config

from orderbridge.cli import main
from orderbridge.runners.demo import run_demo
from orderbridge.simulators.serve import SimulatorPair, running_simulators, wall_clock_start
from orderbridge.store import Store
from orderbridge.store.alerts import open_alerts

FIXED = datetime(2026, 1, 5, 16, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def sims() -> Iterator[SimulatorPair]:
    with running_simulators(orders=50) as pair:  # no start: as `orderbridge sim` and the demo run them
        yield pair


def test_the_simulated_clock_starts_now_unless_a_test_fixes_it() -> None:
    assert wall_clock_start(datetime(2026, 12, 4, 3, 4, 45, 123, tzinfo=UTC)) == datetime(2026, 12, 4, 3, 4, tzinfo=UTC)
    assert abs(wall_clock_start() - datetime.now(UTC)) < timedelta(minutes=2)
    with running_simulators(seed=False, start=FIXED) as fixed:
        assert fixed.clock.now() == FIXED


def test_sync_on_the_wall_clock_against_the_simulators_reports_real_ages(sims: SimulatorPair, tmp_path: Path) -> None:
    config = str(write_config(tmp_path / "orderbridge.toml", sims))
    runner = CliRunner()
    assert runner.invoke(main, ["--config", config, "setup"], catch_exceptions=False).exit_code == 0
    assert runner.invoke(main, ["--config", config, "sync", "--once"], catch_exceptions=False).exit_code == 0

    report = runner.invoke(main, ["--config", config, "report", "--format", "json"], catch_exceptions=False)
    legs = json.loads(report.stdout)["stage_days"]
    assert 0 <= legs["PO → accepted"]["mean_days"] < 4  # the demo book places orders up to 60 hours back
    store = Store.open(f"sqlite:///{tmp_path / 'ob.db'}")
    try:
        alerts = open_alerts(store, "default")
    finally:
        store.close()
    assert [alert.message for alert in alerts.values()] == []


async def test_the_demo_ends_with_believable_ages_and_alerts() -> None:
    """Every age the demo's operator view shows fits in the time the demo simulated."""
    out = Console(record=True, width=400)
    cycles = 8
    await run_demo(cycles=cycles, orders=30, out=out)
    text = out.export_text()
    view = text.split("what an operator sees now")[1]
    assert "longest in its current stage" in view and "alerts open:" in view
    span_days = 2 * (cycles - 1) + 60 / 24  # DEMO_STEP per cycle, and orders placed up to 60 hours back
    ages = [(int(n), unit) for n, unit in re.findall(r"(\d+) (days?|day\(s\)|hours)", view)]
    assert ages
    for number, unit in ages:
        assert number / (24 if unit == "hours" else 1) <= span_days, (number, unit, view)


async def test_the_demo_closes_pos_on_delivery_and_shows_a_delivery_note() -> None:
    """Carrier tracking is on in the demo: the simulated carriers deliver within its weeks, so some POs
    close on delivery; forwarder references and LTL shipments still close by the grace rule."""
    out = Console(record=True, width=400)
    await run_demo(cycles=8, orders=30, out=out)
    text = out.export_text()
    found = re.search(r"(\d+) POs closed on delivery, (\d+) by the grace rule", text)
    assert found, text[-3000:]
    assert int(found.group(1)) > 0
    note = re.search(r"delivery note: +(Delivered \d{4}-\d\d-\d\d \d\d:\d\d \(America/Chicago\).*packages?)", text)
    assert note, text[-3000:]
    assert "the simulator's request log shows 0 write requests" in text
