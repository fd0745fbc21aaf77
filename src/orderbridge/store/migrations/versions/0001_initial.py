"""Initial schema: tracked orders, events, cycles and the activity log.

Revision ID: 0001
Revises:
Create Date: 2026-01-05

The DDL is written out here rather than imported from `tables.py`: a migration is a frozen record of
one step, and must keep producing the same schema after `tables.py` moves on.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROWID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _when(name: str, *, nullable: bool) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "tracked_orders",
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("po_id", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("po_number", sa.String(100), nullable=True),
        sa.Column("stage", sa.Integer(), nullable=True),
        sa.Column("written_status", sa.String(100), nullable=True),
        sa.Column("person_status", sa.Boolean(), nullable=False),
        _when("first_seen_at", nullable=False),
        _when("last_checked_at", nullable=True),
        _when("next_check_at", nullable=True),
        _when("last_changed_at", nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("fingerprint", sa.String(128), nullable=True),
        _when("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("tenant", "po_id", name="pk_tracked_orders"),
    )
    op.create_index("ix_tracked_orders_tenant_next_check_at", "tracked_orders", ["tenant", "next_check_at"])

    op.create_table(
        "events",
        sa.Column("id", _ROWID, nullable=False, autoincrement=True),
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("po_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("kind", sa.String(100), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        _when("occurred_at", nullable=False),
        sa.Column("note_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
        sa.UniqueConstraint("tenant", "po_id", "key", name="uq_events_tenant_po_id_key"),
    )

    op.create_table(
        "cycles",
        sa.Column("id", _ROWID, nullable=False, autoincrement=True),
        sa.Column("tenant", sa.String(100), nullable=False),
        _when("started_at", nullable=False),
        _when("finished_at", nullable=True),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.Column("status", sa.String(30), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cycles"),
    )
    op.create_index("ix_cycles_tenant_started_at", "cycles", ["tenant", "started_at"])

    op.create_table(
        "activity",
        sa.Column("id", _ROWID, nullable=False, autoincrement=True),
        _when("at", nullable=False),
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("cycle_id", sa.BigInteger(), nullable=True),
        sa.Column("po_id", sa.BigInteger(), nullable=True),
        sa.Column("po_number", sa.String(100), nullable=True),
        sa.Column("actor", sa.String(50), nullable=False),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("field", sa.String(), nullable=True),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_activity"),
        sa.ForeignKeyConstraint(["cycle_id"], ["cycles.id"], name="fk_activity_cycle_id_cycles", ondelete="SET NULL"),
    )
    op.create_index("ix_activity_tenant_at", "activity", ["tenant", "at"])
    op.create_index("ix_activity_tenant_po_number_at", "activity", ["tenant", "po_number", "at"])
    op.create_index("ix_activity_tenant_po_id_at", "activity", ["tenant", "po_id", "at"])
    op.create_index("ix_activity_action", "activity", ["action"])


def downgrade() -> None:
    op.drop_table("activity")
    op.drop_table("cycles")
    op.drop_table("events")
    op.drop_table("tracked_orders")
