"""`doctor`'s network step goes through the production transport: the `[http]` proxy and CA bundle that the
sync uses apply to it too, and each failing step (proxy, TLS, DNS) is named with its fix.

Loopback only: a CONNECT proxy and an HTTPS server with a private CA (http_servers.py); origin.test
resolves nowhere (RFC 6761), so reaching it proves the proxy was used.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from http_servers import ConnectProxy, PrivateCA, Server, answer, start

from orderbridge.config import HttpSettings
from orderbridge.troubleshoot.network import probe_reachable


@pytest.fixture(autouse=True)
def no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture
async def origin(tmp_path: Path) -> AsyncIterator[tuple[PrivateCA, Server]]:
    ca = PrivateCA.make(tmp_path)
    state, server = await start(lambda ex: answer(status="404 Not Found"), ssl_context=ca.server_context())
    yield ca, state
    server.close()


@pytest.fixture
async def proxy() -> AsyncIterator[ConnectProxy]:
    running = await ConnectProxy().start()
    yield running
    await running.close()


async def test_the_probe_uses_the_configured_proxy_and_ca_bundle(
    origin: tuple[PrivateCA, Server], proxy: ConnectProxy
) -> None:
    ca, server = origin
    http = HttpSettings(proxy=proxy.url, ca_bundle=str(ca.bundle), connect_timeout_s=5)
    finding = await probe_reachable("tdsynnex", f"https://origin.test:{server.port}/SynnexXML/POStatus", http)
    assert finding.ok and finding.check == "tdsynnex.network" and "HTTP 404" in finding.summary
    assert proxy.lines == [f"CONNECT origin.test:{server.port} HTTP/1.1"]


async def test_an_untrusted_certificate_names_the_tls_step_and_the_ca_bundle_setting(
    origin: tuple[PrivateCA, Server], proxy: ConnectProxy
) -> None:
    _ca, server = origin
    http = HttpSettings(proxy=proxy.url, connect_timeout_s=5)
    finding = await probe_reachable("tdsynnex", f"https://origin.test:{server.port}/x", http)
    assert not finding.ok and finding.check == "tdsynnex.tls"
    assert "TLS handshake with origin.test failed" in finding.summary and "[http] ca_bundle" in finding.fix
    assert server.requests == []


async def test_a_proxy_that_wants_credentials_names_the_proxy_step() -> None:
    refusing = await ConnectProxy(refuse="407 Proxy Authentication Required").start()
    try:
        http = HttpSettings(proxy=refusing.url)
        finding = await probe_reachable("connectwise", "https://origin.test/v4_6_release/apis/3.0", http)
    finally:
        await refusing.close()
    assert finding.check == "connectwise.proxy" and "asks for credentials" in finding.summary
    assert "http://user:password@proxy-host:port" in finding.fix


async def test_an_unreachable_proxy_names_the_proxy_step(monkeypatch: pytest.MonkeyPatch) -> None:
    down = await ConnectProxy().start()
    await down.close()
    monkeypatch.setenv("HTTPS_PROXY", down.url)  # from the environment this time
    finding = await probe_reachable("tdsynnex", "https://origin.test/x", HttpSettings(connect_timeout_s=5))
    assert finding.check == "tdsynnex.proxy" and "the proxy did not connect us to origin.test" in finding.summary
    assert "NO_PROXY" in finding.fix


async def test_without_a_proxy_an_unresolvable_name_is_a_dns_failure() -> None:
    finding = await probe_reachable("tdsynnex", "https://origin.test/x", HttpSettings(connect_timeout_s=5))
    assert finding.check == "tdsynnex.dns" and "DNS lookup of origin.test failed" in finding.summary
