"""`doctor`'s live probes over real sockets: each failing step is named, with its fix.

The simulators run in uvicorn threads; "connection refused" is a port nobody listens on and the DNS
failure an `.invalid` host, which never resolves (RFC 6761), so no outside network is needed.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from orderbridge.config import Settings
from orderbridge.core.errors import AuthError
from orderbridge.simulators.serve import SimulatorPair, running_simulators
from orderbridge.store import Store
from orderbridge.troubleshoot.doctor import check_tenant
from orderbridge.troubleshoot.findings import Finding
from orderbridge.troubleshoot.probes import connectwise_auth_failure


@pytest.fixture(scope="module")
def sims() -> Iterator[SimulatorPair]:
    with running_simulators(seed=False) as pair:
        yield pair


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def settings(sims: SimulatorPair, tmp_path: Path, **sections: dict[str, Any]) -> Settings:
    data: dict[str, Any] = {
        "connectwise": {
            "base_url": sims.cw_base_url,
            "company": "demo",
            "public_key": "demopublic",
            "private_key": "demoprivate",
            "client_id": "doctor-test",
        },
        "tdsynnex": {
            "url": sims.tds_url,
            "invoice_url": sims.tds_server.url + "/webservice/invoice/query",
            "user_id": "demo@example.com",
            "password": "demo",
            "customer_number": "100001",
        },
        "http": {"allow_insecure_loopback": True, "max_attempts": 1, "connect_timeout_s": 5},
        "store": {"url": f"sqlite:///{tmp_path / 'ob.db'}"},
    }
    for name, values in sections.items():
        data[name] = {**data[name], **values}
    return Settings(**data)


async def check(config: Settings) -> list[Finding]:
    store = Store.open(config.store.url)
    try:
        return await check_tenant("default", config, store, datetime.now(UTC))
    finally:
        store.close()


def failing(findings: list[Finding]) -> dict[str, Finding]:
    return {f.check: f for f in findings if not f.ok}


async def test_a_healthy_tenant_passes_after_setup(sims: SimulatorPair, tmp_path: Path) -> None:
    from orderbridge.connectwise.client import ConnectWiseClient
    from orderbridge.runners.setup import run_setup

    config = settings(sims, tmp_path)
    before = failing(await check(config))
    assert set(before) == {"connectwise.statuses"}
    assert "run `orderbridge setup`" in before["connectwise.statuses"].fix
    async with ConnectWiseClient(config.connectwise, config.http) as cw:
        await run_setup(config, cw)
    findings = await check(config)
    assert failing(findings) == {}, [f.text() for f in findings]
    checks = {f.check for f in findings}
    assert {"connectwise.network", "connectwise.auth", "tdsynnex.auth", "tdsynnex-invoice.network"} <= checks
    assert {"store.schema", "schedule.lag"} <= checks


async def test_connection_refused_is_named(sims: SimulatorPair, tmp_path: Path) -> None:
    port = unused_port()
    config = settings(sims, tmp_path, connectwise={"base_url": f"http://127.0.0.1:{port}/v4_6_release/apis/3.0"})
    problem = failing(await check(config))["connectwise.network"]
    assert "connection to 127.0.0.1 refused" in problem.summary
    assert "check the port in the configured URL" in problem.fix


async def test_dns_failure_is_named(sims: SimulatorPair, tmp_path: Path) -> None:
    config = settings(sims, tmp_path, tdsynnex={"url": "https://ec.synnex.invalid/SynnexXML/POStatus"})
    problem = failing(await check(config))["tdsynnex.dns"]
    assert "DNS lookup of ec.synnex.invalid failed" in problem.summary
    assert "check the host name in the configured URL" in problem.fix


async def test_td_synnex_bad_password_is_named_without_the_password(sims: SimulatorPair, tmp_path: Path) -> None:
    config = settings(sims, tmp_path, tdsynnex={"password": "wrong-password-123"})
    problem = failing(await check(config))["tdsynnex.auth"]
    assert "TD SYNNEX refused the login" in problem.summary
    assert "check [tdsynnex] user_id and password" in problem.fix
    assert "wrong-password-123" not in problem.text()


async def test_connectwise_bad_key_is_named(sims: SimulatorPair, tmp_path: Path) -> None:
    config = settings(sims, tmp_path, connectwise={"private_key": "not-the-key-0000"})
    problem = failing(await check(config))["connectwise.auth"]
    assert "ConnectWise refused the credentials (HTTP 401)" in problem.summary
    assert "public_key and private_key" in problem.fix
    assert "not-the-key-0000" not in problem.text()


async def test_connectwise_blank_client_id_is_named(sims: SimulatorPair, tmp_path: Path) -> None:
    config = settings(sims, tmp_path, connectwise={"client_id": " "})
    problem = failing(await check(config))["connectwise.client_id"]
    assert "clientId problem" in problem.summary
    assert "developer.connectwise.com/ClientID" in problem.fix


async def test_connectwise_refusing_the_client_id_is_named() -> None:
    # What the simulator (and, by its reading, ConnectWise) answers a call without an accepted clientId.
    refused = AuthError(
        "ConnectWise refused the request",
        service="connectwise",
        status=401,
        body_excerpt='{"code": "Unauthorized", "message": "A clientId is required on every request (header '
        "'clientId'); see developer.connectwise.com/ClientID.\"}",
    )
    problem = connectwise_auth_failure(refused)
    assert problem.check == "connectwise.client_id" and "refused the clientId (HTTP 401)" in problem.summary
    assert "set [connectwise] client_id" in problem.fix


async def test_missing_custom_field_is_named(sims: SimulatorPair, tmp_path: Path) -> None:
    config = settings(sims, tmp_path, connectwise={"tracking_field": "Sync with Distributor"})
    problem = failing(await check(config))["connectwise.custom_field"]
    assert "no PO custom field 'Sync with Distributor'" in problem.summary
    assert "create a Checkbox custom field" in problem.fix


async def test_a_misspelled_custom_field_names_the_close_match(sims: SimulatorPair, tmp_path: Path) -> None:
    config = settings(sims, tmp_path, connectwise={"tracking_field": "Send to TDX"})
    problem = failing(await check(config))["connectwise.custom_field"]
    assert "no PO custom field 'Send to TDX' (it has 'Send to TDS')" in problem.summary
    assert "set [connectwise] tracking_field" in problem.fix


async def test_td_synnex_error_text_is_quoted(sims: SimulatorPair, tmp_path: Path) -> None:
    from orderbridge.troubleshoot.probes import PROBE_PO

    sims.tdsynnex.faults.add("error_detail", po_number=PROBE_PO, times=1, message="Customer number is inactive")
    problem = failing(await check(settings(sims, tmp_path)))["tdsynnex.error"]
    assert "TD SYNNEX said:" in problem.cause and "Customer number is inactive" in problem.cause
    assert "check [tdsynnex] customer_number" in problem.fix
