"""Callback verification without a server: the key-URL allow-list, the HMAC, and the key fetch.

The cases are reliability-security.md §4.4's matrix (Nango's): every rejected key URL is refused
before any socket opens, and every bad signing-key answer is refused without dispatching anything.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta

import httpx
import pytest
from callback_world import PUBLIC_IP, public_resolve
from pydantic import ValidationError

from orderbridge.callbacks.keys import KEY_MAX_BYTES, SigningKeys
from orderbridge.callbacks.payload import read_envelope
from orderbridge.callbacks.verify import (
    CallbackRejected,
    KeyUrlPolicy,
    Origin,
    ip_forbidden,
)
from orderbridge.config import CallbacksSettings
from orderbridge.connectwise.signatures import signature_for, signature_matches
from orderbridge.core.clock import SimClock

TENANT = Origin("https", "cw.example.com", 443)
POLICY = KeyUrlPolicy(TENANT, None, allow_insecure_loopback=False)
KEY_PATH = "/v4_6_release/system/callbackkey/index.rails?id=8f2c"


def test_signature_is_base64_hmac_sha256_keyed_by_sha256_of_the_signing_key() -> None:
    body = b'{"MessageId":"m1","ID":1201}'
    key = hashlib.sha256(b"s3cr3t-signing-key").digest()
    expected = base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()
    assert signature_for("s3cr3t-signing-key", body) == expected
    assert signature_matches("s3cr3t-signing-key", body, expected)


def test_one_flipped_byte_breaks_the_signature() -> None:
    body = b'{"MessageId":"m1","ID":1201}'
    good = signature_for("k" * 20, body)
    assert not signature_matches("k" * 20, body.replace(b"1201", b"1202"), good)
    assert not signature_matches("other-key-000", body, good)
    assert not signature_matches("k" * 20, body, "")


@pytest.mark.parametrize(
    "url",
    [
        f"https://cw.example.com{KEY_PATH}",
        f"https://CW.example.com:443{KEY_PATH}",
        f"https://api-na.myconnectwise.net{KEY_PATH}",
        "https://sandbox-eu.myconnectwise.net/v2025_1//system/callbackkey/index.rails?companyName=x&id=1",
    ],
)
def test_tenant_host_and_cloud_hosts_are_allowed(url: str) -> None:
    assert POLICY.check(url) == url


@pytest.mark.parametrize(
    "url",
    [
        f"http://cw.example.com{KEY_PATH}",  # not HTTPS
        f"https://user:pass@cw.example.com{KEY_PATH}",  # userinfo
        f"https://cw.example.com{KEY_PATH}#frag",  # fragment
        "not a url",
        "",
        None,
        12345,
        f"https://cw.example.com.evil.test{KEY_PATH}",  # suffix trick
        f"https://cw.example.com:8443{KEY_PATH}",  # non-default port
        f"https://evil.myconnectwise.net{KEY_PATH}",  # not in the allow-list
        f"https://api-na.myconnectwise.net:444{KEY_PATH}",
        f"ftp://cw.example.com{KEY_PATH}",
        f"https://cw.example.com:99999{KEY_PATH}",
    ],
)
def test_key_urls_outside_the_allow_list_are_rejected(url: object) -> None:
    with pytest.raises(CallbackRejected):
        POLICY.check(url)


@pytest.mark.parametrize("host", ["127.0.0.1", "169.254.169.254", "10.0.0.1", "[::1]", "[::ffff:127.0.0.1]"])
def test_private_and_loopback_addresses_are_rejected_even_when_configured(host: str) -> None:
    configured = Origin.parse(f"https://{host}")
    policy = KeyUrlPolicy(configured, configured, allow_insecure_loopback=False)
    with pytest.raises(CallbackRejected):
        policy.check(f"https://{host}{KEY_PATH}")


def test_loopback_http_is_allowed_only_for_the_simulator_exception() -> None:
    sim = Origin.parse("http://127.0.0.1:8471")
    url = f"http://127.0.0.1:8471{KEY_PATH}"
    assert KeyUrlPolicy(sim, None, allow_insecure_loopback=True).check(url) == url
    with pytest.raises(CallbackRejected):
        KeyUrlPolicy(sim, None, allow_insecure_loopback=False).check(url)
    with pytest.raises(CallbackRejected):
        KeyUrlPolicy(sim, None, allow_insecure_loopback=True).check(f"http://127.0.0.1:9999{KEY_PATH}")


def test_configured_on_prem_origin_is_allowed_exactly() -> None:
    policy = KeyUrlPolicy(TENANT, Origin.parse("https://psa.customer.example:8443"), allow_insecure_loopback=False)
    assert policy.check(f"https://psa.customer.example:8443{KEY_PATH}")
    with pytest.raises(CallbackRejected):
        policy.check(f"https://psa.customer.example{KEY_PATH}")


@pytest.mark.parametrize(
    "origin",
    ["https://psa.example/path", "https://psa.example?x=1", "https://psa.example#f", "https://u:p@psa.example", "psa"],
)
def test_on_prem_origin_with_path_query_fragment_or_userinfo_is_a_config_error(origin: str) -> None:
    with pytest.raises(ValidationError):
        CallbacksSettings(allowed_origin=origin)


def test_ipv4_mapped_and_reserved_addresses_count_as_private() -> None:
    assert ip_forbidden("::ffff:169.254.169.254", loopback_ok=True)
    assert ip_forbidden("0.0.0.0", loopback_ok=False)  # noqa: S104 (an address under test, not a bind)
    assert ip_forbidden("100.64.0.1", loopback_ok=False)
    assert ip_forbidden("224.0.0.1", loopback_ok=False)
    assert ip_forbidden("127.0.0.1", loopback_ok=False)
    assert not ip_forbidden("127.0.0.1", loopback_ok=True)
    assert not ip_forbidden(PUBLIC_IP, loopback_ok=False)


def test_key_url_is_read_from_an_unverified_body_without_trusting_anything_else() -> None:
    envelope = read_envelope(json.dumps({"MessageId": "m1", "Metadata": {"key_url": "https://x"}}).encode())
    assert envelope.key_url == "https://x"
    for body in (
        b'{"MessageId": "m1", "Metadata": "nope"}',
        b'{"Metadata": {"key_url": "https://x"}}',
        b'["MessageId"]',
        b"\xff not json",
        b"[" * 100_000,
    ):
        with pytest.raises(CallbackRejected):
            read_envelope(body)


def _keys(handler: httpx.MockTransport, **kwargs: object) -> SigningKeys:
    return SigningKeys(ttl=timedelta(minutes=5), clock=SimClock(), transport=handler, resolve=public_resolve)


def _answer(response: httpx.Response | Exception) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        if isinstance(response, Exception):
            raise response
        return response

    return httpx.MockTransport(handle)


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, json={}),
        httpx.Response(200, json={"signing_key": ""}),
        httpx.Response(200, json={"signing_key": 123}),
        httpx.Response(200, json=["signing_key"]),
        httpx.Response(200, content=b"<html>login</html>"),
        httpx.Response(200, content=b'{"signing_key": "' + b"a" * KEY_MAX_BYTES + b'"}'),
        httpx.Response(302, headers={"location": "http://127.0.0.1/key"}),
        httpx.Response(404, json={"code": "NotFound"}),
        httpx.ReadTimeout("slow"),
        httpx.ConnectError("refused"),
    ],
)
async def test_bad_signing_key_answers_are_rejected(response: httpx.Response | Exception) -> None:
    keys = _keys(_answer(response))
    with pytest.raises(CallbackRejected):
        await keys.get("acme", f"https://cw.example.com{KEY_PATH}", POLICY, client_id="cid")
    await keys.aclose()


async def test_a_good_key_is_fetched_once_then_cached_per_tenant_and_url() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"signing_key": "the-signing-key"})

    keys = _keys(httpx.MockTransport(handle))
    url = f"https://cw.example.com{KEY_PATH}"
    assert await keys.get("acme", url, POLICY, client_id="cid") == "the-signing-key"
    assert await keys.get("acme", url, POLICY, client_id="cid") == "the-signing-key"
    await keys.get("other", url, POLICY, client_id="cid")
    assert len(seen) == 2  # once per tenant: one tenant's cache never serves another
    assert seen[0].headers["clientId"] == "cid"
    await keys.aclose()


async def test_a_public_name_that_resolves_to_a_private_address_is_never_fetched() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"signing_key": "k" * 10})

    rebound = Origin("https", "rebound.test", 443)
    keys = _keys(httpx.MockTransport(handle))
    with pytest.raises(CallbackRejected, match="non-public"):
        await keys.get("acme", f"https://rebound.test{KEY_PATH}", KeyUrlPolicy(rebound, None, False), client_id="c")
    assert seen == []
    await keys.aclose()
