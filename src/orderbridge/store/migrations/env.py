"""Alembic environment for orderbridge: migrate the connection the store hands over, or a URL.

`orderbridge.store.schema` passes a live connection in `config.attributes["connection"]`, inside a
transaction it owns; the URL path exists for `alembic -x` style use during development only.
Batch mode is on because SQLite can only alter tables by copying them.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from orderbridge.store.tables import metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection and no sqlalchemy.url: run migrations through Store.migrate()")
    engine = create_engine(url)
    try:
        with engine.begin() as own:
            _run(own)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported; use Store.migrate()")
run_migrations_online()
