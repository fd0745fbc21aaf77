"""`orderbridge worker` through Click: the schema step is idempotent; SQLite is refused clearly."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from orderbridge.cli import main

CONFIG = """
[connectwise]
company = "demo"
public_key = "demopublic"
private_key = "demoprivate"
client_id = "cli-test"

[tdsynnex]
user_id = "demo@example.com"
password = "demo"
customer_number = "100001"

[store]
url = "{url}"
"""


def run(config: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--config", str(config), *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_worker_on_sqlite_is_a_configuration_error(tmp_path: Path) -> None:
    config = tmp_path / "orderbridge.toml"
    config.write_text(CONFIG.format(url=f"sqlite:///{tmp_path / 'ob.db'}"), encoding="utf-8")
    code, out = run(config, "worker", "--schema")
    assert code == 2
    assert "needs PostgreSQL" in out


def test_worker_schema_installs_once_then_reports_it_is_there(pg_url: str, tmp_path: Path) -> None:
    config = tmp_path / "orderbridge.toml"
    config.write_text(CONFIG.format(url=pg_url), encoding="utf-8")
    assert run(config, "worker", "--schema") == (0, "procrastinate schema installed\n")
    assert run(config, "worker", "--schema") == (0, "procrastinate schema already installed\n")
