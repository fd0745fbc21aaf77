"""SQLAlchemy Core table definitions: the shape the store reads and writes today.

Migrations own the DDL (`migrations/versions/`); these definitions must describe the same schema as
the head revision, and a test checks that they do. Two column types live here because both databases
must hand back the same Python values: aware UTC datetimes and JSON documents stored as text.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)

from orderbridge.store.records import json_default

# Deterministic constraint names, so later migrations (batch mode on SQLite) can refer to them.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

# SQLite only aliases the rowid (and so autoincrements) for a column declared exactly INTEGER.
RowId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """`timestamptz` on PostgreSQL; on SQLite a naive UTC string, made aware again on the way out.

    Storing UTC everywhere keeps SQLite's text comparison chronological. A naive datetime is refused
    rather than guessed at: it is always a bug upstream (every clock here is aware).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given to the store; pass an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class JSONText(TypeDecorator[Any]):
    """A JSON document kept as plain text, so both databases store byte-identical, diffable values."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return json.dumps(value, sort_keys=True, default=json_default, separators=(",", ":"))

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else json.loads(value)


tracked_orders = Table(
    "tracked_orders",
    metadata,
    Column("tenant", String(100), primary_key=True),
    Column("po_id", BigInteger, primary_key=True, autoincrement=False),
    Column("po_number", String(100), nullable=True),
    Column("stage", Integer, nullable=True),
    Column("written_status", String(100), nullable=True),
    Column("person_status", Boolean, nullable=False, default=False),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("last_checked_at", UTCDateTime, nullable=True),
    Column("next_check_at", UTCDateTime, nullable=True),
    Column("last_changed_at", UTCDateTime, nullable=True),
    Column("consecutive_failures", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
    Column("failure_cause", String(20), nullable=True),  # sync/causes.py: "po", "service" or "setup"
    Column("fingerprint", String(128), nullable=True),
    Column("quiet_key", String(64), nullable=True),
    Column("quiet_until", UTCDateTime, nullable=True),
    Column("parcels_digest", String(64), nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    Index(None, "tenant", "next_check_at"),
)

events = Table(
    "events",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("tenant", String(100), nullable=False),
    Column("po_id", BigInteger, nullable=False),
    Column("key", String(), nullable=False),
    Column("kind", String(100), nullable=False),
    Column("stage", Integer, nullable=True),
    Column("summary", Text, nullable=False),
    Column("details", JSONText, nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("note_id", BigInteger, nullable=True),
    UniqueConstraint("tenant", "po_id", "key"),
)

cycles = Table(
    "cycles",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("tenant", String(100), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("dry_run", Boolean, nullable=False),
    Column("counts", JSONText, nullable=False),
    Column("status", String(30), nullable=False),
    Index(None, "tenant", "started_at"),
)

activity = Table(
    "activity",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("tenant", String(100), nullable=False),
    Column("cycle_id", BigInteger, ForeignKey("cycles.id", ondelete="SET NULL"), nullable=True),
    Column("po_id", BigInteger, nullable=True),
    Column("po_number", String(100), nullable=True),
    Column("actor", String(50), nullable=False),
    Column("action", String(30), nullable=False),
    Column("field", String(), nullable=True),
    Column("old_value", Text, nullable=True),
    Column("new_value", Text, nullable=True),
    Column("reason", Text, nullable=False),
    Index(None, "tenant", "at"),
    Index(None, "tenant", "po_number", "at"),
    Index(None, "tenant", "po_id", "at"),
    Index(None, "action"),
)
