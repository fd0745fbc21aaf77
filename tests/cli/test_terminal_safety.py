"""What reaches the terminal: untrusted text is shown escaped, and rich never eats `[...]` from a message.

A PO number, a TD SYNNEX value or an error message may hold ESC sequences (clear the screen, retitle
the window, forge a link) or a bidi override that makes one PO number read as another. Table and text
output must show them as `\\x1b` / `\\u202e`; JSON and CSV output stay data.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from offline_config import run as offline_run
from offline_config import write_config

from orderbridge.cli.common import guard
from orderbridge.core.errors import ConfigError
from orderbridge.store import ActivityEntry, Store

HOSTILE_PO = "PO-\x1b[2J\u202e1001"
HOSTILE_REASON = "TD SYNNEX said \x1b]8;;https://evil.example\x07click\x1b]8;;\x07 [bold]x[/bold]"
RAW = ("\x1b", "\u202e", "\x07")


def run(*args: str) -> tuple[int, str]:
    code, out, err = offline_run(*args)
    return code, out + err


@pytest.fixture
def hostile_store(store: Store) -> Store:
    at = datetime(2026, 1, 5, 16, 0, tzinfo=UTC)
    common = {"at": at, "tenant": "default", "actor": "orderbridge", "po_id": 501, "po_number": HOSTILE_PO}
    store.append_activity(
        [
            ActivityEntry(action="observe", field="status", new_value="shipped\x1b[31m [1:shipped]", **common),
            ActivityEntry(action="error", reason=HOSTILE_REASON, **common),
        ]
    )
    return store


def flat(out: str) -> str:
    """Table output without its borders and folding, so a long value reads in one piece."""
    return re.sub(r"[\s│]+", "", out)


def assert_escaped(out: str) -> None:
    assert not any(char in out for char in RAW), repr(out)
    assert "\\x1b[2J" in out and "\\u202e" in out, out


def test_show_escapes_control_and_bidi_characters(hostile_store: Store, tmp_path: Path, store_url: str) -> None:
    config = write_config(tmp_path, store_url)
    code, out = run("--config", config, "show", HOSTILE_PO)
    assert code == 0, out
    assert_escaped(out)
    assert "\\x1b]8;;https://evil.example\\x07" in flat(out)
    assert "[bold]x[/bold]" in flat(out)  # shown as text, not taken as rich markup
    assert "[1:shipped]" in flat(out)


def test_log_table_escapes_but_json_stays_data(hostile_store: Store, tmp_path: Path, store_url: str) -> None:
    config = write_config(tmp_path, store_url)
    code, out = run("--config", config, "log")
    assert code == 0, out
    assert_escaped(flat(out))
    assert "[1:shipped]" in flat(out)
    code, out = run("--config", config, "log", "--format", "json")
    assert {entry["po_number"] for entry in json.loads(out)} == {HOSTILE_PO}


def test_doctor_po_escapes_the_po_number(store: Store, tmp_path: Path, store_url: str) -> None:
    # ConnectWise is unreachable here: the doctor still explains what the store knows.
    config = write_config(tmp_path, store_url)
    code, out = run("--config", config, "doctor", HOSTILE_PO)
    assert code == 1, out
    assert_escaped(out)


def test_an_error_message_keeps_its_brackets() -> None:
    @click.command()
    @guard
    def failing() -> None:
        raise ConfigError("[http] timeout_s", "must be a number of seconds, e.g. [http] timeout_s = 30")

    result = CliRunner().invoke(failing, [])
    assert result.exit_code == 2
    assert "config [http] timeout_s: must be a number of seconds, e.g. [http] timeout_s = 30" in result.output


def test_a_config_error_from_the_file_keeps_its_brackets(tmp_path: Path) -> None:
    path = tmp_path / "orderbridge.toml"
    path.write_text("tenants = {}\n", encoding="utf-8")
    code, out = run("--config", str(path), "log")
    assert code == 2
    assert "[tenants]" in out and "[tenants.<name>]" in out, out


def test_an_error_message_with_an_escape_sequence_is_escaped() -> None:
    @click.command()
    @guard
    def failing() -> None:
        raise ConfigError("connectwise.company", "value 'x\x1b[2Jy' is not allowed")

    result = CliRunner().invoke(failing, [])
    assert "\x1b" not in result.output and "x\\x1b[2Jy" in result.output
