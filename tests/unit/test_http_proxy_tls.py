"""Proxies and TLS trust over the production transport, through ServiceHTTP: a CONNECT proxy written here
(asyncio, loopback) and an HTTPS server whose certificate comes from a private CA (trustme).

The proxy takes every host name to be 127.0.0.1, and the server's certificate names origin.test, a name
that resolves nowhere (RFC 6761): a call to https://origin.test:PORT that succeeds went through the proxy.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from http_servers import ConnectProxy, PrivateCA, Server, answer, start
from pydantic import ValidationError

from orderbridge.config import HttpSettings
from orderbridge.core.errors import TransientApiError
from orderbridge.core.redaction import redact
from orderbridge.http import ServiceHTTP, ServicePolicy
from orderbridge.http.proxies import ProxyChoice

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@dataclass
class World:
    ca: PrivateCA
    origin: Server
    proxy: ConnectProxy

    @property
    def named_url(self) -> str:  # reachable only through the proxy
        return f"https://origin.test:{self.origin.port}"


@pytest.fixture(autouse=True)
def no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    ca = PrivateCA.make(tmp_path)
    origin, server = await start(lambda ex: answer(b"secret answer"), ssl_context=ca.server_context())
    proxy = await ConnectProxy().start()
    yield World(ca, origin, proxy)
    await proxy.close()
    server.close()


def client(**policy: object) -> ServiceHTTP:
    values: dict[str, object] = {"service": "svc", "requests_per_minute": 1_000_000, "max_attempts": 2}
    return ServiceHTTP(ServicePolicy(**(values | policy)))  # type: ignore[arg-type]


async def test_the_proxy_setting_tunnels_https_with_its_credentials(world: World) -> None:
    settings = HttpSettings(
        proxy=f"http://ops:pr0xy-pass-{world.origin.port}@127.0.0.1:{world.proxy.url.rsplit(':', 1)[1]}",
        ca_bundle=str(world.ca.bundle),
    )
    policy = ServicePolicy.from_settings("svc", settings, concurrency=2, requests_per_minute=1_000_000)
    assert "pr0xy-pass" not in repr(policy) and "pr0xy-pass" not in repr(settings)
    async with ServiceHTTP(policy) as http:
        for _ in range(3):
            reply = await http.request("GET", world.named_url + "/x")
            assert reply.content == b"secret answer"
    assert world.proxy.lines == [f"CONNECT origin.test:{world.origin.port} HTTP/1.1"]  # one tunnel, kept alive
    expected = base64.b64encode(f"ops:pr0xy-pass-{world.origin.port}".encode()).decode()
    assert f"Proxy-Authorization: Basic {expected}".lower().encode() in world.proxy.heads[0].lower()
    assert len(world.origin.requests) == 3 and world.origin.connections == 1
    assert b"pr0xy-pass" not in b"".join(exchange.head for exchange in world.origin.requests)
    assert "pr0xy-pass" not in redact(f"proxy was {settings.proxy.get_secret_value()}")  # type: ignore[union-attr]


async def test_https_proxy_from_the_environment(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", world.proxy.url)
    async with client(ca_bundle=str(world.ca.bundle)) as http:
        assert (await http.request("POST", world.named_url + "/x", content=b"<q/>")).content == b"secret answer"
    assert world.proxy.lines == [f"CONNECT origin.test:{world.origin.port} HTTP/1.1"]
    assert world.origin.requests[0].body == b"<q/>"


async def test_no_proxy_sends_a_host_direct_whichever_way_the_proxy_was_given(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", world.proxy.url)
    monkeypatch.setenv("NO_PROXY", "example.com,127.0.0.1")
    direct = f"https://127.0.0.1:{world.origin.port}/x"
    async with client(ca_bundle=str(world.ca.bundle)) as http:
        assert (await http.request("GET", direct)).content == b"secret answer"
        assert (await http.request("GET", world.named_url + "/x")).status == 200  # not listed: proxied
    async with client(ca_bundle=str(world.ca.bundle), proxy=world.proxy.url) as http:
        assert (await http.request("GET", direct)).content == b"secret answer"
    assert world.proxy.lines == [f"CONNECT origin.test:{world.origin.port} HTTP/1.1"]
    assert len(world.origin.requests) == 3


async def test_the_ca_bundle_setting_makes_verification_pass_and_without_it_tls_fails_clearly(world: World) -> None:
    direct = f"https://127.0.0.1:{world.origin.port}/x"
    async with client(max_attempts=4) as http:
        with pytest.raises(TransientApiError, match=r"TLS certificate of 127\.0\.0\.1 not trusted") as caught:
            await http.request("GET", direct)
    assert "[http] ca_bundle" in str(caught.value) and "certificate" in str(caught.value)
    assert http.stats.calls[("GET", "tls")] == 1 and http.stats.retries == 0  # repeating cannot help
    assert world.origin.requests == []
    async with client(ca_bundle=str(world.ca.bundle)) as http:
        assert (await http.request("GET", direct)).content == b"secret answer"


async def test_a_proxy_that_refuses_the_tunnel_is_a_proxy_failure(tmp_path: Path) -> None:
    proxy = await ConnectProxy(refuse="403 Forbidden").start()
    try:
        async with client(proxy=proxy.url, max_attempts=2) as http:
            with pytest.raises(TransientApiError, match="after 2 attempts: proxy"):
                await http.request("POST", "https://origin.test/x", content=b"<q/>")  # never sent: repeated
    finally:
        await proxy.close()
    assert proxy.lines == ["CONNECT origin.test:443 HTTP/1.1"] * 2


# ----------------------------------------------------------------------------- settings and choices


def test_proxy_choice_follows_the_standard_library_rules() -> None:
    env = {"https": "http://p:1", "http": "proxy.corp:3128", "no": "internal.corp,.lan,api.test:8443"}
    choice = ProxyChoice(environment=env)
    assert choice.for_origin("https", "api.example.com", 443) == "http://p:1"
    assert choice.for_origin("http", "api.example.com", 80) == "http://proxy.corp:3128"  # scheme added
    assert choice.for_origin("https", "internal.corp", 443) is None
    assert choice.for_origin("https", "cw.internal.corp", 443) is None  # a domain's subdomains too
    assert choice.for_origin("https", "host.lan", 443) is None
    assert choice.for_origin("https", "api.test", 8443) is None and choice.for_origin("https", "api.test", 443)
    explicit = ProxyChoice(explicit="http://explicit:3", environment=env)
    assert explicit.for_origin("https", "api.example.com", 443) == "http://explicit:3"
    assert explicit.for_origin("https", "internal.corp", 443) is None  # NO_PROXY applies to it too
    assert ProxyChoice(environment={"https": "http://p:1", "no": "*"}).for_origin("https", "x.com", 443) is None
    assert ProxyChoice(environment={"all": "http://a:1"}).for_origin("https", "x.com", 443) == "http://a:1"


def test_proxies_the_engine_cannot_use_are_skipped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    choice = ProxyChoice(environment={"https": "https://user:hunter2-secret@p:1", "http": "socks5://s:1"})
    assert choice.for_origin("https", "x.com", 443) is None and choice.for_origin("http", "x.com", 80) is None
    assert "HTTPS_PROXY is not an http:// proxy" in caplog.text and "hunter2" not in caplog.text


def test_environment_is_read_once_with_either_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("https_proxy", "http://lower:1")
    monkeypatch.setenv("NO_PROXY", "skip.me")
    choice = ProxyChoice.from_environment()
    monkeypatch.setenv("https_proxy", "http://changed:1")
    assert choice.for_origin("https", "x.com", 443) == "http://lower:1"
    assert choice.for_origin("https", "skip.me", 443) is None


@pytest.mark.parametrize(
    ("proxy", "problem"),
    [
        ("https://user:s3cret-pw@proxy:3128", "must be an http:// URL"),
        ("socks5://proxy:1080", "must be an http:// URL"),
        ("http://user:s3cret-pw@proxy:port", "invalid port"),
        ("http://proxy:3128/path", "no path or query"),
        ("http://", "names no host"),
    ],
)
def test_a_bad_proxy_setting_is_refused_without_quoting_it(proxy: str, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem) as caught:
        HttpSettings(proxy=proxy)
    assert "s3cret-pw" not in str(caught.value)


def test_the_ca_bundle_must_be_a_readable_pem_file(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="is not a file"):
        HttpSettings(ca_bundle=str(tmp_path / "missing.pem"))
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    with pytest.raises(ValidationError, match="no readable PEM CA certificate"):
        HttpSettings(ca_bundle=str(garbage))
    ca = PrivateCA.make(tmp_path)
    assert HttpSettings(ca_bundle=str(ca.bundle)).ca_bundle == str(ca.bundle)
    assert HttpSettings(ca_bundle="", proxy="").ca_bundle is None


async def test_one_ssl_context_per_process_and_bundle(tmp_path: Path) -> None:
    from orderbridge.http.tls import ssl_context

    ca = PrivateCA.make(tmp_path)
    assert ssl_context() is ssl_context()
    assert ssl_context(str(ca.bundle)) is ssl_context(str(ca.bundle)) is not ssl_context()
    await asyncio.sleep(0)
