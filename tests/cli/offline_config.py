"""A config whose services are closed loopback ports: for commands that read the store (and `doctor`,
which then reports the services unreachable), with no simulator and no network."""

from __future__ import annotations

import socket
from pathlib import Path

from click.testing import CliRunner

from orderbridge.cli import main


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(tmp_path: Path, store_url: str, extra: str = "") -> str:
    port = closed_port()
    path = tmp_path / "orderbridge.toml"
    path.write_text(
        f"""
[connectwise]
base_url = "http://127.0.0.1:{port}/v4_6_release/apis/3.0"
company = "demo"
public_key = "demopublic"
private_key = "demoprivate"
client_id = "offline-test"

[tdsynnex]
url = "http://127.0.0.1:{port}/SynnexXML/POStatus"
invoice_url = ""
user_id = "demo@example.com"
password = "demo"
customer_number = "100001"

[http]
allow_insecure_loopback = true
max_attempts = 1

[store]
url = "{store_url}"
{extra}
""",
        encoding="utf-8",
    )
    return str(path)


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of one command."""
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr
