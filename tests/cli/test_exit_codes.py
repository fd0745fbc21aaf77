"""Exit codes and one-line outage messages of `sync --once` and `run --cycles`, over real sockets.

Monitoring reads the exit code: a cycle in which TD SYNNEX never answered must not exit 0, and the
operator must read one line naming the service, not one line per PO. A cycle where some POs failed for
their own reasons (a PO number TD SYNNEX does not know) is a normal cycle and exits 0.
"""

from __future__ import annotations

import importlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from orderbridge.cli import main
from orderbridge.cli.common import EXIT_CONFIG, EXIT_FAILED, EXIT_OK
from orderbridge.simulators.serve import SimulatorPair, running_simulators


@pytest.fixture(scope="module")
def sims() -> Iterator[SimulatorPair]:
    with running_simulators(orders=8) as pair:
        yield pair


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(path: Path, sims: SimulatorPair, *, tds_url: str | None = None) -> Path:
    path.write_text(
        f"""
[connectwise]
base_url = "{sims.cw_base_url}"
company = "demo"
public_key = "demopublic"
private_key = "demoprivate"
client_id = "cli-test"

[tdsynnex]
url = "{tds_url or sims.tds_url}"
invoice_url = ""
user_id = "demo@example.com"
password = "demo"
customer_number = "100001"

[http]
allow_insecure_loopback = true
backoff_base_s = 0.001
max_attempts = 2

[store]
url = "sqlite:///{path.parent / "ob.db"}"
""",
        encoding="utf-8",
    )
    return path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_sync_exits_1_with_one_line_when_td_synnex_never_answers(sims: SimulatorPair, tmp_path: Path) -> None:
    down = f"http://127.0.0.1:{closed_port()}/SynnexXML/POStatus"
    config = str(write_config(tmp_path / "orderbridge.toml", sims, tds_url=down))
    assert run("--config", config, "setup")[0] == EXIT_OK

    code, out = run("--config", config, "sync", "--once", "--no-progress")

    assert code == EXIT_FAILED, out
    lines = [line for line in out.splitlines() if "TD SYNNEX" in line]
    assert len(lines) == 1, out
    assert "did not answer" in lines[0] and "127.0.0.1" in lines[0] and "for all" in lines[0]
    assert "[tdsynnex] url" in lines[0]
    assert "failed PO-" not in out  # no line per PO


def test_sync_json_names_the_outage_and_exits_1(sims: SimulatorPair, tmp_path: Path) -> None:
    down = f"http://127.0.0.1:{closed_port()}/SynnexXML/POStatus"
    config = str(write_config(tmp_path / "orderbridge.toml", sims, tds_url=down))
    result = CliRunner().invoke(main, ["--config", config, "sync", "--once", "--json"], catch_exceptions=False)
    assert result.exit_code == EXIT_FAILED
    summary = json.loads(result.stdout)
    assert "TD SYNNEX did not answer" in summary["outage"]
    assert summary["failed"] == summary["seen"] > 0


def test_run_one_cycle_exits_1_when_td_synnex_never_answers(sims: SimulatorPair, tmp_path: Path) -> None:
    down = f"http://127.0.0.1:{closed_port()}/SynnexXML/POStatus"
    config = str(write_config(tmp_path / "orderbridge.toml", sims, tds_url=down))
    code, out = run("--config", config, "run", "--cycles", "1")
    assert code == EXIT_FAILED, out


def test_pos_failing_for_their_own_reasons_still_exit_0(sims: SimulatorPair, tmp_path: Path) -> None:
    config = str(write_config(tmp_path / "orderbridge.toml", sims))
    assert run("--config", config, "setup")[0] == EXIT_OK
    code, out = run("--config", config, "sync", "--once", "--no-progress")
    # The demo book holds one PO number TD SYNNEX does not know: reported, and the cycle is fine.
    assert code == EXIT_OK, out
    assert "notFound" in out
    assert run("--config", config, "run", "--cycles", "1")[0] == EXIT_OK


def test_exit_codes_are_documented_where_the_commands_live() -> None:
    for name in ("common", "sync", "run"):
        doc = importlib.import_module(f"orderbridge.cli.{name}").__doc__ or ""
        assert "exit" in doc.lower() and "1" in doc, name
    assert EXIT_CONFIG == 2
