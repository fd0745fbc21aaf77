"""Multi-tenant config: `[tenants.<name>]` over shared sections; one tenant's secrets never reach another."""

from __future__ import annotations

from pathlib import Path

import pytest

from orderbridge.config.tenants import load_tenants
from orderbridge.core.errors import ConfigError

SINGLE = """
[connectwise]
company = "acme"
public_key = "pub"
private_key = "acme-private-key"
client_id = "cid"

[tdsynnex]
user_id = "ops@acme.example"
password = "acme-password"
customer_number = "123456"
"""

MANY = """
[http]
timeout_s = 12.0

[schedule]
shipped_minutes = 90

[store]
url = "sqlite:///shared.db"

[tenants.acme.connectwise]
company = "acme"
public_key = "pub-a"
private_key = "acme-private-key"
client_id = "cid"

[tenants.acme.tdsynnex]
user_id = "ops@acme.example"
password = "acme-password"
customer_number = "111111"

[tenants.globex.connectwise]
company = "globex"
public_key = "pub-g"
private_key = "globex-private-key"
client_id = "cid"
requests_per_minute = 300

[tenants.globex.tdsynnex]
user_id = "ops@globex.example"
password = "globex-password"
customer_number = "222222"

[tenants.globex.schedule]
shipped_minutes = 30
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "orderbridge.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_file_without_tenants_is_the_single_default_tenant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERBRIDGE_TDSYNNEX__PASSWORD", "from-env")
    (only,) = load_tenants(write(tmp_path, SINGLE))
    assert only.name == "default"
    assert only.settings.connectwise.company == "acme"
    assert only.settings.tdsynnex.password.get_secret_value() == "from-env", "exactly as load_settings does"


def test_each_tenant_gets_its_own_sections_over_the_shared_ones(tmp_path: Path) -> None:
    acme, globex = load_tenants(write(tmp_path, MANY))
    assert (acme.name, globex.name) == ("acme", "globex")
    assert acme.settings.connectwise.private_key.get_secret_value() == "acme-private-key"
    assert globex.settings.connectwise.private_key.get_secret_value() == "globex-private-key"
    limits = (acme.settings.connectwise.requests_per_minute, globex.settings.connectwise.requests_per_minute)
    assert limits == (900, 300)
    assert acme.settings.http.timeout_s == globex.settings.http.timeout_s == 12.0
    assert (acme.settings.schedule.shipped_minutes, globex.settings.schedule.shipped_minutes) == (90, 30)
    assert acme.settings.store.url == globex.settings.store.url == "sqlite:///shared.db"
    assert "acme-private-key" not in repr(acme) and "acme-private-key" not in repr(acme.settings)


def test_tenant_env_variables_reach_only_their_tenant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERBRIDGE_TENANTS__GLOBEX__TDSYNNEX__PASSWORD", "rotated")
    monkeypatch.setenv("ORDERBRIDGE_HTTP__MAX_ATTEMPTS", "7")
    acme, globex = load_tenants(write(tmp_path, MANY))
    assert globex.settings.tdsynnex.password.get_secret_value() == "rotated"
    assert acme.settings.tdsynnex.password.get_secret_value() == "acme-password"
    assert acme.settings.http.max_attempts == globex.settings.http.max_attempts == 7


def test_a_global_secret_variable_never_beats_a_tenants_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERBRIDGE_CONNECTWISE__PRIVATE_KEY", "someone-elses-key")
    acme, globex = load_tenants(write(tmp_path, MANY))
    assert acme.settings.connectwise.private_key.get_secret_value() == "acme-private-key"
    assert globex.settings.connectwise.private_key.get_secret_value() == "globex-private-key"


def test_errors_name_the_tenant_and_the_key(tmp_path: Path) -> None:
    broken = MANY.replace('customer_number = "222222"\n', "")
    broken = broken.replace("requests_per_minute = 300", "request_per_minute = 1")
    with pytest.raises(ConfigError) as caught:
        load_tenants(write(tmp_path, broken))
    message = caught.value.message
    assert "[tenants.globex]" in message
    assert "tenants.globex.tdsynnex.customer_number: required" in message
    assert "ORDERBRIDGE_TENANTS__GLOBEX__TDSYNNEX__CUSTOMER_NUMBER" in message
    assert "tenants.globex.connectwise.request_per_minute: unknown key" in message
    assert "globex-private-key" not in message and "acme" not in message.split("[tenants.globex]")[1]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[tenants]\n", "at least one"),
        ('[tenants]\nacme = "x"\n', "must be a table"),
        ('[tenants."bad name".connectwise]\ncompany = "x"\n', "letters, digits"),
    ],
)
def test_malformed_tenant_tables_are_config_errors(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        load_tenants(write(tmp_path, text))


def test_names_that_would_share_env_variables_are_refused(tmp_path: Path) -> None:
    clash = MANY + '\n[tenants.ACME.connectwise]\ncompany = "other"\n'
    with pytest.raises(ConfigError, match="clashes with tenant 'acme'"):
        load_tenants(write(tmp_path, clash))


def test_missing_explicit_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_tenants(tmp_path / "nope.toml")
