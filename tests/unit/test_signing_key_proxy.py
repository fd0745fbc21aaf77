"""ConnectWise callback signing keys are fetched over the production transport, so `[http] proxy` and
`[http] ca_bundle` apply to them as to every other outbound call (before, the key fetch had its own
client that ignored both: a web host behind a proxy could not verify a single callback).

The key server's certificate names origin.test, which resolves nowhere: a fetch that succeeds went
through the CONNECT proxy (which takes every name to be 127.0.0.1) and trusted the private CA."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from http_servers import ConnectProxy, PrivateCA, answer, start

from orderbridge.callbacks.keys import SigningKeys
from orderbridge.callbacks.verify import CallbackRejected, KeyUrlPolicy, Origin
from orderbridge.config import HttpSettings


async def public(host: str) -> list[str]:
    return ["93.184.216.34"]  # the address check passes; the proxy decides where the bytes go


@pytest.fixture(autouse=True)
def no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


async def test_the_signing_key_is_fetched_through_the_proxy_with_the_private_ca(tmp_path: Path) -> None:
    ca = PrivateCA.make(tmp_path)
    body = json.dumps({"signing_key": "a2V5LWZyb20tb3JpZ2lu"}).encode()
    origin, server = await start(lambda ex: answer(body), ssl_context=ca.server_context())
    proxy = await ConnectProxy().start()
    try:
        key_url = f"https://origin.test:{origin.port}/v4_6_release/apis/3.0/system/callbackkeys/1"
        policy = KeyUrlPolicy(tenant_origin=Origin.parse(key_url), allowed_origin=None, allow_insecure_loopback=False)
        via_proxy = HttpSettings(proxy=proxy.url, ca_bundle=str(ca.bundle))
        keys = SigningKeys(ttl=timedelta(minutes=5), resolve=public, http=via_proxy)
        try:
            assert await keys.get("default", key_url, policy, client_id="cid") == "a2V5LWZyb20tb3JpZ2lu"
        finally:
            await keys.aclose()
        assert proxy.lines == [f"CONNECT origin.test:{origin.port} HTTP/1.1"]

        direct = SigningKeys(ttl=timedelta(minutes=5), resolve=public, http=HttpSettings(ca_bundle=str(ca.bundle)))
        try:
            with pytest.raises(CallbackRejected, match="signing-key fetch failed"):
                await direct.get("default", key_url, policy, client_id="cid")  # origin.test resolves nowhere
        finally:
            await direct.aclose()
    finally:
        await proxy.close()
        server.close()
