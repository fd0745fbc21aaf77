"""The command line over real sockets: simulators in uvicorn threads, orderbridge through Click."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from orderbridge.cli import main
from orderbridge.simulators.serve import SimulatorPair, running_simulators


@pytest.fixture(scope="module")
def sims() -> Iterator[SimulatorPair]:
    with running_simulators(orders=12) as pair:
        yield pair


def write_config(path: Path, sims: SimulatorPair, store_url: str) -> Path:
    path.write_text(
        f"""
[connectwise]
base_url = "{sims.cw_base_url}"
company = "demo"
public_key = "demopublic"
private_key = "demoprivate"
client_id = "cli-test"

[tdsynnex]
url = "{sims.tds_url}"
user_id = "demo@example.com"
password = "demo"
customer_number = "100001"

[http]
allow_insecure_loopback = true
backoff_base_s = 0.01

[store]
url = "{store_url}"
""",
        encoding="utf-8",
    )
    return path


def run(*args: str, stdout_only: bool = False) -> tuple[int, str]:
    """Exit code and what was printed; machine-readable output is read from stdout alone (warnings go
    to stderr)."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout if stdout_only else result.output


def test_setup_sync_and_log_against_the_simulators(sims: SimulatorPair, tmp_path: Path) -> None:
    config = str(write_config(tmp_path / "orderbridge.toml", sims, f"sqlite:///{tmp_path / 'ob.db'}"))

    code, out = run("--config", config, "setup")
    assert code == 0, out
    assert "TDS Accepted" in out and "custom field 'Send to TDS' found" in out
    code, again = run("--config", config, "setup")
    assert code == 0 and "created" not in again and "already exists" in again
    code, out = run("--config", config, "setup", "--callbacks", "https://orderbridge.example.com")
    assert code == 0, out
    assert "purchase-order callback registered" in out
    code, out = run("--config", config, "setup", "--callbacks", "https://orderbridge.example.com")
    assert "already registered" in out

    writes_before = len(sims.connectwise.request_log.writes())
    code, out = run("--config", config, "sync", "--once", "--dry-run", "--no-progress")
    assert code == 0, out
    assert "Planned changes" in out and "status" in out
    assert len(sims.connectwise.request_log.writes()) == writes_before

    code, out = run("--config", config, "sync", "--once", "--no-progress", "--json", stdout_only=True)
    assert code == 0, out
    summary = json.loads(out)
    assert summary["seen"] == summary["changed"] + summary["unchanged"] + summary["failed"]
    assert summary["changed"] > 0 and summary["writes"] > 0

    code, out = run("--config", config, "log", "--format", "csv", "--action", "write", stdout_only=True)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and {row["action"] for row in rows} == {"write"}
    assert any(row["field"] == "status" for row in rows)

    code, out = run("--config", config, "log", "--format", "json", "--po", rows[0]["po_number"], stdout_only=True)
    entries = json.loads(out)
    assert entries and {entry["po_number"] for entry in entries} == {rows[0]["po_number"]}

    code, out = run("--config", config, "show", rows[0]["po_number"])
    assert code == 0, out
    assert "Timeline of" in out and "wrote" in out and "stage" in out
    code, out = run("--config", config, "show", "PO-NOPE")
    assert code != 0 and "nothing recorded" in out


def test_bad_config_names_the_key_and_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[connectwise]\ncompany = "x"\n[tdsynnex]\nurl = "http://ec.synnex.com/x"\n', encoding="utf-8")
    code, out = run("--config", str(config), "sync", "--once")
    assert code == 2
    assert "connectwise.public_key" in out and "ORDERBRIDGE_CONNECTWISE__PUBLIC_KEY" in out


def test_wrong_credentials_stop_the_cycle_with_a_clear_message(sims: SimulatorPair, tmp_path: Path) -> None:
    config = write_config(tmp_path / "orderbridge.toml", sims, f"sqlite:///{tmp_path / 'ob.db'}")
    config.write_text(config.read_text().replace('private_key = "demoprivate"', 'private_key = "wrong-key-123"'))
    code, out = run("--config", str(config), "sync", "--once", "--no-progress")
    assert code == 1
    assert "ConnectWise" in out or "connectwise" in out
    assert "wrong-key-123" not in out


def test_demo_runs_the_whole_loop_and_ends_with_a_cycle_that_writes_nothing() -> None:
    code, out = run("demo", "--orders", "15", "--cycles", "5", stdout_only=True)
    assert code == 0, out
    assert "TDS Accepted" in out and "TDS Shipped" in out
    assert "nothing new at TD SYNNEX" in out and "the simulator's request log shows 0 write requests" in out


EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"


def uncomment_tenants(text: str) -> str:
    """config.example.toml with its commented `[tenants.*]` example switched on, as an operator would."""
    lines, inside = [], False
    for line in text.splitlines():
        inside = inside or line.startswith("# [tenants.")
        if inside and not line.strip():
            inside = False
        lines.append(line[2:] if inside else line)
    return "\n".join(lines) + "\n"


def test_sync_once_runs_every_tenant_of_the_multi_tenant_example(sims: SimulatorPair, tmp_path: Path) -> None:
    config = tmp_path / "orderbridge.toml"
    config.write_text(uncomment_tenants(EXAMPLE.read_text(encoding="utf-8")), encoding="utf-8")
    env = {
        "ORDERBRIDGE_HTTP__ALLOW_INSECURE_LOOPBACK": "true",
        "ORDERBRIDGE_STORE__URL": f"sqlite:///{tmp_path / 'm.db'}",
    }
    for name in ("ACME", "GLOBEX"):  # each tenant's endpoints and secrets from its own variables
        prefix = f"ORDERBRIDGE_TENANTS__{name}__"
        env |= {
            prefix + "CONNECTWISE__BASE_URL": sims.cw_base_url,
            prefix + "CONNECTWISE__COMPANY": "demo",
            prefix + "CONNECTWISE__PUBLIC_KEY": "demopublic",
            prefix + "CONNECTWISE__PRIVATE_KEY": "demoprivate",
            prefix + "TDSYNNEX__URL": sims.tds_url,
            prefix + "TDSYNNEX__INVOICE_URL": sims.tds_server.url + "/webservice/invoice/query",
            prefix + "TDSYNNEX__USER_ID": "demo@example.com",
            prefix + "TDSYNNEX__PASSWORD": "demo",
            prefix + "TDSYNNEX__CUSTOMER_NUMBER": "100001",
        }
    runner = CliRunner()
    setup = runner.invoke(main, ["--config", str(config), "setup"], env=env, catch_exceptions=False)
    assert setup.exit_code == 0, setup.output
    assert "acme: " in setup.output and "globex: " in setup.output
    result = runner.invoke(main, ["--config", str(config), "sync", "--once", "--json"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    summaries = json.loads(result.stdout)
    assert [s["tenant"] for s in summaries] == ["acme", "globex"]
    # Both tenants point at the same simulators here (the module's other tests may have closed some POs;
    # the demo book keeps one PO TD SYNNEX does not know): the second finds the first's writes in place.
    assert summaries[0]["seen"] == summaries[1]["seen"] > 0
    assert summaries[0]["failed"] == summaries[1]["failed"] <= 1
    assert summaries[1]["writes"] == 0
    only = runner.invoke(
        main,
        ["--config", str(config), "sync", "--once", "--tenant", "globex", "--json"],
        env=env,
        catch_exceptions=False,
    )
    assert json.loads(only.stdout)["tenant"] == "globex"


def test_sync_without_once_says_how_to_run_the_daemon(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["sync"])
    assert result.exit_code == 2
    assert "pass --once" in result.output and "orderbridge run" in result.output
