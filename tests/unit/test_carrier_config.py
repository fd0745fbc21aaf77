"""The `[carriers]` config: off by default, every problem names its key, secrets are redacted, URLs are
checked like the other services', and each tenant carries its own providers."""

from __future__ import annotations

from pathlib import Path

import pytest

from orderbridge.config import load_settings
from orderbridge.config.tenants import load_tenants
from orderbridge.core.errors import ConfigError
from orderbridge.core.redaction import redact

MINIMAL = """
[connectwise]
company = "acme"
public_key = "pub"
private_key = "file-private-key"
client_id = "cid"

[tdsynnex]
user_id = "ops@acme.example"
password = "file-password"
customer_number = "123456"
"""
EASYPOST = """
[carriers]
enabled = true
[carriers.easypost]
api_key = "EZAKcanary-config-key-0001"
webhook_secret = "canary-hook-secret-0001"
"""

ROUTED = EASYPOST.replace("enabled = true\n", "enabled = true\nroute = {}\n")


def load(tmp_path: Path, extra: str) -> object:
    path = tmp_path / "orderbridge.toml"
    path.write_text(MINIMAL + extra, encoding="utf-8")
    return load_settings(path)


def problem(tmp_path: Path, extra: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, extra)
    return caught.value.message


def test_off_by_default_with_the_documented_hosts(tmp_path: Path) -> None:
    settings = load_settings(_write(tmp_path, MINIMAL))
    carriers = settings.carriers
    assert not carriers.enabled and carriers.configured_providers() == ()
    assert carriers.easypost.base_url == "https://api.easypost.com/v2"
    assert carriers.ups.token_url == "https://onlinetools.ups.com/security/v1/oauth/token"
    assert (carriers.fedex.base_url, carriers.fedex.batch_size) == ("https://apis.fedex.com", 30)
    assert carriers.forwarders.ship_methods == {"UPSN": "none"}


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "orderbridge.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_easypost_alone_follows_every_parcel_carrier_and_its_secrets_are_redacted(tmp_path: Path) -> None:
    settings = load_settings(_write(tmp_path, MINIMAL + EASYPOST))
    assert settings.carriers.routes() == {"ups": "easypost", "fedex": "easypost", "usps": "easypost", "dhl": "easypost"}
    text = redact("key EZAKcanary-config-key-0001, secret canary-hook-secret-0001")
    assert "EZAKcanary" not in text and "canary-hook-secret" not in text


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ("[carriers]\nenabled = true\n", "carriers.enabled needs at least one provider"),
        (ROUTED.format('{ UPS = "ups" }'), "names ups, but [carriers.ups] has no credentials"),
        (ROUTED.format('{ UPS = "shipstation" }'), "route.UPS: 'shipstation' is not a provider"),
        (EASYPOST + "[carriers.fedex]\nbatch_size = 31\n", "carriers.fedex.batch_size"),
        (EASYPOST + '[carriers.forwarders]\nnumbers = { "H320[" = "none" }\n', "is not a regular expression"),
        (EASYPOST + "[carriers.ups]\nclient_idd = 'x'\n", "carriers.ups.client_idd: unknown key"),
    ],
)
def test_problems_name_the_key(tmp_path: Path, extra: str, words: str) -> None:
    assert words in problem(tmp_path, extra)


def test_provider_urls_are_checked_like_the_others(tmp_path: Path) -> None:
    extra = EASYPOST.replace("[carriers.easypost]\n", '[carriers.easypost]\nbase_url = "http://127.0.0.1:8473/v2"\n')
    assert "carriers.easypost.base_url" in problem(tmp_path, extra)
    allowed = load_settings(_write(tmp_path, MINIMAL + extra + "[http]\nallow_insecure_loopback = true\n"))
    assert allowed.carriers.easypost.base_url == "http://127.0.0.1:8473/v2"
    internal = (
        EASYPOST
        + '[carriers.ups]\nclient_id = "u"\nclient_secret = "ups-secret-0001"\ntoken_url = "https://169.254.169.254/t"\n'
    )
    assert "carriers.ups.token_url" in problem(tmp_path, internal)


def test_a_secret_can_come_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERBRIDGE_CARRIERS__UPS__CLIENT_SECRET", "env-ups-secret-0001")
    extra = EASYPOST + '[carriers.ups]\nclient_id = "ups-client"\n'
    settings = load_settings(_write(tmp_path, MINIMAL + extra))
    assert settings.carriers.configured_providers() == ("easypost", "ups")
    assert settings.carriers.routes()["ups"] == "ups" and settings.carriers.routes()["usps"] == "easypost"


def test_each_tenant_has_its_own_providers(tmp_path: Path) -> None:
    text = """
[carriers]
route = { DHL = "none" }

[tenants.acme.connectwise]
company = "acme"
public_key = "pub-a"
private_key = "acme-private-key"
client_id = "cid"
[tenants.acme.tdsynnex]
user_id = "ops@acme.example"
password = "acme-password"
customer_number = "111111"
[tenants.acme.carriers]
enabled = true
[tenants.acme.carriers.fedex]
client_id = "acme-fedex"
client_secret = "acme-fedex-secret-1"

[tenants.globex.connectwise]
company = "globex"
public_key = "pub-g"
private_key = "globex-private-key"
client_id = "cid"
[tenants.globex.tdsynnex]
user_id = "ops@globex.example"
password = "globex-password"
customer_number = "222222"
"""
    acme, globex = load_tenants(_write(tmp_path, text))
    assert acme.settings.carriers.enabled and acme.settings.carriers.configured_providers() == ("fedex",)
    assert acme.settings.carriers.routes() == {"fedex": "fedex", "dhl": "none"}
    assert not globex.settings.carriers.enabled and globex.settings.carriers.configured_providers() == ()
