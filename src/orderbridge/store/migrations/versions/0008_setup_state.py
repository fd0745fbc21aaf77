"""Stage status ids, the setup mark, and why a tracked order last failed (issue 15: operator signals).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04

`stage_statuses` keeps the ConnectWise status id of each TDS stage per tenant, so a status a person
renamed is still found (rules/statuses.py). `setup_marks` stamps when `orderbridge setup` last ran, so
the daemon wakes up for it. `tracked_orders.failure_cause` says whether a PO's last failure was its own
("po"), a service's ("service") or ConnectWise's setup ("setup"): setup makes the last kind due at once.
Follows 0007 (the writer leases).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stage_statuses",
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("status_id", sa.BigInteger(), nullable=False),
        sa.Column("configured_name", sa.String(100), nullable=False),
        sa.Column("learned_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "stage", name="pk_stage_statuses"),
    )
    op.create_table(
        "setup_marks",
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant", name="pk_setup_marks"),
    )
    with op.batch_alter_table("tracked_orders") as batch:
        batch.add_column(sa.Column("failure_cause", sa.String(20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tracked_orders") as batch:
        batch.drop_column("failure_cause")
    op.drop_table("setup_marks")
    op.drop_table("stage_statuses")
