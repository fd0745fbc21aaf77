"""Discovery cursors and callback inbox (issue: always on).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

Reserved in order so parallel work never forks the revision chain; empty until its owner fills it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _upgrade_callback_inbox()
    _upgrade_discovery_cursors()


def downgrade() -> None:
    _downgrade_discovery_cursors()
    _downgrade_callback_inbox()


# --- discovery cursors (daemon part; table defined in store/cursors.py) --------------------------------
# One row per tenant: the highest `_info/lastUpdated` a finished cycle listed, and when it last listed all.


def _upgrade_discovery_cursors() -> None:
    op.create_table(
        "discovery_cursors",
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("last_updated", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cycles_since_full", sa.Integer(), nullable=False),
        sa.Column("last_full_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant", name="pk_discovery_cursors"),
    )


def _downgrade_discovery_cursors() -> None:
    op.drop_table("discovery_cursors")


# --- callback inbox (callbacks part; table defined in store/inbox.py) ---------------------------------
# One row per (tenant, MessageId): a replayed callback is answered 2xx and handled once.


def _upgrade_callback_inbox() -> None:
    op.create_table(
        "callback_inbox",
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("message_id", sa.String(100), nullable=False),
        sa.Column("po_id", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("tenant", "message_id", name="pk_callback_inbox"),
    )
    op.create_index("ix_callback_inbox_tenant_processed_at", "callback_inbox", ["tenant", "processed_at"])


def _downgrade_callback_inbox() -> None:
    op.drop_table("callback_inbox")


# --- end of callback inbox ------------------------------------------------------------------------------
