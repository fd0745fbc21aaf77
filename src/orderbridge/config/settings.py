"""One frozen settings object: a TOML file plus ORDERBRIDGE_* environment overrides, validated once.

Environment variables nest with a double underscore, so `ORDERBRIDGE_CONNECTWISE__PRIVATE_KEY`
overrides `[connectwise] private_key`. Every problem is reported at start-up with the key that is
wrong and what to do, instead of surfacing as a KeyError in the middle of a cycle.

The tables themselves live in `config_services.py` (the two services and what is written to them) and
`config_operations.py` (callbacks, workers, alerts, notifications, the daemon, payloads); URL checks in
`urlguard.py`. Everything is importable from here, which is the import to use.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from orderbridge.config.operations import (
    ALERT_STAGES,
    AlertSettings,
    CallbacksSettings,
    DaemonSettings,
    LeaseSettings,
    NotificationSettings,
    PayloadSettings,
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
from orderbridge.core.errors import ConfigError
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
    lease: LeaseSettings = LeaseSettings()

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


__all__ = [
    "ALERT_STAGES",
    "DEFAULT_CONFIG_PATH",
    "ENV_PREFIX",
    "AlertSettings",
    "CallbacksSettings",
    "ConnectWiseSettings",
    "DaemonSettings",
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
    "WorkerSettings",
    "check_url",
    "deep_merge",
    "is_loopback_host",
    "load_settings",
    "register_url_secrets",
]
