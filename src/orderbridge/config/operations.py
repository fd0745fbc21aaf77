"""The config tables for running orderbridge: callbacks, scale-out workers, alerts, notifications,
the daemon, the kept payloads and the writer lease.

`[callbacks]`, `[worker]`, `[alerts]`, `[notifications]`, `[daemon]`, `[payloads]`, `[lease]`. Split from
`config.py` like `config_services.py`; `orderbridge.config` re-exports every name.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator

from orderbridge.config.services import Section
from orderbridge.core.redaction import register_secret


class CallbacksSettings(Section):
    """ConnectWise callbacks received by `orderbridge web`: who may serve signing keys, and for how long."""

    allowed_origin: str | None = Field(
        default=None,
        description="exact origin (scheme://host[:port]) of an on-prem ConnectWise allowed to serve key_url",
    )
    key_cache_seconds: float = Field(default=300, ge=0, description="how long a fetched signing key is reused")
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, description="larger callback bodies get 413")
    per_tenant_per_minute: int = Field(
        default=600, ge=1, description="verified callbacks accepted per tenant per minute; more get 429"
    )
    unverified_per_source_per_minute: int = Field(
        default=60,
        ge=1,
        description="failed verifications and signing-key fetches allowed per source address per minute",
    )

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


class WebSettings(Section):
    """`orderbridge web` with an access token: how long a sign-in lasts, how wrong tokens are slowed down."""

    session_idle_minutes: float = Field(default=30, gt=0, description="a session unused this long ends")
    session_max_hours: float = Field(default=12, gt=0, description="a session ends this long after sign-in")
    login_free_attempts: int = Field(
        default=5, ge=1, description="wrong tokens one address may try before each further one locks it out"
    )
    login_lockout_max_seconds: float = Field(
        default=900, gt=0, description="the lockout doubles from 1 s with each wrong token, up to this"
    )


class WorkerSettings(Section):
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


class AlertSettings(Section):
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
    # Delivery (carrier tracking, [carriers]): read from the parcels the carriers reported on.
    delivery_slipped_days: int = Field(
        default=1, ge=0, description="a carrier's estimate later than its first estimate by more than this many days"
    )
    carrier_exception: bool = Field(default=True, description="alert on a carrier exception or failed attempt")
    delivered_elsewhere_or_returned: bool = Field(
        default=True, description="alert when a package is returned to the sender or delivered somewhere else"
    )
    no_carrier_scan_days: int = Field(
        default=3, ge=0, description="days after TD SYNNEX shipped a package without any carrier scan"
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


class NotificationSettings(Section):
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


class DaemonSettings(Section):
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


class PayloadSettings(Section):
    """Raw TD SYNNEX and ConnectWise answers kept for `doctor`, `replay` and support cases."""

    enabled: bool = Field(default=True, description="keep every answer that fed a decision, compressed")
    retention_days: int = Field(default=30, ge=1, le=3650, description="answers older than this are pruned")


class LeaseSettings(Section):
    """The writer lease (runners/writer.py): one process at a time writes to a tenant's ConnectWise."""

    duration_seconds: float = Field(
        default=120,
        ge=10,
        le=3600,
        description="a lease not renewed for this long is free; the holder renews it every quarter of it",
    )
    wait_seconds: float = Field(
        default=0, ge=0, le=3600, description="how long a command waits for a busy tenant before it gives up"
    )
