"""The tenants a worker serves, by name: the directory the jobs and the callback receiver look up.

Tenants come from the config file exactly as for `orderbridge run` (`orderbridge.config.tenants`:
`[tenants.<name>]` tables, or the single tenant "default"). The worker adds one rule: every tenant
must use the same store, because the queue, the per-tenant locks and the callback inbox live in
that one PostgreSQL database. Tests and embedders build a `StaticTenants` in memory instead.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from typing import Protocol

from orderbridge.config.settings import Settings
from orderbridge.config.tenants import Config, load_config
from orderbridge.core.errors import ConfigError

TENANT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")


class TenantDirectory(Protocol):
    def names(self) -> Sequence[str]: ...

    def settings_for(self, name: str) -> Settings | None:
        """None for a name that is not a tenant here (callers answer it like any unknown id)."""
        ...


class StaticTenants:
    """Tenants held in memory, by name."""

    def __init__(self, tenants: Mapping[str, Settings]) -> None:
        for name in tenants:
            if not TENANT_NAME.match(name):
                raise ValueError(f"tenant name {name!r}: use letters, digits, '-' and '_' (at most 100)")
        self._tenants = dict(tenants)

    def names(self) -> Sequence[str]:
        return sorted(self._tenants)

    def settings_for(self, name: str) -> Settings | None:
        return self._tenants.get(name)


def worker_tenants(path: str | os.PathLike[str] | None = None) -> tuple[Settings, StaticTenants]:
    """`directory_of` the config file at `path`."""
    return directory_of(load_config(path))


def directory_of(config: Config) -> tuple[Settings, StaticTenants]:
    """(the shared settings, every tenant); the shared settings are the first tenant's, whose `[worker]`
    and `[store]` are the file's top-level sections unless a tenant overrides them."""
    first = config.shared
    for tenant in config.tenants[1:]:
        if tenant.settings.store.url != first.store.url:
            raise ConfigError(
                f"tenants.{tenant.name}.store.url",
                "every tenant of `orderbridge worker` and `orderbridge web` must share one store "
                "(the job queue and the callback inbox live in it)",
            )
    return first, StaticTenants({tenant.name: tenant.settings for tenant in config.tenants})
