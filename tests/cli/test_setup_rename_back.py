"""`orderbridge setup --rename-back` from the command line: a TDS status a person renamed gets its name
back under the same id, and plain `setup` reports the rename without creating a second status."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from test_exit_codes import write_config

from orderbridge.cli import main
from orderbridge.simulators.serve import running_simulators


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, " ".join(result.output.split())


def named(rows: dict[int, dict[str, object]], name: str) -> list[int]:
    return [status_id for status_id, row in rows.items() if row["name"] == name]


def test_setup_reports_a_renamed_status_and_rename_back_restores_it(tmp_path: Path) -> None:
    with running_simulators(orders=2) as sims:
        config = str(write_config(tmp_path / "orderbridge.toml", sims))
        code, out = run("--config", config, "setup")
        assert code == 0, out
        rows = sims.connectwise.statuses.rows
        [shipped] = named(rows, "TDS Shipped")
        rows[shipped]["name"] = "Shipped (TDS)"  # a person's rename in ConnectWise

        code, out = run("--config", config, "setup")
        assert code == 0, out
        assert "now 'Shipped (TDS)'" in out and "--rename-back" in out
        assert named(rows, "TDS Shipped") == [], "plain setup must not create a second 'TDS Shipped'"

        code, out = run("--config", config, "setup", "--rename-back")
        assert code == 0, out
        assert f"renamed status #{shipped} back from 'Shipped (TDS)' to 'TDS Shipped'" in out
        assert named(rows, "TDS Shipped") == [shipped]
