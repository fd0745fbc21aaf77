"""What the store knows about each tenant's ConnectWise setup: the status id of every TDS stage, and
when `orderbridge setup` last ran.

The ids let a status a person renamed stay ours (rules/statuses.py). The setup mark lets the daemon
retry at once the POs that failed for a reason setup fixes (a missing status) instead of after their
back-off: `mark_setup_changed` makes those POs due now and stamps the tenant, and the daemon, which
polls the stamp while it sleeps, wakes up for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import BigInteger, Column, Integer, String, Table, delete, select, update

from orderbridge.store.store import Store, upsert
from orderbridge.store.tables import UTCDateTime, metadata, tracked_orders

SETUP_CAUSE = "setup"  # tracked_orders.failure_cause of a PO that failed for a reason setup fixes

stage_statuses = Table(
    "stage_statuses",
    metadata,
    Column("tenant", String(100), primary_key=True),
    Column("stage", Integer, primary_key=True, autoincrement=False),
    Column("status_id", BigInteger, nullable=False),
    Column("configured_name", String(100), nullable=False),  # the [statuses] name it was learned under
    Column("learned_at", UTCDateTime, nullable=False),
)

setup_marks = Table(
    "setup_marks",
    metadata,
    Column("tenant", String(100), primary_key=True),
    Column("changed_at", UTCDateTime, nullable=False),
)


def load_stage_statuses(store: Store, tenant: str) -> dict[int, tuple[int, str]]:
    """stage number -> (ConnectWise status id, the [statuses] name it was learned under)."""
    query = select(stage_statuses.c.stage, stage_statuses.c.status_id, stage_statuses.c.configured_name).where(
        stage_statuses.c.tenant == tenant
    )
    with store.reading() as connection:
        return {int(stage): (int(status_id), name) for stage, status_id, name in connection.execute(query)}


def save_stage_statuses(store: Store, tenant: str, learned: Mapping[int, tuple[int, str]], now: datetime) -> None:
    """Replace the tenant's learned ids with `learned` (a stage not in it is forgotten)."""
    rows = [
        {"tenant": tenant, "stage": stage, "status_id": status_id, "configured_name": name, "learned_at": now}
        for stage, (status_id, name) in learned.items()
    ]
    with store.transaction() as connection:
        connection.execute(delete(stage_statuses).where(stage_statuses.c.tenant == tenant))
        if rows:
            connection.execute(stage_statuses.insert(), rows)


def mark_setup_changed(store: Store, tenant: str, now: datetime) -> int:
    """Setup ran: make the POs that failed for a setup reason due now, and stamp the tenant so a
    sleeping daemon wakes for them. Returns how many POs were made due."""
    row = {"tenant": tenant, "changed_at": now}
    with store.transaction() as connection:
        due = connection.execute(
            update(tracked_orders)
            .where(
                tracked_orders.c.tenant == tenant,
                tracked_orders.c.failure_cause == SETUP_CAUSE,
                tracked_orders.c.next_check_at > now,
            )
            .values(next_check_at=now)
        ).rowcount
        stmt = upsert(connection, setup_marks)
        connection.execute(
            stmt.on_conflict_do_update(index_elements=["tenant"], set_={"changed_at": stmt.excluded.changed_at}), row
        )
    return int(due)


def setup_changed_at(store: Store, tenant: str) -> datetime | None:
    query = select(setup_marks.c.changed_at).where(setup_marks.c.tenant == tenant)
    with store.reading() as connection:
        value: datetime | None = connection.execute(query).scalar_one_or_none()
    return value
