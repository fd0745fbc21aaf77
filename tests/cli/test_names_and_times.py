"""What people read: ConnectWise records by name (not `#7`), and times in the `[display] timezone`, labelled.

Against the simulators over sockets for the dry run, the log, `show` and `doctor`; the store alone for
the time zone of the tables.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from offline_config import run as offline_run
from offline_config import write_config as offline_config

from orderbridge.cli import main
from orderbridge.simulators.serve import SimulatorPair, running_simulators
from orderbridge.store import ActivityEntry, Store

BARE_ID = re.compile(r"(?<![\w(])#\d+\b")  # "#7" that is not inside "Name (#7)"


@pytest.fixture(scope="module")
def sims() -> Iterator[SimulatorPair]:
    with running_simulators(orders=6) as pair:
        yield pair


def write_config(path: Path, sims: SimulatorPair) -> str:
    path.write_text(
        f"""
[connectwise]
base_url = "{sims.cw_base_url}"
company = "demo"
public_key = "demopublic"
private_key = "demoprivate"
client_id = "names-test"

[tdsynnex]
url = "{sims.tds_url}"
invoice_url = ""
user_id = "demo@example.com"
password = "demo"
customer_number = "100001"

[http]
allow_insecure_loopback = true
backoff_base_s = 0.01

[store]
url = "sqlite:///{path.parent / "ob.db"}"

[display]
expat_warning = false
""",
        encoding="utf-8",
    )
    return str(path)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_dry_run_log_show_and_doctor_name_statuses(sims: SimulatorPair, tmp_path: Path) -> None:
    config = write_config(tmp_path / "orderbridge.toml", sims)
    assert run("--config", config, "setup")[0] == 0
    code, out = run("--config", config, "sync", "--once", "--dry-run", "--no-progress")
    assert code == 0, out
    # Tables fold long cells, so "TDS Shipped (#9)" may span two rows: every id must sit in parentheses.
    assert "TDS " in out and "(#" in out, out
    assert not BARE_ID.search(out), out

    assert run("--config", config, "sync", "--once", "--no-progress")[0] == 0
    po_number = sims.book.po_numbers[0] if sims.book else "PO-1001"
    for command in (["log", "--po", po_number, "--action", "write"], ["show", po_number]):
        code, out = run("--config", config, *command)
        assert code == 0, out
        assert "TDS " in out and "(#" in out, out
        assert not BARE_ID.search(out), out
    code, out = run("--config", config, "doctor", po_number)
    assert re.search(r"wrote (line \d+/)?(status|shipmentMethod): .* -> \w[^#\n]* \(#\d+\)", out), out
    assert not BARE_ID.search(out), out


@pytest.fixture
def history(store: Store) -> Store:
    at = datetime(2026, 1, 5, 16, 0, tzinfo=UTC)
    store.append_activity(
        [
            ActivityEntry(
                at=at,
                tenant="default",
                actor="orderbridge",
                action="write",
                po_id=501,
                po_number="PO-TZ",
                field="status",
                old_value="On Order",
                # Written before names were stored beside ids: still honest, as `#7`.
                new_value={"id": 7},
                reason="first sight",
            )
        ]
    )
    return store


def test_tables_show_times_in_the_display_zone_and_say_which(history: Store, tmp_path: Path, store_url: str) -> None:
    config = offline_config(tmp_path, store_url, '[display]\ntimezone = "Europe/Berlin"\n')
    code, out, err = offline_run("--config", config, "log")
    assert code == 0, out + err
    assert "at (Europe/Berlin)" in out and "2026-01-05 17:00:00" in out, out
    assert "16:00:00" not in out and "#7" in out
    code, out, err = offline_run("--config", config, "show", "PO-TZ")
    assert code == 0, out + err
    assert "when (Europe/Berlin)" in out and "2026-01-05 17:00:00" in out, out
    # A time typed without an offset is in the display zone too: 16:30 Berlin is 15:30 UTC, before the write.
    code, out, _ = offline_run("--config", config, "log", "--since", "2026-01-05T16:30", "--until", "2026-01-05T17:30")
    assert "2026-01-05 17:00:00" in out
    code, out, _ = offline_run("--config", config, "log", "--since", "2026-01-05T17:01")
    assert "PO-TZ" not in out
