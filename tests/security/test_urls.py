"""SSRF through configured URLs (reliability-security.md §4.5 tests 1, 3, 6): the bad-URL list fails at
configuration time, before any socket opens; redirects are never followed and credentials never reach
the redirect target; a host in NO_PROXY never goes through an environment proxy."""

from __future__ import annotations

import http.server
from collections.abc import Callable
from typing import Any

import pytest
from loopback_server import LoopbackServer

from orderbridge.config import Settings, check_url
from orderbridge.connectwise.client import ConnectWiseClient
from orderbridge.core.errors import RequestRejected
from orderbridge.http import ServiceHTTP, ServicePolicy

CW_PATH = "/v4_6_release/apis/3.0"
PRIVATE_KEY = "cw-CANARY-private-9d2f"

BAD_URLS = [
    "http://api-na.myconnectwise.net/v4_6_release/apis/3.0",
    "file:///etc/passwd",
    "gopher://api-na.myconnectwise.net/_",
    "ftp://ec.synnex.com/SynnexXML/POStatus",
    "https://127.0.0.1/v4_6_release/apis/3.0",
    "https://2130706433/v4_6_release/apis/3.0",
    "https://0x7f000001/v4_6_release/apis/3.0",
    "https://0177.0.0.1/v4_6_release/apis/3.0",
    "https://127.1/v4_6_release/apis/3.0",
    "https://[::1]/v4_6_release/apis/3.0",
    "https://[::ffff:169.254.169.254]/latest/meta-data",
    "https://[::ffff:127.0.0.1]/x",
    "https://0.0.0.0/v4_6_release/apis/3.0",
    "https://169.254.169.254/latest/meta-data",
    "https://10.0.0.1/v4_6_release/apis/3.0",
    "https://192.168.1.20/v4_6_release/apis/3.0",
    "https://172.16.0.9/v4_6_release/apis/3.0",
    "https://100.64.0.1/v4_6_release/apis/3.0",
    "https://224.0.0.1/x",
    "https://user:pw@api-na.myconnectwise.net/v4_6_release/apis/3.0",
    "https://10.0.0.1.nip.io/v4_6_release/apis/3.0",
    "https://app-192-168-0-1.sslip.io/v4_6_release/apis/3.0",
    "https://localhost/v4_6_release/apis/3.0",
    "https://cw.localhost/v4_6_release/apis/3.0",
    "not a url",
]


def settings_with(url: str, **http: Any) -> Settings:
    return Settings(
        connectwise={
            "company": "acme",
            "public_key": "pub",
            "private_key": PRIVATE_KEY,
            "client_id": "c",
            "base_url": url,
        },
        tdsynnex={"user_id": "u@example.com", "password": "pw", "customer_number": "1"},
        http=http,
    )


@pytest.mark.parametrize("url", BAD_URLS)
def test_bad_urls_are_refused_at_configuration(url: str, canary: LoopbackServer) -> None:
    with pytest.raises(ValueError, match=r"connectwise\.base_url"):
        settings_with(url)
    with pytest.raises(ValueError):
        check_url("tdsynnex.url", url, allow_insecure_loopback=False)
    assert canary.hits == []


@pytest.mark.parametrize(
    "url",
    [
        "https://2130706433/x",
        "https://0x7f000001/x",
        "https://[::ffff:127.0.0.1]/x",
        "http://127.1/x",
        "https://169.254.169.254/x",
        "http://10.0.0.1/x",
    ],
)
def test_the_simulator_flag_allows_plain_loopback_only(url: str) -> None:
    with pytest.raises(ValueError):
        check_url("k", url, allow_insecure_loopback=True)


def test_plain_loopback_with_the_simulator_flag_and_public_hosts_pass() -> None:
    for url in ("http://127.0.0.1:8471/x", "https://127.0.0.1/x", "http://localhost:1/x", "http://[::1]:2/x"):
        check_url("k", url, allow_insecure_loopback=True)
    for url in (
        "https://api-na.myconnectwise.net/v4_6_release/apis/3.0",
        "https://8.8.8.8/x",
        "https://1.2.3.4.nip.io/",
    ):
        check_url("k", url, allow_insecure_loopback=False)


def test_an_internal_on_premise_host_is_allowed_by_exact_origin_only() -> None:
    settings = settings_with(
        "https://10.0.0.5:8443/v4_6_release/apis/3.0", allowed_private_origins=["https://10.0.0.5:8443"]
    )
    assert settings.connectwise.base_url.startswith("https://10.0.0.5:8443")
    for other in ("https://10.0.0.5/v4_6_release/apis/3.0", "https://10.0.0.6:8443/x", "http://10.0.0.5:8443/x"):
        with pytest.raises(ValueError):
            settings_with(other, allowed_private_origins=["https://10.0.0.5:8443"])


def _redirect_to(target: str) -> Callable[[http.server.BaseHTTPRequestHandler], None]:
    def answer(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", target)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return answer


@pytest.mark.parametrize("suffix", ["/steal", "/v4_6_release/apis/3.0/procurement/purchaseorderstatuses"])
async def test_connectwise_redirects_are_not_followed_and_credentials_stay_home(
    suffix: str, canary: LoopbackServer, loopback: Callable[..., LoopbackServer]
) -> None:
    server = loopback(_redirect_to(canary.url + suffix))
    settings = settings_with(server.url + CW_PATH, allow_insecure_loopback=True)
    async with ConnectWiseClient(settings.connectwise, settings.http) as client:
        with pytest.raises(RequestRejected, match="not followed") as caught:
            await client.list_statuses()
    assert canary.hits == []
    assert len(server.hits) == 1 and "authorization" in server.hits[0][2]
    assert PRIVATE_KEY not in str(caught.value) and "127.0.0.1" in str(caught.value)


async def test_no_proxy_keeps_calls_and_credentials_away_from_an_environment_proxy(
    canary: LoopbackServer, loopback: Callable[..., LoopbackServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Environment proxies are honoured since issue 14 (operators behind a corporate proxy), so this
    # guards the other side: a host in NO_PROXY is reached directly, and neither the call nor its
    # Authorization header reaches the proxy; a proxy the engine cannot use (socks) is never half-used.
    # (The callback signing-key fetch, callbacks/keys.py, still ignores every proxy.)
    def ok(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "2")
        handler.end_headers()
        handler.wfile.write(b"{}")

    server = loopback(ok)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.setenv(name, canary.url)
    monkeypatch.setenv("NO_PROXY", "example.com,127.0.0.1")
    monkeypatch.setenv("no_proxy", "example.com,127.0.0.1")
    async with ServiceHTTP(ServicePolicy("svc"), headers={"Authorization": "Basic c2VjcmV0"}) as http_client:
        reply = await http_client.request("GET", server.url + "/direct")
    assert reply.status == 200 and len(server.hits) == 1
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name)
    for name in ("HTTP_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, "socks5://127.0.0.1:1")
    async with ServiceHTTP(ServicePolicy("svc"), headers={"Authorization": "Basic c2VjcmV0"}) as http_client:
        reply = await http_client.request("GET", server.url + "/direct")
    assert reply.status == 200 and len(server.hits) == 2
    assert canary.hits == []
