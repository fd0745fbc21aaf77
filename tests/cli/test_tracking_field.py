"""A misspelled [connectwise] tracking_field lists no PO: `sync`, `run` and `doctor` must say so.

Before, a wrong caption gave "POs seen 0" and exit 0, indistinguishable from a quiet day.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_exit_codes import write_config

from orderbridge.cli import main
from orderbridge.simulators.serve import SimulatorPair, running_simulators

MISSPELLED = "Send to TDX"
HINT = "ConnectWise has no PO custom field 'Send to TDX' (it has 'Send to TDS')"


@pytest.fixture(scope="module")
def sims() -> Iterator[SimulatorPair]:
    with running_simulators(orders=4) as pair:
        yield pair


def misspelled_config(tmp_path: Path, sims: SimulatorPair) -> str:
    path = write_config(tmp_path / "orderbridge.toml", sims)
    text = path.read_text(encoding="utf-8").replace(
        'client_id = "cli-test"', f'client_id = "cli-test"\ntracking_field = "{MISSPELLED}"'
    )
    path.write_text(text, encoding="utf-8")
    return str(path)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, " ".join(result.output.split())  # unwrapped, whatever the console width


def test_sync_fails_the_cycle_naming_the_caption_and_its_close_match(sims: SimulatorPair, tmp_path: Path) -> None:
    code, out = run("--config", misspelled_config(tmp_path, sims), "sync", "--once", "--no-progress")
    assert code == 1, out
    assert HINT in out and "set [connectwise] tracking_field" in out


def test_run_fails_the_cycle_and_logs_why(sims: SimulatorPair, tmp_path: Path) -> None:
    code, out = run("--config", misspelled_config(tmp_path, sims), "run", "--cycles", "1")
    assert code == 1, out
    assert HINT in out


def test_doctor_reports_it_as_a_problem(sims: SimulatorPair, tmp_path: Path) -> None:
    code, out = run("--config", misspelled_config(tmp_path, sims), "doctor")
    assert code == 1, out
    assert HINT in out
