"""Invoices per tracked PO (several per PO: one per sales order or shipment).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "invoices",
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("po_id", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("invoice_number", sa.String(100), nullable=False),
        sa.Column("invoice_date", sa.Date(), nullable=True),
        sa.Column("order_number", sa.String(100), nullable=True),
        sa.Column("total", sa.Text(), nullable=True),
        sa.Column("tracking_numbers", sa.Text(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "po_id", "invoice_number", name="pk_invoices"),
    )


def downgrade() -> None:
    op.drop_table("invoices")
