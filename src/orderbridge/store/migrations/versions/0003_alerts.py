"""Order facts (reports, dashboard) and exception alerts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

`order_facts` is a projection the engine rewrites after every check; `alerts` keeps one row per
(order, rule) episode, with a partial unique index so only one of them is open at a time.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROWID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _when(name: str, *, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "order_facts",
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("po_id", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("po_number", sa.String(100), nullable=True),
        sa.Column("stage", sa.Integer(), nullable=True),
        sa.Column("status_name", sa.String(100), nullable=True),
        sa.Column("distributor_code", sa.String(50), nullable=True),
        sa.Column("carrier", sa.String(100), nullable=True),
        sa.Column("ship_method", sa.String(50), nullable=True),
        sa.Column("ship_method_name", sa.String(200), nullable=True),
        sa.Column("warehouses", sa.Text(), nullable=False),
        sa.Column("sales_orders", sa.Text(), nullable=False),
        sa.Column("tracking", sa.Text(), nullable=False),
        sa.Column("estimated_ship_date", sa.Date(), nullable=True),
        sa.Column("promised_ship_date", sa.Date(), nullable=True),
        sa.Column("expected_delivery_date", sa.Date(), nullable=True),
        sa.Column("first_ship_date", sa.Date(), nullable=True),
        _when("po_at"),
        _when("first_seen_at", nullable=False),
        _when("accepted_at"),
        _when("released_at"),
        _when("shipped_at"),
        _when("invoiced_at"),
        _when("closed_at"),
        _when("first_shipped_at"),
        _when("last_shipped_at"),
        _when("stage_since"),
        _when("not_found_since"),
        sa.Column("last_error", sa.Text(), nullable=True),
        _when("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("tenant", "po_id", name="pk_order_facts"),
    )
    op.create_index("ix_order_facts_tenant_stage", "order_facts", ["tenant", "stage"])
    op.create_index("ix_order_facts_tenant_po_number", "order_facts", ["tenant", "po_number"])

    op.create_table(
        "alerts",
        sa.Column("id", _ROWID, nullable=False, autoincrement=True),
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("po_id", sa.BigInteger(), nullable=False),
        sa.Column("po_number", sa.String(100), nullable=True),
        sa.Column("rule", sa.String(50), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        _when("opened_at", nullable=False),
        _when("last_seen_at", nullable=False),
        _when("resolved_at"),
        _when("acknowledged_at"),
        _when("notified_at"),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
    )
    op.create_index("ix_alerts_tenant_resolved_at", "alerts", ["tenant", "resolved_at"])
    op.create_index("ix_alerts_tenant_po_id", "alerts", ["tenant", "po_id"])
    is_open = sa.text("resolved_at IS NULL")
    op.create_index(
        "uq_alerts_open",
        "alerts",
        ["tenant", "po_id", "rule"],
        unique=True,
        sqlite_where=is_open,
        postgresql_where=is_open,
    )


def downgrade() -> None:
    op.drop_table("alerts")
    op.drop_table("order_facts")
