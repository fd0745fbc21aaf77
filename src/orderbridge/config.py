"""One frozen settings object: a TOML file plus ORDERBRIDGE_* environment overrides, validated once.

Environment variables nest with a double underscore, so `ORDERBRIDGE_CONNECTWISE__PRIVATE_KEY`
overrides `[connectwise] private_key`. Every problem is reported at start-up with the key that is
wrong and what to do, instead of surfacing as a KeyError in the middle of a cycle.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from orderbridge.errors import ConfigError, register_secret
from orderbridge.urlguard import refused_host

ENV_PREFIX = "ORDERBRIDGE_"
DEFAULT_CONFIG_PATH = "orderbridge.toml"


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ConnectWiseSettings(_Section):
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


class TDSynnexSettings(_Section):
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

    @field_validator("timezone")
    @classmethod
    def _zone_exists(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as America/Los_Angeles") from exc
        return value


class PartnerSettings(_Section):
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


class StatusNames(_Section):
    """ConnectWise PO status names for each stage; `setup` creates the missing ones."""

    accepted: str = Field(default="TDS Accepted", min_length=1, max_length=50)
    released: str = Field(default="TDS Released", min_length=1, max_length=50)
    shipped: str = Field(default="TDS Shipped", min_length=1, max_length=50)
    invoiced: str = Field(default="TDS Invoiced", min_length=1, max_length=50)
    closed: str = Field(default="TDS Closed", min_length=1, max_length=50)

    def all(self) -> tuple[str, ...]:
        return (self.accepted, self.released, self.shipped, self.invoiced, self.closed)


class HttpSettings(_Section):
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


class SyncSettings(_Section):
    release_on_fees: bool = Field(
        default=True,
        description="treat fee fields on an unshipped SO line as 'released' (spec v2.40 signal; UNCONFIRMED)",
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


class ScheduleSettings(_Section):
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


class StoreSettings(_Section):
    url: str = "sqlite:///orderbridge.db"


class CallbacksSettings(_Section):
    """ConnectWise callbacks received by `orderbridge web`: who may serve signing keys, and for how long."""

    allowed_origin: str | None = Field(
        default=None,
        description="exact origin (scheme://host[:port]) of an on-prem ConnectWise allowed to serve key_url",
    )
    key_cache_seconds: float = Field(default=300, ge=0, description="how long a fetched signing key is reused")
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, description="larger callback bodies get 413")
    per_tenant_per_minute: int = Field(default=600, ge=1, description="callbacks accepted per tenant per minute")

    @field_validator("allowed_origin")
    @classmethod
    def _origin_only(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError(f"{value!r} is not an origin; use https://host[:port]")
        if parts.username or parts.password or parts.path.strip("/") or parts.query or parts.fragment or "#" in value:
            raise ValueError(f"{value!r} must be an origin only: no userinfo, path, query or fragment")
        return f"{parts.scheme}://{parts.netloc.lower()}"


class WorkerSettings(_Section):
    """Scale-out (`orderbridge worker`, procrastinate on the PostgreSQL store)."""

    interval_seconds: int = Field(default=60, ge=1, le=3600, description="how often due tenants are queued")
    concurrency: int = Field(default=4, ge=1, le=256, description="tenant jobs one worker process runs at once")
    discover_minutes: float = Field(
        default=15, gt=0, description="a tenant with nothing due is still synced this often, to find new POs"
    )
    max_attempts: int = Field(default=3, ge=1, le=50, description="tries of one tenant job before it fails")
    retry_wait_seconds: int = Field(default=30, ge=0, description="wait before a failed tenant job is retried")
    stalled_after_seconds: float = Field(
        default=60, ge=5, description="a worker silent this long is presumed dead and its jobs are retried"
    )

    @field_validator("interval_seconds")
    @classmethod
    def _fits_cron(cls, value: int) -> int:
        # The period becomes a cron expression, which can only express divisors of a minute or an hour.
        if (value < 60 and 60 % value) or (value >= 60 and (value % 60 or 60 % (value // 60))):
            raise ValueError("use a divisor of 60 seconds (1, 2, 5, 10, 15, 30) or of 60 minutes, in seconds")
        return value


ALERT_STAGES = ("accepted", "released", "shipped", "invoiced")


class AlertSettings(_Section):
    """Exception-alert thresholds. A threshold of 0 switches its rule off."""

    ship_date_missed: bool = Field(default=True, description="alert when an estimated ship date passes unshipped")
    ship_date_grace_days: int = Field(default=0, ge=0, description="days after the estimate before it counts")
    stuck_days: dict[str, int] = Field(
        default_factory=lambda: {"accepted": 10, "released": 5},
        description="stage name -> days in that stage before an alert; stages not listed are not checked",
    )
    shipped_not_closed_days: int = Field(default=21, ge=0, description="days after the first shipment")
    not_found_hours: int = Field(default=24, ge=0, description="hours TD SYNNEX keeps answering notFound")
    repeated_errors: int = Field(default=3, ge=0, description="consecutive failed checks of one PO")
    forget_after_days: int = Field(
        default=30, ge=1, description="an order not checked for this long is no longer tracked: its alerts resolve"
    )

    @field_validator("stuck_days")
    @classmethod
    def _known_stages(cls, value: dict[str, int]) -> dict[str, int]:
        for stage, days in value.items():
            if stage not in ALERT_STAGES:
                raise ValueError(f"unknown stage {stage!r}; use one of {', '.join(ALERT_STAGES)}")
            if days < 0:
                raise ValueError(f"stuck_days.{stage} must be 0 (off) or more")
        return value


class NotificationSettings(_Section):
    """Apprise destinations. The URLs embed passwords and tokens, so they are secrets throughout."""

    urls: tuple[SecretStr, ...] = Field(
        default=(), description="Apprise URLs: mailto://, slack://, msteams://, json://"
    )
    alert_rules: tuple[str, ...] = Field(default=(), description="rules that notify; empty means every rule")
    notify_resolved: bool = Field(default=False, description="also notify when an alert resolves by itself")
    stage_changes: tuple[str, ...] = Field(default=("shipped",), description="stages whose arrival notifies")
    dashboard_url: str | None = Field(default=None, description="base URL of `orderbridge web`, for links")

    @field_validator("urls")
    @classmethod
    def _remember_secrets(cls, value: tuple[SecretStr, ...]) -> tuple[SecretStr, ...]:
        for url in value:
            register_url_secrets(url.get_secret_value())
        return value

    @field_validator("stage_changes")
    @classmethod
    def _stage_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        known = (*ALERT_STAGES, "closed")
        for stage in value:
            if stage not in known:
                raise ValueError(f"unknown stage {stage!r}; use one of {', '.join(known)}")
        return value


def register_url_secrets(url: str) -> None:
    """An Apprise URL carries its credentials in userinfo or in path tokens: redact all of them."""
    register_secret(url)
    parts = urlsplit(url)
    register_secret(parts.password)
    host = parts.hostname or ""
    # slack://TokenA/TokenB/TokenC keeps a token where a host would be; a real host name has a dot.
    for token in ([host] if "." not in host else []) + parts.path.split("/"):
        # Webhook tokens are long and mix letters and digits; words like channel names stay readable.
        if len(token) >= 8 and any(c.isdigit() for c in token) and any(c.isalpha() for c in token):
            register_secret(token)


class DaemonSettings(_Section):
    """`orderbridge run`: how the single-machine daemon discovers POs, paces itself and stops."""

    discovery_minutes: float = Field(default=5, gt=0, description="new POs are looked for at least this often")
    overlap_minutes: float = Field(
        default=10, ge=0, description="incremental listings re-read this far behind the cursor (clock skew, ties)"
    )
    full_listing_every: int = Field(default=24, ge=1, description="every Nth cycle lists every tracked PO")
    min_sleep_s: float = Field(default=5, ge=0, description="least pause between two cycles of one tenant")
    stop_deadline_s: float = Field(default=30, ge=0, description="on SIGTERM, in-flight POs get this long")
    failure_backoff_s: float = Field(default=60, ge=0, description="first pause after a failed cycle; doubles")
    failure_backoff_cap_s: float = Field(default=1800, ge=0)


class PayloadSettings(_Section):
    """Raw TD SYNNEX and ConnectWise answers kept for `doctor`, `replay` and support cases."""

    enabled: bool = Field(default=True, description="keep every answer that fed a decision, compressed")
    retention_days: int = Field(default=30, ge=1, le=3650, description="answers older than this are pruned")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        frozen=True,
        extra="forbid",
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        # No nested_model_default_partial_update: it merged a section's given dicts into the defaults, so
        # `stuck_days = { shipped = 3 }` still checked accepted and released (the file lists what is checked).
    )

    connectwise: ConnectWiseSettings
    tdsynnex: TDSynnexSettings
    statuses: StatusNames = StatusNames()
    http: HttpSettings = HttpSettings()
    partner: PartnerSettings = PartnerSettings()
    sync: SyncSettings = SyncSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    store: StoreSettings = StoreSettings()
    alerts: AlertSettings = AlertSettings()
    notifications: NotificationSettings = NotificationSettings()
    callbacks: CallbacksSettings = CallbacksSettings()
    worker: WorkerSettings = WorkerSettings()
    daemon: DaemonSettings = DaemonSettings()
    payloads: PayloadSettings = PayloadSettings()

    @model_validator(mode="after")
    def _urls_are_safe(self) -> Settings:
        urls = [("connectwise.base_url", self.connectwise.base_url), ("tdsynnex.url", self.tdsynnex.url)]
        if self.tdsynnex.invoice_url:
            urls.append(("tdsynnex.invoice_url", self.tdsynnex.invoice_url))
        if self.partner.enabled:
            urls += [("partner.base_url", self.partner.base_url), ("partner.token_url", self.partner.token_url)]
        for key, url in urls:
            check_url(
                key,
                url,
                allow_insecure_loopback=self.http.allow_insecure_loopback,
                allowed_private_origins=self.http.allowed_private_origins,
            )
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment first so ORDERBRIDGE_* overrides the file (passed in as init kwargs).
        return (env_settings, init_settings)


def is_loopback_host(host: str) -> bool:
    if host in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(
    key: str, url: str, *, allow_insecure_loopback: bool, allowed_private_origins: Sequence[str] = ()
) -> None:
    """HTTPS only, no userinfo; plain http only to loopback and only when explicitly allowed; no internal
    address in any spelling unless allowed (loopback by the flag, others by exact origin; see urlguard)."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError(f"{key}: {url!r} must use https://")
    if parts.username or parts.password:
        raise ValueError(f"{key}: credentials in the URL are not allowed; use the key/password settings")
    host = parts.hostname or ""
    if not host:
        raise ValueError(f"{key}: {url!r} is not an absolute URL")
    origin = f"{parts.scheme.lower()}://{parts.netloc.lower()}"
    problem = refused_host(
        host, origin=origin, allow_loopback=allow_insecure_loopback, allowed_origins=allowed_private_origins
    )
    if problem is not None:
        raise ValueError(f"{key}: {problem}")
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and allow_insecure_loopback and is_loopback_host(host):
        return
    if parts.scheme == "http" and is_loopback_host(host):
        raise ValueError(f"{key}: http:// to {host} needs [http] allow_insecure_loopback = true (simulators only)")
    raise ValueError(f"{key}: {url!r} must use https://")


def _describe(errors: list[Any]) -> list[str]:
    lines = []
    for error in errors:
        loc = ".".join(str(part) for part in error["loc"]) or "(top level)"
        message = error["msg"]
        if error["type"] == "missing":
            env = ENV_PREFIX + "__".join(str(p).upper() for p in error["loc"])
            message = f"required; set it in the config file or {env}"
        elif error["type"] == "extra_forbidden":
            message = "unknown key (check the spelling against config.example.toml)"
        lines.append(f"{loc}: {message}")
    return lines


def load_settings(path: str | os.PathLike[str] | None = None, *, overrides: dict[str, Any] | None = None) -> Settings:
    """Read the TOML file (if any), apply environment overrides, validate, or raise ConfigError."""
    data: dict[str, Any] = {}
    config_path = Path(path) if path is not None else Path(os.environ.get(ENV_PREFIX + "CONFIG", DEFAULT_CONFIG_PATH))
    if config_path.exists():
        try:
            data = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(str(config_path), f"is not valid TOML: {exc}") from None
    elif path is not None:
        raise ConfigError(str(config_path), "file not found")
    if overrides:
        data = deep_merge(data, overrides)
    try:
        settings = Settings(**data)
    except ValidationError as exc:
        raise ConfigError(str(config_path), "invalid:\n  " + "\n  ".join(_describe(exc.errors()))) from None
    register_secret(settings.connectwise.private_key.get_secret_value())
    register_secret(settings.tdsynnex.password.get_secret_value())
    register_secret(settings.partner.client_secret.get_secret_value())
    return settings


def deep_merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """`extra` over `base`, table by table (TOML sections and env overrides merge, they do not replace)."""
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
