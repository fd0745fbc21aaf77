"""Many tenants in one config file: `[tenants.<name>]` tables merged over shared top-level sections.

`Settings` stays the per-tenant settings object, unchanged; this module only decides which data each
tenant's `Settings` is built from. A file without `[tenants]` is the single tenant "default", loaded
exactly as `load_settings` always has. Keeping each tenant's secrets apart is the point (4.6): a
tenant's own values, including `ORDERBRIDGE_TENANTS__<NAME>__...` variables, never reach another tenant.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from orderbridge.config.settings import (
    DEFAULT_CONFIG_PATH,
    ENV_PREFIX,
    Settings,
    deep_merge,
    env_name,
    invalid,
    load_settings,
    problem_text,
    register_settings_secrets,
)
from orderbridge.core.errors import ConfigError, ConfigFileNotFound

DEFAULT_TENANT = "default"
TENANTS_KEY = "tenants"
# The store's tenant column is 100 characters; names also become metric labels and env var parts.
TENANT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")


@dataclass(frozen=True)
class TenantConfig:
    name: str
    settings: Settings

    def __repr__(self) -> str:
        return f"TenantConfig(name={self.name!r})"


@dataclass(frozen=True)
class Config:
    """Every tenant one config file names, in file order (at least one)."""

    tenants: tuple[TenantConfig, ...]

    @property
    def shared(self) -> Settings:
        """The first tenant's settings: its `[store]`, `[worker]`, `[http]`... are the file's top-level
        sections unless that tenant overrides them. Commands that read the store or serve the dashboard
        use these."""
        return self.tenants[0].settings

    @property
    def names(self) -> list[str]:
        return [tenant.name for tenant in self.tenants]

    def select(self, names: Sequence[str]) -> list[TenantConfig]:
        """The tenants named (all when none is), or ConfigError naming the unknown ones."""
        if not names:
            return list(self.tenants)
        known = {tenant.name: tenant for tenant in self.tenants}
        unknown = [name for name in names if name not in known]
        if unknown:
            raise ConfigError("--tenant", f"no tenant named {', '.join(unknown)}; the config has {', '.join(known)}")
        return [known[name] for name in dict.fromkeys(names)]


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """The one loader every command uses: one tenant or many, from the file and ORDERBRIDGE_* variables."""
    return Config(tuple(load_tenants(path)))


class _FileOnlySettings(Settings):
    """`Settings` fed only what this module merged: its constructor must not read ORDERBRIDGE_* itself,
    or a global ORDERBRIDGE_CONNECTWISE__PRIVATE_KEY would beat every tenant's own key."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def load_tenants(path: str | os.PathLike[str] | None = None) -> list[TenantConfig]:
    """Every tenant the file names, validated; or the single tenant "default" when it names none.

    Precedence, highest first: the tenant's env variables, its `[tenants.<name>]` table, the shared env
    variables (`ORDERBRIDGE_HTTP__TIMEOUT_S`), the shared top-level sections of the file.
    """
    env = os.environ
    config_path = Path(path) if path is not None else Path(env.get(ENV_PREFIX + "CONFIG", DEFAULT_CONFIG_PATH))
    data = _read(config_path, explicit=path is not None)
    if TENANTS_KEY not in data:
        # load_settings reads the same file (or, when there is none, says so before listing missing keys).
        return [TenantConfig(DEFAULT_TENANT, load_settings(config_path if config_path.exists() else None))]
    tables = data.pop(TENANTS_KEY)
    if not isinstance(tables, dict) or not tables:
        raise ConfigError(f"{config_path} [{TENANTS_KEY}]", "needs at least one [tenants.<name>] table")
    shared = deep_merge(data, _env_tree(env, prefix=ENV_PREFIX, skip=ENV_PREFIX + "TENANTS__"))
    found: list[TenantConfig] = []
    seen: dict[str, str] = {}
    for name, table in tables.items():
        where = f"{config_path} [tenants.{name}]"
        if not TENANT_NAME.match(name):
            raise ConfigError(where, "tenant names use letters, digits, '-' and '_' (at most 100)")
        if not isinstance(table, dict):
            raise ConfigError(where, "must be a table of sections such as [tenants.<name>.connectwise]")
        # Environment variable names are case-insensitive in practice, so "Acme" and "acme" would share one.
        folded = _env_name(name)
        if folded in seen:
            raise ConfigError(where, f"clashes with tenant {seen[folded]!r} (names differ only in case or '-'/'_')")
        seen[folded] = name
        own = _env_tree(env, prefix=f"{ENV_PREFIX}TENANTS__{folded}__")
        merged = deep_merge(deep_merge(shared, table), own)
        found.append(TenantConfig(name, _validate(merged, name, where)))
    return found


def _read(config_path: Path, *, explicit: bool) -> dict[str, Any]:
    if not config_path.exists():
        if explicit:
            raise ConfigFileNotFound(str(config_path), f"file not found ({config_path.absolute()})")
        return {}
    try:
        return tomllib.loads(config_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(config_path), f"is not valid TOML: {exc}") from None


def _validate(data: dict[str, Any], name: str, where: str) -> Settings:
    try:
        settings: Settings = _FileOnlySettings(**data)
    except ValidationError as exc:
        raise ConfigError(where, invalid(_describe(name, exc))) from None
    register_settings_secrets(settings)
    return settings


def _describe(name: str, exc: ValidationError) -> list[str]:
    lines = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        key = f"tenants.{name}." + (".".join(loc) or "(top level)")
        message = problem_text(error)
        if error["type"] == "missing":
            variable = env_name(loc, f"{ENV_PREFIX}TENANTS__{_env_name(name)}__")
            message = f"required; set it in [tenants.{name}.{loc[0]}] or {variable}"
        lines.append(f"{key}: {message}")
    return lines


def _env_name(name: str) -> str:
    return name.upper().replace("-", "_")


def _env_tree(env: Mapping[str, str], *, prefix: str, skip: str | None = None) -> dict[str, Any]:
    """`PREFIX_SECTION__KEY=value` variables as nested dicts, keys lower-cased like the TOML ones."""
    tree: dict[str, Any] = {}
    for variable, value in env.items():
        upper = variable.upper()
        if not upper.startswith(prefix) or (skip and upper.startswith(skip)) or upper == ENV_PREFIX + "CONFIG":
            continue
        parts = [part.lower() for part in upper[len(prefix) :].split("__")]
        if len(parts) < 2 or not all(parts):
            continue  # not SECTION__KEY: not a settings variable
        node = tree
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            node[parts[-1]] = value
    return tree
