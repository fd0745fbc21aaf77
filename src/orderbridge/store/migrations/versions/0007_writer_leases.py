"""Writer leases (issue: safety and operator trust).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

`writer_leases` holds, per tenant, the one process allowed to write to that tenant's ConnectWise and
until when (store/leases.py, runners/writer.py). A row, not an advisory lock, so SQLite and PostgreSQL
behave the same.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "writer_leases",
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant", name="pk_writer_leases"),
    )


def downgrade() -> None:
    op.drop_table("writer_leases")
