"""`orderbridge doctor`, `replay` and `backfill` through Click, against the simulators over sockets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from orderbridge.cli import main
from orderbridge.simulators.serve import SimulatorPair, running_simulators


@pytest.fixture(scope="module")
def sims() -> Iterator[SimulatorPair]:
    with running_simulators(orders=6) as pair:
        yield pair


def write_config(path: Path, sims: SimulatorPair, *, password: str = "demo") -> str:  # noqa: S107 (demo login)
    path.write_text(
        f"""
[connectwise]
base_url = "{sims.cw_base_url}"
company = "demo"
public_key = "demopublic"
private_key = "demoprivate"
client_id = "doctor-cli"

[tdsynnex]
url = "{sims.tds_url}"
invoice_url = "{sims.tds_server.url}/webservice/invoice/query"
user_id = "demo@example.com"
password = "{password}"
customer_number = "100001"

[http]
allow_insecure_loopback = true
backoff_base_s = 0.01
max_attempts = 1

[store]
url = "sqlite:///{path.parent / "ob.db"}"
""",
        encoding="utf-8",
    )
    return str(path)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_doctor_exit_codes_po_story_raw_answer_replay_and_backfill(sims: SimulatorPair, tmp_path: Path) -> None:
    config = write_config(tmp_path / "orderbridge.toml", sims)
    assert run("--config", config, "setup")[0] == 0
    code, out = run("--config", config, "sync", "--once", "--no-progress")
    assert code == 0, out

    code, out = run("--config", config, "doctor")
    # The demo book holds one PO TD SYNNEX does not know: the only problem, and it fails the check.
    assert code == 1, out
    assert [line for line in out.splitlines() if line.startswith("FAIL")] == [
        "FAIL  the last cycle (" + out.split("the last cycle (")[1].split(")")[0] + ") failed on 1 PO(s)"
    ], out
    assert "notFound" in out and "TD SYNNEX accepted the login" in out and "1 problem(s) found" in out

    po_number = next(r["poNumber"] for r in sims.connectwise.purchase_orders.scan())
    code, out = run("--config", config, "doctor", po_number, "--raw")
    assert f"looked up by PO number {po_number!r}" in out
    assert "TD SYNNEX's last raw answer" in out and "<OrderStatusResponse" in out
    assert "<Password>" not in out

    code, out = run("--config", config, "replay", "--since", "2000-01-01", "--dry-run")
    assert code == 0, out
    assert "ConnectWise writes 0" in out

    code, out = run("--config", config, "backfill", "--since", "2000-01-01")
    assert code == 0, out
    assert "no notifications sent" in out

    bad = write_config(tmp_path / "bad.toml", sims, password="not-the-password")
    code, out = run("--config", bad, "doctor")
    assert code == 1
    assert "TD SYNNEX refused the login" in out and "fix:" in out and "not-the-password" not in out


def test_doctor_reports_a_config_that_does_not_load(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[connectwise]\ncompany = 'x'\n", encoding="utf-8")
    code, out = run("--config", str(path), "doctor")
    assert code == 2
    assert "the configuration does not load" in out and "fix:" in out


def test_doctor_of_healthy_demo_pos_is_all_ok_and_a_misspelt_one_gets_suggestions(
    sims: SimulatorPair, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "orderbridge.toml", sims)
    assert run("--config", config, "setup")[0] == 0
    assert run("--config", config, "sync", "--once", "--no-progress")[0] == 0
    # The demo book numbers its POs PO-1001, PO-1002, ...: every one looks like its neighbours.
    healthy = [n for n in sims.book.po_numbers if n not in sims.book.scenarios] if sims.book else []
    assert len(healthy) >= 2
    for po_number in healthy:
        code, out = run("--config", config, "doctor", po_number)
        assert code == 0 and "FAIL" not in out and "similar" not in out, out
    code, out = run("--config", config, "doctor", healthy[0].replace("-", ""))
    assert code == 1
    assert f"did you mean one of {healthy[0]!r}" in out, out


def test_doctor_before_setup_says_to_run_setup_not_that_the_schema_is_broken(
    sims: SimulatorPair, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "orderbridge.toml", sims)
    code, out = run("--config", config, "doctor")
    assert code == 1
    assert "the store is new: nothing has run against it yet" in out, out
    assert "run `orderbridge setup`" in out
    assert "revision None" not in out and "was not migrated" not in out
    code, out = run("--config", config, "doctor", "PO-1001")
    assert "the store is new" in out and "revision None" not in out, out
