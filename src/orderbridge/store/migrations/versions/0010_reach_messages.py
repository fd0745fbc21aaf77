"""The reach outbox (issue 17: reaching the people who need to know).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06

`reach_messages` holds one row per (tenant, message key): a message to a customer contact, ticket contact,
sales rep, project manager or the MSP's staff about one PO event, by email, ticket note or Apprise, from
"decided" through "sending" to "sent"/"failed"; `reach_cursors` holds, per tenant, the newest event
whose messages are decided. `store/outbox.py` reads and writes both. Follows 0009.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reach_messages",
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("message_key", sa.String(64), nullable=False),
        sa.Column("po_id", sa.BigInteger(), nullable=False),
        sa.Column("po_number", sa.String(100), nullable=True),
        sa.Column("event_key", sa.Text(), nullable=False),
        sa.Column("event", sa.String(30), nullable=False),
        sa.Column("audience", sa.String(30), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("recipient_name", sa.String(200), nullable=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(200), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "message_key", name="pk_reach_messages"),
    )
    op.create_table(
        "reach_cursors",
        sa.Column("tenant", sa.String(100), nullable=False),
        sa.Column("last_event_id", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant", name="pk_reach_cursors"),
    )
    op.create_index("ix_reach_messages_tenant_state", "reach_messages", ["tenant", "state"])
    op.create_index("ix_reach_messages_tenant_po_id", "reach_messages", ["tenant", "po_id"])


def downgrade() -> None:
    op.drop_index("ix_reach_messages_tenant_po_id", table_name="reach_messages")
    op.drop_index("ix_reach_messages_tenant_state", table_name="reach_messages")
    op.drop_table("reach_messages")
    op.drop_table("reach_cursors")
