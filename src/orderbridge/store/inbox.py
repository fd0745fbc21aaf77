"""The ConnectWise callback inbox: one row per (tenant, MessageId), and the POs it asks us to re-check.

A callback is only a hint ("look at PO 1201 again"); the record is always re-read from ConnectWise by
the next cycle. The inbox exists so that a replayed or re-delivered message is handled once, and so a
callback that arrives while no worker is running is not lost: the tenant's next job forces those POs.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, String, Table, select, update

from orderbridge.store.store import Store, upsert
from orderbridge.store.tables import UTCDateTime, metadata, tracked_orders

callback_inbox = Table(
    "callback_inbox",
    metadata,
    Column("tenant", String(100), primary_key=True),
    Column("message_id", String(100), primary_key=True),
    Column("po_id", BigInteger, nullable=False),
    Column("action", String(20), nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("processed_at", UTCDateTime, nullable=True),
    Index(None, "tenant", "processed_at"),
)


@dataclass(frozen=True)
class PendingCallback:
    message_id: str
    po_id: int


def record_callback(store: Store, tenant: str, message_id: str, po_id: int, action: str, now: datetime) -> bool:
    """Remember a verified callback and make its PO due now; False when this MessageId was seen before.

    Both happen in one transaction, so a crash cannot leave a message recorded but its PO not due.
    An unknown PO gets a bare tracked row (no stage), which the next cycle fills in or leaves alone.
    """
    row = {
        "tenant": tenant,
        "message_id": message_id[:100],
        "po_id": po_id,
        "action": action[:20],
        "received_at": now,
        "processed_at": None,
    }
    with store.transaction() as connection:
        stmt = (
            upsert(connection, callback_inbox)
            .on_conflict_do_nothing(index_elements=["tenant", "message_id"])
            .returning(callback_inbox.c.message_id)
        )
        # RETURNING rather than rowcount: the driver's rowcount for ON CONFLICT is not reliable.
        if connection.execute(stmt, row).first() is None:
            return False
        tracked = {
            "tenant": tenant,
            "po_id": po_id,
            "po_number": None,
            "stage": None,
            "written_status": None,
            "person_status": False,
            "first_seen_at": now,
            "next_check_at": now,
            "consecutive_failures": 0,
            "updated_at": now,
        }
        wake = upsert(connection, tracked_orders)
        connection.execute(
            wake.on_conflict_do_update(
                index_elements=["tenant", "po_id"], set_={"next_check_at": now, "updated_at": now}
            ),
            tracked,
        )
    return True


def pending_callbacks(store: Store, tenant: str, *, limit: int = 10_000) -> list[PendingCallback]:
    """Callbacks of `tenant` no cycle has handled yet, oldest first."""
    query = (
        select(callback_inbox.c.message_id, callback_inbox.c.po_id)
        .where(callback_inbox.c.tenant == tenant, callback_inbox.c.processed_at.is_(None))
        .order_by(callback_inbox.c.received_at)
        .limit(limit)
    )
    with store.reading() as connection:
        return [PendingCallback(message_id, po_id) for message_id, po_id in connection.execute(query)]


def mark_processed(store: Store, tenant: str, message_ids: Collection[str], now: datetime) -> None:
    """Close the messages a finished cycle handled; ones that arrived during the cycle stay pending."""
    ids = sorted(set(message_ids))
    with store.transaction() as connection:
        for start in range(0, len(ids), 500):
            connection.execute(
                update(callback_inbox)
                .where(callback_inbox.c.tenant == tenant, callback_inbox.c.message_id.in_(ids[start : start + 500]))
                .values(processed_at=now)
            )


def tenants_with_pending(store: Store, tenants: Iterable[str]) -> set[str]:
    """Which of `tenants` have callbacks waiting; one query whatever the number of tenants."""
    wanted = list(tenants)
    if not wanted:
        return set()
    query = (
        select(callback_inbox.c.tenant)
        .where(callback_inbox.c.processed_at.is_(None), callback_inbox.c.tenant.in_(wanted))
        .distinct()
    )
    with store.reading() as connection:
        return {tenant for (tenant,) in connection.execute(query)}
