"""Worker tests: a PostgreSQL schema per test holding the store's tables and procrastinate's.

They need a real PostgreSQL (procrastinate's locks, queueing locks and heartbeats are SQL), so they
are skipped with the reason when ORDERBRIDGE_TEST_DATABASE_URL is unset. The multi-tenant world is
the callback tests' (`tests/callbacks/callback_world.py`), found by path like the daemon tests do.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "callbacks"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

POSTGRES_ENV = "ORDERBRIDGE_TEST_DATABASE_URL"


@pytest.fixture
def pg_url() -> Iterator[str]:
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(
            f"worker tests need PostgreSQL: set {POSTGRES_ENV}, e.g. postgresql+psycopg://postgres@127.0.0.1/test"
        )
    schema = f"wk_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield (
            make_url(base)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
