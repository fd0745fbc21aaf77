"""Configuration: one loader for one or many tenants, frozen pydantic settings, and the URL rules.

`load_config` (tenants.py) is the loader every command uses: a file without `[tenants]` is the single
tenant "default". The tables live in `services.py` (how orderbridge reaches ConnectWise and TD SYNNEX,
and what it writes) and `operations.py` (callbacks, workers, alerts, notifications, the daemon,
payloads, the writer lease); `settings.py` holds the `Settings` object that gathers them, `urls.py`
the URL checks.
Everything is importable from here, which is the import to use.
"""

from orderbridge.config.settings import (
    ALERT_STAGES,
    DEFAULT_CONFIG_PATH,
    ENV_PREFIX,
    AlertSettings,
    CallbacksSettings,
    ConnectWiseSettings,
    DaemonSettings,
    HttpSettings,
    LeaseSettings,
    NotificationSettings,
    PartnerSettings,
    PayloadSettings,
    ScheduleSettings,
    Section,
    Settings,
    StatusNames,
    StoreSettings,
    SyncSettings,
    TDSynnexSettings,
    WorkerSettings,
    check_url,
    deep_merge,
    is_loopback_host,
    load_settings,
    register_url_secrets,
)

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
