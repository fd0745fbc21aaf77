"""Shipped packages and their carriers' word (issue 16: delivery truth).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05

`parcels` holds one row per (tenant, PO, tracking number): which provider follows the package (or why
none can), what TD SYNNEX said when it shipped, the carrier's state, estimates, delivery and newest
scans, and the polling bookkeeping; `store/parcels.py` reads and writes it. `tracked_orders.parcels_digest`
remembers what the carriers had said when a PO was last planned. Follows 0008.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "parcels",
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("po_id", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("tracking_number", sa.String(100), nullable=False),
        sa.Column("carrier", sa.String(100), nullable=True),
        sa.Column("provider", sa.String(20), nullable=True),
        sa.Column("route_reason", sa.Text(), nullable=False),
        sa.Column("lines", sa.Text(), nullable=False),
        sa.Column("sales_order", sa.String(50), nullable=True),
        sa.Column("ship_method", sa.String(50), nullable=True),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tds_estimate", sa.Date(), nullable=True),
        sa.Column("state", sa.String(30), nullable=False),
        sa.Column("found", sa.Boolean(), nullable=False),
        sa.Column("first_estimate", sa.Date(), nullable=True),
        sa.Column("estimate", sa.Date(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signed_by", sa.String(200), nullable=True),
        sa.Column("delivered_elsewhere", sa.Boolean(), nullable=False),
        sa.Column("delivered_to", sa.String(300), nullable=True),
        sa.Column("awaiting_pickup", sa.Boolean(), nullable=False),
        sa.Column("last_scan_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scan_events", sa.Text(), nullable=False),
        sa.Column("provider_ref", sa.String(100), nullable=True),
        sa.Column("polls", sa.Integer(), nullable=False),
        sa.Column("last_polled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_poll_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stopped", sa.String(20), nullable=True),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "po_id", "tracking_number", name="pk_parcels"),
    )
    op.create_index("ix_parcels_tenant_next_poll_at", "parcels", ["tenant", "next_poll_at"])
    op.create_index("ix_parcels_tenant_tracking_number", "parcels", ["tenant", "tracking_number"])
    with op.batch_alter_table("tracked_orders") as batch:
        batch.add_column(sa.Column("parcels_digest", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tracked_orders") as batch:
        batch.drop_column("parcels_digest")
    op.drop_table("parcels")
