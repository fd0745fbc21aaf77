"""Raw payload store (issue: troubleshooting and recovery).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

`payloads` keeps each distinct answer behind a decision once per PO, zlib-compressed, with the first
and latest time it was fetched; `store/payloads.py` reads and prunes it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROWID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "payloads",
        sa.Column("id", _ROWID, nullable=False, autoincrement=True),
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("po_id", sa.BigInteger(), nullable=False),
        sa.Column("po_number", sa.String(100), nullable=True),
        sa.Column("source", sa.String(30), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("first_fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_payloads"),
        sa.UniqueConstraint("tenant", "po_id", "source", "digest", name="uq_payloads_tenant_po_id_source_digest"),
    )
    op.create_index("ix_payloads_tenant_po_id_fetched_at", "payloads", ["tenant", "po_id", "fetched_at"])
    op.create_index("ix_payloads_fetched_at", "payloads", ["fetched_at"])


def downgrade() -> None:
    op.drop_table("payloads")
