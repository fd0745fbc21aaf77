"""Worker configuration: the tenant directory, the queue's database URL and the tick's cron line."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from world import world_settings

from orderbridge.config import WorkerSettings
from orderbridge.config.directory import StaticTenants, worker_tenants
from orderbridge.core.errors import ConfigError
from orderbridge.runners.worker.app import cron_for, libpq_url

SHARED = """
[connectwise]
public_key = "pub"
client_id = "cid"
private_key = "shared-key"

[tdsynnex]
user_id = "u@example.com"
password = "pw"
customer_number = "100002"

[store]
url = "postgresql+psycopg://db.example/ob"

[worker]
interval_seconds = 30

[tenants.acme.connectwise]
company = "acme"

[tenants.beta-2.connectwise]
company = "beta"
"""


def test_workers_serve_every_tenant_of_the_file_on_one_store(tmp_path: Path) -> None:
    config = tmp_path / "orderbridge.toml"
    config.write_text(SHARED, encoding="utf-8")
    shared, tenants = worker_tenants(config)
    assert list(tenants.names()) == ["acme", "beta-2"]
    acme = tenants.settings_for("acme")
    assert acme is not None and acme.connectwise.company == "acme"
    assert shared.store.url == "postgresql+psycopg://db.example/ob"
    assert shared.worker.interval_seconds == 30
    assert tenants.settings_for("missing") is None


def test_tenants_on_different_stores_cannot_share_a_worker(tmp_path: Path) -> None:
    config = tmp_path / "orderbridge.toml"
    config.write_text(SHARED + '\n[tenants.beta-2.store]\nurl = "postgresql+psycopg://other/ob"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="share one store"):
        worker_tenants(config)


def test_tenant_names_are_safe_in_urls_and_lock_names() -> None:
    with pytest.raises(ValueError):
        StaticTenants({"../etc": world_settings("sqlite://")})


def test_the_queue_uses_the_stores_postgres_url_in_libpq_form() -> None:
    url = "postgresql+psycopg://ob:p%40ss@db.example:5433/ob?options=-csearch_path%3Dt1"
    assert libpq_url(url) == "postgresql://ob:p%40ss@db.example:5433/ob?options=-csearch_path%3Dt1"
    with pytest.raises(ConfigError, match="PostgreSQL"):
        libpq_url("sqlite:///orderbridge.db")


@pytest.mark.parametrize(
    ("seconds", "cron"), [(1, "* * * * * */1"), (15, "* * * * * */15"), (60, "* * * * *"), (600, "*/10 * * * *")]
)
def test_the_tick_interval_becomes_a_cron_line(seconds: int, cron: str) -> None:
    assert cron_for(seconds) == cron


@pytest.mark.parametrize("seconds", [7, 45, 90, 420])
def test_intervals_cron_cannot_express_are_refused(seconds: int) -> None:
    with pytest.raises(ValidationError):
        WorkerSettings(interval_seconds=seconds)
