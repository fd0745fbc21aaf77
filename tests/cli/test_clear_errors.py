"""Mistakes an operator makes on day one get one clear line and an exit code, never a traceback.

Each case names the key or URL at fault (a database password hidden) and what to do; config mistakes
exit 2, a store that does not answer exits 1. Click's runner is told not to catch exceptions, so a
traceback fails the test instead of being turned into exit code 1.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from orderbridge.cli import main
from orderbridge.config.tenants import load_config

SECRET = "s3cret-db-pass"

CONFIG = """
[connectwise]
company = "demo"
public_key = "demopublic"
private_key = "{private_key}"
client_id = "cli-test"

[tdsynnex]
user_id = "demo@example.com"
password = "demo"
customer_number = "100001"

[store]
url = "{store_url}"
"""


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def config(tmp_path: Path, *, private_key: str = "demoprivate", store_url: str | None = None) -> str:
    path = tmp_path / "orderbridge.toml"
    url = store_url or f"sqlite:///{tmp_path / 'ob.db'}"
    path.write_text(CONFIG.format(private_key=private_key, store_url=url), encoding="utf-8")
    return str(path)


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, [line for line in result.output.splitlines() if line.startswith(("error", "FAIL"))]


@pytest.mark.parametrize("command", [("sync", "--once", "--no-progress"), ("log",)])
def test_an_unreachable_postgresql_store_is_one_line_exit_1(tmp_path: Path, command: tuple[str, ...]) -> None:
    url = f"postgresql+psycopg://orderbridge:{SECRET}@127.0.0.1:{closed_port()}/orderbridge"
    code, errors = run("--config", config(tmp_path, store_url=url), *command)
    assert code == 1
    [line] = errors
    assert f"postgresql+psycopg://orderbridge:***@127.0.0.1:{url.rsplit(':', 1)[1]}" in line
    assert "cannot be opened" in line and "[store] url" in line and SECRET not in line


def test_a_mysql_store_url_is_a_config_error_in_doctor(tmp_path: Path) -> None:
    code, errors = run("doctor", env={"ORDERBRIDGE_CONFIG": config(tmp_path, store_url=f"mysql://u:{SECRET}@db/x")})
    assert code == 2
    [line] = errors
    assert "the configuration does not load" in line
    result = CliRunner().invoke(main, ["--config", config(tmp_path, store_url=f"mysql://u:{SECRET}@db/x"), "doctor"])
    assert "store.url: 'mysql' databases are not supported" in result.output and SECRET not in result.output


def test_an_empty_private_key_is_a_config_error(tmp_path: Path) -> None:
    code, errors = run("--config", config(tmp_path, private_key=" "), "sync", "--once", "--no-progress")
    assert code == 2
    [line] = errors
    assert "connectwise.private_key: is empty" in line


def test_doctor_with_no_config_file_says_the_file_is_not_found_and_how_to_make_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for variable in [name for name in os.environ if name.startswith("ORDERBRIDGE_")]:
        monkeypatch.delenv(variable)
    result = CliRunner().invoke(main, ["doctor"])
    assert result.exit_code == 2
    assert "FAIL  the config file is not found" in result.output
    assert "file not found" in result.output and "correct the key" not in result.output
    assert "copy config.example.toml" in result.output


@pytest.mark.parametrize("command", [("sync", "--once"), ("setup",)])
def test_no_config_file_says_file_not_found_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    monkeypatch.chdir(tmp_path)
    for variable in [name for name in os.environ if name.startswith("ORDERBRIDGE_")]:
        monkeypatch.delenv(variable)
    code, errors = run(*command)
    assert code == 2
    [line] = errors
    assert line.startswith("error: config orderbridge.toml: file not found")
    assert "--config" in line and "ORDERBRIDGE_CONFIG" in line
    assert "ORDERBRIDGE_CONNECTWISE__COMPANY" in line  # the variables that would do instead


def test_variables_alone_still_configure_orderbridge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for key, value in {
        "CONNECTWISE__COMPANY": "demo",
        "CONNECTWISE__PUBLIC_KEY": "pub",
        "CONNECTWISE__PRIVATE_KEY": "priv",
        "CONNECTWISE__CLIENT_ID": "cid",
        "TDSYNNEX__USER_ID": "u",
        "TDSYNNEX__PASSWORD": "p",
        "TDSYNNEX__CUSTOMER_NUMBER": "1",
    }.items():
        monkeypatch.setenv(f"ORDERBRIDGE_{key}", value)
    [tenant] = load_config().tenants
    assert tenant.settings.connectwise.company == "demo"
