"""The config tables that say how orderbridge reaches ConnectWise and TD SYNNEX, and what it writes.

`[connectwise]`, `[tdsynnex]`, `[partner]`, `[http]`, `[statuses]`, `[sync]`, `[schedule]`, `[store]`.
Split from `config.py` (which assembles them into `Settings` and loads the file) so each module stays
readable; `orderbridge.config` re-exports every name, and that is the import to use.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from orderbridge.core.redaction import register_secret

STORE_BACKENDS = ("sqlite", "postgresql")
STORE_EXAMPLES = "sqlite:///path/orderbridge.db or postgresql+psycopg://user:password@host/database"


def _not_blank(value: SecretStr, what: str) -> SecretStr:
    # An empty secret would only fail later, at the first call, as a credentials problem.
    if not value.get_secret_value().strip():
        raise ValueError(f"is empty; set {what}")
    return value


class Section(BaseModel):
    """A config table: frozen, and an unknown key is an error (a typo must not be ignored)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class ConnectWiseSettings(Section):
    base_url: str = "https://api-na.myconnectwise.net/v4_6_release/apis/3.0"
    company: str = Field(min_length=1)
    public_key: str = Field(min_length=1)
    private_key: SecretStr
    client_id: str = Field(min_length=1, description="the clientId GUID from developer.connectwise.com")
    api_version: str = "2025.1"
    tracking_field: str = Field(default="Send to TDS", description="caption of the checkbox custom field")
    page_size: int = Field(default=1000, ge=1, le=1000)
    concurrency: int = Field(default=4, ge=1, le=64)
    requests_per_minute: int = Field(default=900, ge=1)

    @field_validator("base_url")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("private_key")
    @classmethod
    def _private_key_given(cls, value: SecretStr) -> SecretStr:
        return _not_blank(value, "the API member's private key")


class TDSynnexSettings(Section):
    url: str = "https://ec.synnex.com/SynnexXML/POStatus"
    user_id: str = Field(min_length=1)
    password: SecretStr
    customer_number: str = Field(min_length=1, max_length=10)
    timezone: str = Field(default="America/Los_Angeles", description="zone of offset-less XML timestamps")
    request_version: str = "2.7"
    concurrency: int = Field(default=8, ge=1, le=256)
    requests_per_minute: int = Field(default=600, ge=1)
    invoice_url: str | None = Field(
        default="https://ws.us.tdsynnex.com/webservice/invoice/query",
        description="invoice query service; empty to rely on the PO Status codes alone",
    )

    @field_validator("password")
    @classmethod
    def _password_given(cls, value: SecretStr) -> SecretStr:
        return _not_blank(value, "the XML PO Status login's password")

    @field_validator("timezone")
    @classmethod
    def _zone_exists(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as America/Los_Angeles") from exc
        return value


class PartnerSettings(Section):
    """TD SYNNEX Partner REST API (OAuth2 client credentials), for POs known only by sales-order number."""

    enabled: bool = False
    base_url: str = "https://api.us.tdsynnex.com"
    token_url: str = "https://sso.us.tdsynnex.com/oauth2/v1/token"  # noqa: S105 (a URL, not a secret)
    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    concurrency: int = Field(default=4, ge=1, le=64)
    requests_per_minute: int = Field(default=300, ge=1)

    @model_validator(mode="after")
    def _credentials_when_enabled(self) -> PartnerSettings:
        if self.enabled and (not self.client_id or not self.client_secret.get_secret_value()):
            raise ValueError("partner.enabled needs partner.client_id and partner.client_secret")
        return self


class StatusNames(Section):
    """ConnectWise PO status names for each stage; `setup` creates the missing ones."""

    accepted: str = Field(default="TDS Accepted", min_length=1, max_length=50)
    released: str = Field(default="TDS Released", min_length=1, max_length=50)
    shipped: str = Field(default="TDS Shipped", min_length=1, max_length=50)
    invoiced: str = Field(default="TDS Invoiced", min_length=1, max_length=50)
    closed: str = Field(default="TDS Closed", min_length=1, max_length=50)

    def all(self) -> tuple[str, ...]:
        return (self.accepted, self.released, self.shipped, self.invoiced, self.closed)


class HttpSettings(Section):
    # A rejected value is not echoed back: `proxy` may carry a password.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    timeout_s: float = Field(default=30.0, gt=0)
    connect_timeout_s: float = Field(default=10.0, gt=0)
    max_attempts: int = Field(default=4, ge=1, le=20)
    backoff_base_s: float = Field(default=0.5, ge=0)
    backoff_cap_s: float = Field(default=30.0, ge=0)
    max_retry_after_s: float = Field(default=120.0, ge=0, description="longest Retry-After we wait inline")
    max_response_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    allow_insecure_loopback: bool = Field(
        default=False, description="allow http:// to 127.0.0.1/localhost (the simulators) only"
    )
    allowed_private_origins: tuple[str, ...] = Field(
        default=(), description="exact origins (https://10.0.0.5:8443) of on-premise hosts on internal addresses"
    )
    proxy: SecretStr | None = Field(
        default=None,
        description="http:// forward proxy for every outbound call (overrides HTTPS_PROXY/HTTP_PROXY; NO_PROXY "
        "still applies); credentials may be in it and are never shown",
    )
    ca_bundle: str | None = Field(
        default=None, description="PEM file of extra CA certificates trusted on top of the system trust store"
    )
    keepalive_expiry_s: float = Field(
        default=15.0, gt=0, le=3600, description="an idle pooled connection is closed after this many seconds"
    )

    @field_validator("proxy")
    @classmethod
    def _proxy_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        problem = proxy_problem(value.get_secret_value())
        if problem is not None:
            raise ValueError(problem)
        password = urlsplit(value.get_secret_value().strip()).password
        if password:  # kept out of every log line and error, whole URL and password alone
            register_secret(value.get_secret_value().strip())
            register_secret(password)
        return value

    @field_validator("ca_bundle")
    @classmethod
    def _ca_bundle_loads(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        path = Path(value).expanduser()
        if not path.is_file():
            raise ValueError(f"{value!r} is not a file; give the path of a PEM file of CA certificates")
        try:
            # A bare context: loading the bundle alone shows whether it parses, without the system store.
            ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=str(path))
        except (ssl.SSLError, OSError) as exc:
            raise ValueError(f"{value!r} holds no readable PEM CA certificate ({exc.__class__.__name__})") from None
        return str(path)


def proxy_problem(url: str) -> str | None:
    """What is wrong with a forward-proxy URL, or None. Only http:// proxies: TLS to the proxy itself
    (https://) and SOCKS are not supported by the HTTP engine (aiohttp). The URL is never quoted back,
    because it may carry a password."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() != "http":
        return "the proxy must be an http:// URL (https:// and socks proxies are not supported)"
    try:
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError:
        return "the proxy URL has an invalid port"
    if not parts.hostname:
        return "the proxy URL names no host"
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return "the proxy URL must be http://[user:password@]host[:port] with no path or query"
    return None


class SyncSettings(Section):
    release_on_fees: bool = Field(
        default=True,
        description="treat fee fields on an unshipped SO line as 'released' where they can mean it: answers "
        "older than v2.7, or v2.7 answers that leave fees off some items (v2.7 puts them on every item); UNCONFIRMED",
    )
    close_after_days: int = Field(
        default=7, ge=0, description="invoiced + fully shipped: CLOSED this many days after the last ship date"
    )
    canceled_reason: str = Field(default="Deleted at TD SYNNEX", max_length=100)
    tracking_numbers_field: str | None = Field(
        default=None, description="PO custom field caption that receives every tracking number"
    )
    expected_delivery_field: str | None = Field(
        default=None, description="PO custom field caption for the estimated delivery date"
    )
    notes: bool = Field(default=True, description="write one PO note per stage change")
    quiet_checks: bool = Field(
        default=True,
        description="skip planning a PO whose TD SYNNEX answer and ConnectWise PO are unchanged since a check "
        "that left it in step (false: plan every PO every cycle)",
    )
    attention_after_failures: int = Field(
        default=3, ge=1, description="consecutive failed cycles before a PO is flagged 'needs attention'"
    )


class ScheduleSettings(Section):
    """How often each stage is re-checked (adaptive polling), in minutes, with +/- jitter."""

    new_minutes: float = Field(default=15, gt=0)
    accepted_minutes: float = Field(default=15, gt=0)
    released_minutes: float = Field(default=15, gt=0)
    shipped_minutes: float = Field(default=60, gt=0)
    invoiced_minutes: float = Field(default=360, gt=0)
    closed_minutes: float = Field(default=1440, gt=0)
    closed_grace_days: float = Field(default=14, ge=0, description="stop checking this long after CLOSED")
    retry_minutes: float = Field(default=5, gt=0, description="first retry after a failed check")
    retry_cap_minutes: float = Field(default=360, gt=0)
    jitter: float = Field(default=0.1, ge=0, le=0.5, description="fraction of the interval, either way")


class StoreSettings(Section):
    url: str = "sqlite:///orderbridge.db"

    @field_validator("url")
    @classmethod
    def _supported(cls, value: str) -> str:
        # Checked here so `doctor` and every command report a wrong URL as config (exit 2), not a traceback.
        # The URL itself is never echoed: it may hold the database password.
        scheme = value.split("://", 1)[0] if "://" in value else ""
        backend = scheme.split("+", 1)[0].lower()
        if backend not in STORE_BACKENDS:
            what = f"{backend!r} databases are" if backend else "this is not a database URL, so it is"
            raise ValueError(f"{what} not supported; use {STORE_EXAMPLES}")
        return value
