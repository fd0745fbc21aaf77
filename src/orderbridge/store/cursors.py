"""The daemon's tables and queries: the per-tenant discovery cursor, and scheduling reads over tracked orders.

Kept out of `store.py` because only the daemon needs them. The cursor is the highest ConnectWise
`_info/lastUpdated` a *finished* cycle listed (G2: it advances only after the cycle's results are
committed), so it is in ConnectWise's clock, never ours, and clock skew between us cannot lose a PO.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, ColumnElement, Integer, String, Table, and_, func, select, update

from orderbridge.core.domain import Stage
from orderbridge.store.store import Store, chunks, upsert
from orderbridge.store.tables import UTCDateTime, activity, metadata, tracked_orders

# The engine schedules a PO it has finished with ~100 years ahead; discovery parks a PO that has left
# the tracked listing the same way. Anything scheduled further out than this horizon counts as parked.
PARKED_FOR = timedelta(days=36500)
PARK_HORIZON = timedelta(days=3650)

discovery_cursors = Table(
    "discovery_cursors",
    metadata,
    Column("tenant", String(100), primary_key=True),
    Column("last_updated", UTCDateTime, nullable=True),
    Column("cycles_since_full", Integer, nullable=False, default=0),
    Column("last_full_at", UTCDateTime, nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
)


@dataclass(frozen=True, slots=True)
class DiscoveryCursor:
    tenant: str
    last_updated: datetime | None = None  # None: never listed, so the next listing is a full one
    cycles_since_full: int = 0
    last_full_at: datetime | None = None


def load_cursor(store: Store, tenant: str) -> DiscoveryCursor:
    query = select(discovery_cursors).where(discovery_cursors.c.tenant == tenant)
    with store.reading() as connection:
        row = connection.execute(query).mappings().first()
    if row is None:
        return DiscoveryCursor(tenant)
    return DiscoveryCursor(tenant, row["last_updated"], row["cycles_since_full"], row["last_full_at"])


def save_cursor(store: Store, cursor: DiscoveryCursor, now: datetime) -> None:
    row = {
        "tenant": cursor.tenant,
        "last_updated": cursor.last_updated,
        "cycles_since_full": cursor.cycles_since_full,
        "last_full_at": cursor.last_full_at,
        "updated_at": now,
    }
    with store.transaction() as connection:
        stmt = upsert(connection, discovery_cursors)
        values = {key: stmt.excluded[key] for key in row if key != "tenant"}
        connection.execute(stmt.on_conflict_do_update(index_elements=["tenant"], set_=values), row)


def _due(tenant: str, now: datetime) -> ColumnElement[bool]:
    column = tracked_orders.c.next_check_at
    return and_(tracked_orders.c.tenant == tenant, column.is_(None) | (column <= now))


def due_ids(store: Store, tenant: str, now: datetime, *, limit: int = 100_000) -> list[int]:
    """Ids of the tenant's POs due at `now`, unscheduled first: the ones discovery must list by id."""
    query = (
        select(tracked_orders.c.po_id)
        .where(_due(tenant, now))
        .order_by(tracked_orders.c.next_check_at.is_not(None), tracked_orders.c.next_check_at)
        .limit(limit)
    )
    with store.reading() as connection:
        return [int(po_id) for (po_id,) in connection.execute(query)]


def active_count(store: Store, tenant: str, now: datetime) -> int:
    """Tracked POs not parked: what a full listing would roughly return (new POs aside)."""
    column = tracked_orders.c.next_check_at
    query = (
        select(func.count())
        .select_from(tracked_orders)
        .where(tracked_orders.c.tenant == tenant, column.is_(None) | (column < now + PARK_HORIZON))
    )
    with store.reading() as connection:
        return int(connection.execute(query).scalar_one())


def park(store: Store, tenant: str, po_ids: Iterable[int], now: datetime, *, only_due: bool = True) -> int:
    """Stop asking for due POs that ConnectWise no longer lists as tracked and open (closed, unticked,
    deleted), or they would be due, and asked for by id, in every cycle forever. Returns rows parked.
    `only_due=False` parks any of them not parked yet (`sync --once` asks by id whether due or not)."""
    column = tracked_orders.c.next_check_at
    only = column <= now if only_due else column.is_(None) | (column <= now + PARK_HORIZON)
    return _reschedule(store, tenant, po_ids, now + PARKED_FOR, only)


def unclosed_ids(store: Store, tenant: str, now: datetime) -> list[int]:
    """Ids of the tenant's POs the store still holds as open: no CLOSED stage recorded and not parked.
    A listing of open POs should return each; one it does not was closed or unticked since, maybe by
    our own last write just before a crash (sync/listing.py)."""
    stage, column = tracked_orders.c.stage, tracked_orders.c.next_check_at
    query = (
        select(tracked_orders.c.po_id)
        .where(
            tracked_orders.c.tenant == tenant,
            stage.is_(None) | (stage < int(Stage.CLOSED)),
            column.is_(None) | (column <= now + PARK_HORIZON),
        )
        .order_by(tracked_orders.c.po_id)
    )
    with store.reading() as connection:
        return [int(po_id) for (po_id,) in connection.execute(query)]


def unpark(store: Store, tenant: str, po_ids: Iterable[int], now: datetime) -> int:
    """Make parked POs due again: a person reopened or re-ticked them, so ConnectWise lists them again."""
    column = tracked_orders.c.next_check_at
    return _reschedule(store, tenant, po_ids, now, column > now + PARK_HORIZON)


def _reschedule(store: Store, tenant: str, po_ids: Iterable[int], when: datetime, only: ColumnElement[bool]) -> int:
    changed = 0
    with store.transaction() as connection:
        for chunk in chunks(po_ids):
            stmt = (
                update(tracked_orders)
                .where(tracked_orders.c.tenant == tenant, tracked_orders.c.po_id.in_(chunk), only)
                .values(next_check_at=when)
            )
            changed += connection.execute(stmt).rowcount
    return changed


def next_due_at(store: Store, tenant: str, now: datetime) -> datetime | None:
    """When the tenant's next PO falls due (`now` if one is unscheduled); None when nothing is tracked."""
    column = tracked_orders.c.next_check_at
    query = select(func.count().filter(column.is_(None)), func.min(column)).where(tracked_orders.c.tenant == tenant)
    with store.reading() as connection:
        unscheduled, earliest = connection.execute(query).one()
    if unscheduled:
        return now
    # min() keeps the column's type, so the value comes back aware and in UTC on both databases.
    result: datetime | None = earliest
    return result


def tracked_tenants(store: Store) -> list[str]:
    """Every tenant with tracked POs, for a process (the dashboard) that reads the store but runs no sync."""
    query = select(tracked_orders.c.tenant).distinct().order_by(tracked_orders.c.tenant)
    with store.reading() as connection:
        return [tenant for (tenant,) in connection.execute(query)]


def stage_counts(store: Store, tenant: str) -> dict[Stage | None, int]:
    """Tracked POs per stage (None: not yet placed at a stage), for the orders-by-stage gauge."""
    query = (
        select(tracked_orders.c.stage, func.count())
        .where(tracked_orders.c.tenant == tenant)
        .group_by(tracked_orders.c.stage)
    )
    with store.reading() as connection:
        return {None if stage is None else Stage(stage): int(n) for stage, n in connection.execute(query)}


def first_write_per_po(store: Store, tenant: str, cycle_id: int) -> list[datetime]:
    """For each PO written in the cycle, when the engine began syncing it (its observe/write `at`)."""
    query = (
        select(func.min(activity.c.at))
        .where(activity.c.tenant == tenant, activity.c.cycle_id == cycle_id, activity.c.action == "write")
        .group_by(activity.c.po_id)
    )
    with store.reading() as connection:
        return [value for (value,) in connection.execute(query) if value is not None]
