"""Discovery cursors and callback inbox (issue: always on).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

Reserved in order so parallel work never forks the revision chain; empty until its owner fills it.
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
