"""The `[carriers]` config tables: which carrier-tracking providers follow shipped packages, and how.

`[carriers]` (the switch, the carrier -> provider route), `[carriers.easypost]`, `[carriers.ups]`,
`[carriers.fedex]` (credentials and hosts), `[carriers.forwarders]` (references that are not parcel
numbers). Kept apart from `services.py` because it is one feature's settings and grows with it;
`orderbridge.config` re-exports every name. Secrets are registered for redaction when a table is read,
so settings built directly (tests, tenants) never leak them either.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator

from orderbridge.config.services import Section
from orderbridge.core.redaction import register_secret

PROVIDERS = ("easypost", "ups", "fedex")
NO_PROVIDER = "none"
# The parcel carriers a provider follows when `route` says nothing (rules/carriers.py spells them so).
PARCEL_CARRIERS = ("UPS", "FedEx", "USPS", "DHL")
FEDEX_MAX_BATCH = 30  # trackingInfo holds at most 30 numbers per request (carriers.md §3.3)


class EasyPostSettings(Section):
    """EasyPost Trackers: one API key follows many carriers. Basic auth with the key as user name."""

    api_key: SecretStr = SecretStr("")
    base_url: str = "https://api.easypost.com/v2"
    webhook_secret: SecretStr = Field(
        default=SecretStr(""), description="checks X-Hmac-Signature on tracker.updated webhooks; empty: none"
    )
    concurrency: int = Field(default=4, ge=1, le=64)
    requests_per_minute: int = Field(default=300, ge=1)

    @property
    def configured(self) -> bool:
        return bool(self.api_key.get_secret_value())

    @field_validator("base_url")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.rstrip("/")


class UPSSettings(Section):
    """UPS Tracking API (OAuth2 client credentials; one GET per number)."""

    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    base_url: str = "https://onlinetools.ups.com/api"  # CIE (test): https://wwwcie.ups.com/api
    token_url: str = "https://onlinetools.ups.com/security/v1/oauth/token"  # noqa: S105 (a URL, not a secret)
    transaction_src: str = Field(default="orderbridge", min_length=1, max_length=512)
    concurrency: int = Field(default=4, ge=1, le=64)
    requests_per_minute: int = Field(default=300, ge=1)

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret.get_secret_value())

    @field_validator("base_url")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.rstrip("/")


class FedExSettings(Section):
    """FedEx Track API (OAuth2 client credentials; up to 30 numbers per POST)."""

    client_id: str = Field(default="", description="the FedEx API key")
    client_secret: SecretStr = Field(default=SecretStr(""), description="the FedEx secret key")
    base_url: str = "https://apis.fedex.com"  # sandbox: https://apis-sandbox.fedex.com
    token_url: str = "https://apis.fedex.com/oauth/token"  # noqa: S105 (a URL, not a secret)
    batch_size: int = Field(default=FEDEX_MAX_BATCH, ge=1, le=FEDEX_MAX_BATCH)
    concurrency: int = Field(default=4, ge=1, le=64)
    requests_per_minute: int = Field(default=600, ge=1)

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret.get_secret_value())

    @field_validator("base_url")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.rstrip("/")


def _provider_name(key: str, value: str) -> str:
    name = value.strip().lower()
    if name not in (*PROVIDERS, NO_PROVIDER):
        raise ValueError(f"{key}: {value!r} is not a provider; use one of {', '.join(PROVIDERS)} or {NO_PROVIDER!r}")
    return name


class ForwarderSettings(Section):
    """References that are not parcel tracking numbers (LTL pro numbers, forwarders' house bills, drop-ship
    references): which provider follows them, or "none". Parcel providers are never asked about them
    unless a row here names one."""

    ship_methods: dict[str, str] = Field(
        default_factory=lambda: {"UPSN": NO_PROVIDER},
        description="TD SYNNEX ship-method code -> provider or 'none'",
    )
    numbers: dict[str, str] = Field(
        default_factory=lambda: {"H320[0-9]+": NO_PROVIDER},
        description="regular expression matching the whole reference -> provider or 'none'",
    )

    @field_validator("ship_methods")
    @classmethod
    def _codes(cls, value: dict[str, str]) -> dict[str, str]:
        return {code.strip().upper(): _provider_name(f"ship_methods.{code}", p) for code, p in value.items()}

    @field_validator("numbers")
    @classmethod
    def _patterns(cls, value: dict[str, str]) -> dict[str, str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"numbers.{pattern!r} is not a regular expression: {exc}") from None
        return {pattern: _provider_name(f"numbers.{pattern}", p) for pattern, p in value.items()}


class CarrierSettings(Section):
    """`[carriers]`: follow shipped packages with carrier-tracking providers until they are delivered."""

    enabled: bool = False
    route: dict[str, str] = Field(
        default_factory=dict,
        description="carrier name (as TD SYNNEX's ship method names it) -> provider or 'none'; unlisted "
        "parcel carriers go to their own provider when configured, else to EasyPost when configured",
    )
    calls_per_package: int = Field(
        default=24, ge=1, description="provider answers asked per package at most; then the grace rule applies"
    )
    give_up_days: int = Field(
        default=10, ge=1, description="stop polling a package after this many days without a scan"
    )
    poll_in_transit_hours: float = Field(default=12.0, gt=0, description="poll interval in transit")
    poll_far_hours: float = Field(
        default=24.0, gt=0, description="poll interval while the estimated day is two or more days ahead"
    )
    poll_near_delivery_hours: float = Field(
        default=3.0, gt=0, description="poll interval on and after the estimated day, and out for delivery"
    )
    slip_days: int = Field(
        default=1, ge=0, description="a delivery_delayed event when the estimate moves later by more than this"
    )
    delivered_field: str = Field(
        default="", max_length=100, description="PO custom field for the delivered date and signer; '' = none"
    )
    timezone: str = Field(
        default="", description="IANA zone of delivery times in PO notes; '' = [display] timezone, else UTC"
    )
    forwarders: ForwarderSettings = ForwarderSettings()
    easypost: EasyPostSettings = EasyPostSettings()
    ups: UPSSettings = UPSSettings()
    fedex: FedExSettings = FedExSettings()

    @field_validator("timezone")
    @classmethod
    def _zone_exists(cls, value: str) -> str:
        if value:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"{value!r} is not an IANA time zone (e.g. America/Chicago)") from None
        return value

    @field_validator("route")
    @classmethod
    def _route_names(cls, value: dict[str, str]) -> dict[str, str]:
        return {carrier.strip(): _provider_name(f"route.{carrier}", p) for carrier, p in value.items()}

    @model_validator(mode="after")
    def _consistent(self) -> CarrierSettings:
        for secret in (self.easypost.api_key, self.easypost.webhook_secret, self.ups.client_secret):
            register_secret(secret.get_secret_value())
        register_secret(self.fedex.client_secret.get_secret_value())
        if not self.enabled:
            return self
        configured = self.configured_providers()
        if not configured:
            raise ValueError(
                "carriers.enabled needs at least one provider: [carriers.easypost] api_key, or client_id and "
                "client_secret in [carriers.ups] or [carriers.fedex]"
            )
        named = [*self.route.items(), *self.forwarders.ship_methods.items(), *self.forwarders.numbers.items()]
        for key, provider in named:
            if provider != NO_PROVIDER and provider not in configured:
                raise ValueError(f"carriers: {key!r} names {provider}, but [carriers.{provider}] has no credentials")
        return self

    def configured_providers(self) -> tuple[str, ...]:
        found = {"easypost": self.easypost.configured, "ups": self.ups.configured, "fedex": self.fedex.configured}
        return tuple(name for name, configured in found.items() if configured)

    def routes(self) -> dict[str, str]:
        """carrier (case-folded) -> provider or "none": `route` over the defaults for the parcel carriers."""
        configured = self.configured_providers()
        own = {"UPS": "ups", "FedEx": "fedex"}
        found: dict[str, str] = {}
        for carrier in PARCEL_CARRIERS:
            if own.get(carrier) in configured:
                found[carrier.casefold()] = own[carrier]
            elif "easypost" in configured:
                found[carrier.casefold()] = "easypost"
        found.update({carrier.casefold(): provider for carrier, provider in self.route.items()})
        return found

    def service_urls(self) -> list[tuple[str, str]]:
        """(key, URL) of every configured provider, for the URL checks `Settings` makes."""
        urls: list[tuple[str, str]] = []
        if self.easypost.configured:
            urls.append(("carriers.easypost.base_url", self.easypost.base_url))
        for name, table in (("ups", self.ups), ("fedex", self.fedex)):
            if table.configured:
                urls += [(f"carriers.{name}.base_url", table.base_url), (f"carriers.{name}.token_url", table.token_url)]
        return urls
