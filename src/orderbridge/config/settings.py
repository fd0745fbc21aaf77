"""One frozen settings object: a TOML file plus ORDERBRIDGE_* environment overrides, validated once.

Environment variables nest with a double underscore, so `ORDERBRIDGE_CONNECTWISE__PRIVATE_KEY`
overrides `[connectwise] private_key`. Every problem is reported at start-up with the key that is
wrong and what to do, instead of surfacing as a KeyError in the middle of a cycle.

The tables themselves live in `config_services.py` (the two services and what is written to them),
`config_operations.py` (callbacks, workers, alerts, notifications, the daemon, payloads) and
`display.py` (what people are shown: the time zone, start-up notices); URL checks in
`urlguard.py`. Everything is importable from here, which is the import to use.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from orderbridge.config.carriers import CarrierSettings, EasyPostSettings, FedExSettings, UPSSettings
from orderbridge.config.display import DisplaySettings
from orderbridge.config.fulfilment import FulfilmentSettings
from orderbridge.config.operations import (
    ALERT_STAGES,
    AlertSettings,
    CallbacksSettings,
    DaemonSettings,
    LeaseSettings,
    NotificationSettings,
    PayloadSettings,
    WebSettings,
    WorkerSettings,
    register_url_secrets,
)
from orderbridge.config.services import (
    ConnectWiseSettings,
    HttpSettings,
    PartnerSettings,
    ScheduleSettings,
    Section,
    StatusNames,
    StoreSettings,
    SyncSettings,
    TDSynnexSettings,
)
from orderbridge.config.urls import check_url, is_loopback_host
from orderbridge.core.errors import ConfigError, ConfigFileNotFound
from orderbridge.core.redaction import register_secret

ENV_PREFIX = "ORDERBRIDGE_"
DEFAULT_CONFIG_PATH = "orderbridge.toml"


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
    web: WebSettings = WebSettings()
    display: DisplaySettings = DisplaySettings()
    carriers: CarrierSettings = CarrierSettings()
    lease: LeaseSettings = LeaseSettings()
    fulfilment: FulfilmentSettings = FulfilmentSettings()

    @model_validator(mode="after")
    def _urls_are_safe(self) -> Settings:
        urls = [("connectwise.base_url", self.connectwise.base_url), ("tdsynnex.url", self.tdsynnex.url)]
        if self.tdsynnex.invoice_url:
            urls.append(("tdsynnex.invoice_url", self.tdsynnex.invoice_url))
        if self.partner.enabled:
            urls += [("partner.base_url", self.partner.base_url), ("partner.token_url", self.partner.token_url)]
        if self.carriers.enabled:
            urls += self.carriers.service_urls()
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


def _describe(errors: list[Any]) -> list[str]:
    lines = []
    for error in errors:
        loc = ".".join(str(part) for part in error["loc"]) or "(top level)"
        message = problem_text(error)
        if error["type"] == "missing":
            message = f"required; set it in the config file or {env_name(error['loc'])}"
        lines.append(f"{loc}: {message}")
    return lines


def env_name(loc: Sequence[object], prefix: str = ENV_PREFIX) -> str:
    return prefix + "__".join(str(part).upper() for part in loc)


def problem_text(error: Any) -> str:
    """pydantic's message for one error, minus its "Value error, " prefix (ours are written to be read)."""
    if error["type"] == "extra_forbidden":
        return "unknown key (check the spelling against config.example.toml)"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def _required(loc: Sequence[object]) -> list[tuple[object, ...]]:
    """The keys a missing location stands for: a whole missing section is its required keys."""
    field = Settings.model_fields.get(str(loc[0])) if len(loc) == 1 else None
    section = field.annotation if field is not None else None
    if isinstance(section, type) and issubclass(section, BaseModel):
        return [(loc[0], name) for name, inner in section.model_fields.items() if inner.is_required()]
    return [tuple(loc)]


def invalid(problems: Sequence[str]) -> str:
    """One problem on the line it belongs to; several as an indented list."""
    return problems[0] if len(problems) == 1 else "invalid:\n  " + "\n  ".join(problems)


def file_not_found(config_path: Path, missing: Sequence[str]) -> str:
    """No config file and required keys missing: the file is the likely mistake, so it comes first.
    Variables alone can configure orderbridge, so the keys they would need are named too."""
    return (
        f"file not found ({config_path.absolute()}); pass --config PATH or set ORDERBRIDGE_CONFIG to use "
        f"another file (config.example.toml documents every key), or set the variables "
        f"{', '.join(missing)}"
    )


def load_settings(path: str | os.PathLike[str] | None = None, *, overrides: dict[str, Any] | None = None) -> Settings:
    """Read the TOML file (if any), apply environment overrides, validate, or raise ConfigError."""
    data: dict[str, Any] = {}
    config_path = Path(path) if path is not None else Path(os.environ.get(ENV_PREFIX + "CONFIG", DEFAULT_CONFIG_PATH))
    found = config_path.exists()
    if found:
        try:
            data = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(str(config_path), f"is not valid TOML: {exc}") from None
    elif path is not None:
        raise ConfigFileNotFound(str(config_path), f"file not found ({config_path.absolute()})")
    if overrides:
        data = deep_merge(data, overrides)
    try:
        settings = Settings(**data)
    except ValidationError as exc:
        errors = exc.errors()
        missing = [env_name(loc) for error in errors if error["type"] == "missing" for loc in _required(error["loc"])]
        if not found and missing:
            raise ConfigFileNotFound(str(config_path), file_not_found(config_path, missing)) from None
        raise ConfigError(str(config_path), invalid(_describe(errors))) from None
    register_settings_secrets(settings)
    return settings


def register_settings_secrets(settings: Settings) -> None:
    """Every secret the settings hold goes to the redactor, the store's database password included."""
    register_secret(settings.connectwise.private_key.get_secret_value())
    register_secret(settings.tdsynnex.password.get_secret_value())
    register_secret(settings.partner.client_secret.get_secret_value())
    register_secret(urlsplit(settings.store.url).password)


def deep_merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """`extra` over `base`, table by table (TOML sections and env overrides merge, they do not replace)."""
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


__all__ = [
    "ALERT_STAGES",
    "DEFAULT_CONFIG_PATH",
    "ENV_PREFIX",
    "AlertSettings",
    "CallbacksSettings",
    "CarrierSettings",
    "ConnectWiseSettings",
    "DaemonSettings",
    "DisplaySettings",
    "EasyPostSettings",
    "FedExSettings",
    "FulfilmentSettings",
    "HttpSettings",
    "LeaseSettings",
    "NotificationSettings",
    "PartnerSettings",
    "PayloadSettings",
    "ScheduleSettings",
    "Section",
    "Settings",
    "StatusNames",
    "StoreSettings",
    "SyncSettings",
    "TDSynnexSettings",
    "UPSSettings",
    "WebSettings",
    "WorkerSettings",
    "check_url",
    "deep_merge",
    "is_loopback_host",
    "load_settings",
    "register_url_secrets",
]
