"""The old-expat notice: one line, said once by the commands that parse XML, and it can be silenced.

Debian 12's python3 links expat 2.5.0; every command used to open with a 7-line warning about it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from offline_config import run, write_config

from orderbridge.cli.common import expat_notice
from orderbridge.config import load_settings
from orderbridge.core.xmlguard import MINIMUM_EXPAT, expat_version, expat_warning

old_expat_here = pytest.mark.skipif(expat_version() >= MINIMUM_EXPAT, reason="this Python's expat is current")


def test_the_warning_is_one_short_line_that_says_how_to_silence_it() -> None:
    warning = expat_warning((2, 5, 0), max_response_bytes=10_485_760)
    assert warning is not None
    assert "\n" not in warning and len(warning) <= 160, warning
    assert "[display] expat_warning = false" in warning


def test_the_config_switch_silences_it(tmp_path: Path) -> None:
    path = write_config(tmp_path, f"sqlite:///{tmp_path / 'ob.db'}")
    assert expat_notice(load_settings(path), (2, 5, 0)) is not None
    quiet = write_config(tmp_path, f"sqlite:///{tmp_path / 'ob.db'}", "[display]\nexpat_warning = false\n")
    assert expat_notice(load_settings(quiet), (2, 5, 0)) is None
    assert expat_notice(load_settings(path), MINIMUM_EXPAT) is None


@old_expat_here
def test_a_command_that_parses_xml_says_it_once_on_one_line(tmp_path: Path) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'ob.db'}")
    _, _, err = run("--config", config, "doctor", "PO-1")
    lines = [line for line in err.splitlines() if "expat" in line]
    assert len(lines) == 1 and lines[0].startswith("warning: "), err


@old_expat_here
def test_commands_that_only_read_the_store_do_not_say_it(tmp_path: Path) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'ob.db'}")
    for command in (["log"], ["attention"], ["report"]):
        code, out, err = run("--config", config, *command)
        assert code == 0, out + err
        assert "expat" not in out + err


@old_expat_here
def test_the_environment_variable_silences_it(tmp_path: Path) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'ob.db'}")
    assert "expat" in run("--config", config, "doctor", "PO-1")[2]
    _, out, err = run("--config", config, "doctor", "PO-1", env={"ORDERBRIDGE_DISPLAY__EXPAT_WARNING": "false"})
    assert "expat" not in out + err
