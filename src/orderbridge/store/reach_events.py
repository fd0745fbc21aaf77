"""Where reach is in the tenant's event history: the `reach_cursors` table, and the event reads it needs.

Reach decides from the `events` table, not from a cycle's memory (reach/cycle.py): the cursor is the
newest event whose messages are decided, moved in the same transaction that records them (`advance_in`,
called by store/outbox.py `decide`). Also here: recording the events reach derives itself (back-orders),
and the PO's shipment events that tell "shipped" from "partly shipped".
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Connection, String, Table, func, select

from orderbridge.store.records import EventRecord
from orderbridge.store.store import Store, upsert
from orderbridge.store.tables import UTCDateTime, events, metadata

reach_cursors = Table(
    "reach_cursors",
    metadata,
    Column("tenant", String(100), primary_key=True),
    Column("last_event_id", BigInteger, nullable=False),  # events up to this id are decided
    Column("updated_at", UTCDateTime, nullable=False),
)


def event_cursor(store: Store, tenant: str) -> int | None:
    with store.reading() as connection:
        value = connection.scalar(select(reach_cursors.c.last_event_id).where(reach_cursors.c.tenant == tenant))
        return int(value) if value is not None else None


def start_cursor(store: Store, tenant: str, now: datetime) -> int:
    """The cursor, created at the newest event when there is none: turning reach on tells nobody about
    the tenant's past, only about what happens from then on."""
    current = event_cursor(store, tenant)
    if current is not None:
        return current
    with store.transaction() as connection:
        newest = connection.scalar(select(func.max(events.c.id)).where(events.c.tenant == tenant)) or 0
        insert = upsert(connection, reach_cursors).on_conflict_do_nothing()
        connection.execute(insert, {"tenant": tenant, "last_event_id": int(newest), "updated_at": now})
    return event_cursor(store, tenant) or 0


def events_after(store: Store, tenant: str, after: int, kinds: Collection[str], *, limit: int = 500) -> list[Any]:
    """Recorded events past the cursor, of the kinds reach tells people about, oldest first."""
    query = (
        select(events)
        .where(events.c.tenant == tenant, events.c.id > after, events.c.kind.in_(sorted(kinds)))
        .order_by(events.c.id)
        .limit(limit)
    )
    with store.reading() as connection:
        return list(connection.execute(query))


def record_events(store: Store, records: Sequence[EventRecord]) -> None:
    """Events reach itself derives (a line turning back-ordered), recorded like the engine's: once per key."""
    if not records:
        return
    rows = [
        {
            "tenant": r.tenant,
            "po_id": r.po_id,
            "key": r.dedup_key,
            "kind": r.kind,
            "stage": int(r.stage) if r.stage is not None else None,
            "summary": r.summary,
            "details": dict(r.details),
            "occurred_at": r.occurred_at,
        }
        for r in records
    ]
    with store.transaction() as connection:
        connection.execute(upsert(connection, events).on_conflict_do_nothing(), rows)


def shipment_lines(store: Store, tenant: str, po_id: int, up_to: int) -> list[dict[str, Any]]:
    """The details of the PO's shipment events up to event id `up_to` (to tell "shipped" from "partly")."""
    query = select(events.c.details).where(
        events.c.tenant == tenant, events.c.po_id == po_id, events.c.kind == "shipment", events.c.id <= up_to
    )
    with store.reading() as connection:
        return [dict(details or {}) for details in connection.scalars(query)]


def advance(store: Store, tenant: str, cursor: int, now: datetime) -> None:
    with store.transaction() as connection:
        advance_in(connection, tenant, cursor, now)


def advance_in(connection: Connection, tenant: str, cursor: int, now: datetime) -> None:
    statement = upsert(connection, reach_cursors)
    statement = statement.on_conflict_do_update(
        index_elements=["tenant"], set_={"last_event_id": statement.excluded.last_event_id, "updated_at": now}
    )
    connection.execute(statement, {"tenant": tenant, "last_event_id": cursor, "updated_at": now})
