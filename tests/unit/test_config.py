"""Configuration: TOML plus ORDERBRIDGE_* overrides, validated once, errors naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from orderbridge.config import check_url, load_settings
from orderbridge.core.errors import ConfigError

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


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "orderbridge.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_fill_everything_not_given(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, MINIMAL))
    assert settings.connectwise.page_size == 1000
    assert settings.statuses.shipped == "TDS Shipped"
    assert settings.tdsynnex.timezone == "America/Los_Angeles"
    assert settings.store.url.startswith("sqlite:///")


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERBRIDGE_CONNECTWISE__PRIVATE_KEY", "env-private-key")
    monkeypatch.setenv("ORDERBRIDGE_TDSYNNEX__CONCURRENCY", "3")
    settings = load_settings(write(tmp_path, MINIMAL))
    assert settings.connectwise.private_key.get_secret_value() == "env-private-key"
    assert settings.connectwise.company == "acme"
    assert settings.tdsynnex.concurrency == 3


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (None, {"accepted": 10, "released": 5}),  # no [alerts] key: the documented defaults
        ("{}", {}),  # an empty table checks no stage
        ("{ shipped = 3 }", {"shipped": 3}),  # a table lists exactly what is checked, not defaults plus it
        ("{ accepted = 0 }", {"accepted": 0}),
    ],
)
def test_stuck_days_is_what_the_file_lists(tmp_path: Path, table: str | None, expected: dict[str, int]) -> None:
    # Regression: nested_model_default_partial_update merged the table into the defaults.
    text = MINIMAL if table is None else MINIMAL + f"\n[alerts]\nstuck_days = {table}\n"
    assert load_settings(write(tmp_path, text)).alerts.stuck_days == expected


def test_environment_adds_to_a_table_from_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERBRIDGE_ALERTS__STUCK_DAYS__SHIPPED", "4")
    monkeypatch.setenv("ORDERBRIDGE_ALERTS__REPEATED_ERRORS", "5")
    settings = load_settings(write(tmp_path, MINIMAL + "\n[alerts]\nstuck_days = { accepted = 2 }\n"))
    assert settings.alerts.stuck_days == {"accepted": 2, "shipped": 4}
    assert settings.alerts.repeated_errors == 5
    assert settings.alerts.forget_after_days == 30


def test_secrets_are_masked_in_repr(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, MINIMAL))
    text = repr(settings) + str(settings) + settings.model_dump_json()
    assert "file-private-key" not in text and "file-password" not in text


@pytest.mark.parametrize(
    ("change", "key", "hint"),
    [
        (('company = "acme"\n', ""), "connectwise.company", "ORDERBRIDGE_CONNECTWISE__COMPANY"),
        (('client_id = "cid"', 'client_id = "cid"\npage_size = 5000'), "connectwise.page_size", "1000"),
        (('customer_number = "123456"', 'customer_number = "12345678901"'), "tdsynnex.customer_number", "10"),
        (('client_id = "cid"', 'client_id = "cid"\ntypo_key = 1'), "connectwise.typo_key", "unknown key"),
        (('password = "file-password"', 'password = "p"\ntimezone = "Mars/Olympus"'), "tdsynnex.timezone", "IANA"),
    ],
)
def test_each_problem_names_its_key(tmp_path: Path, change: tuple[str, str], key: str, hint: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, MINIMAL.replace(*change)))
    assert key in str(caught.value)
    assert hint in str(caught.value)


def test_invalid_toml_and_missing_file_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(write(tmp_path, "[connectwise\n"))
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "absent.toml")


@pytest.mark.parametrize(
    "url",
    [
        "http://api-na.myconnectwise.net/v4_6_release/apis/3.0",
        "ftp://ec.synnex.com/SynnexXML/POStatus",
        "https://user:pw@api-na.myconnectwise.net/v4_6_release/apis/3.0",
        "http://127.0.0.1:8471/v4_6_release/apis/3.0",
        "not a url",
    ],
)
def test_unsafe_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        check_url("connectwise.base_url", url, allow_insecure_loopback=False)


def test_plain_http_to_loopback_only_when_allowed() -> None:
    check_url("tdsynnex.url", "http://127.0.0.1:8472/SynnexXML/POStatus", allow_insecure_loopback=True)
    check_url("tdsynnex.url", "http://localhost:8472/SynnexXML/POStatus", allow_insecure_loopback=True)
    with pytest.raises(ValueError):
        check_url("tdsynnex.url", "http://10.0.0.5/SynnexXML/POStatus", allow_insecure_loopback=True)
