"""Quiet-check key on tracked orders (issue: performance).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

`tracked_orders.quiet_key` digests the inputs of the last check that left a PO in step with TD SYNNEX
(sync/quiet.py); a check with the same inputs before `quiet_until` (NULL: no expiry) is not planned
again. A NULL key means "plan it".
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tracked_orders") as batch:
        batch.add_column(sa.Column("quiet_key", sa.String(64), nullable=True))
        batch.add_column(sa.Column("quiet_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tracked_orders") as batch:
        batch.drop_column("quiet_until")
        batch.drop_column("quiet_key")
