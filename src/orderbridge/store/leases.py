"""Writer leases: which process may write to a tenant's ConnectWise right now, one row per tenant.

The statements only; what a lease means, how long it lasts and who may take it over is decided in
`runners/writer.py`. A row rather than a PostgreSQL advisory lock, because it works the same on SQLite
and PostgreSQL, survives a dropped connection as long as its holder keeps renewing it, and lives in the
store's own schema (so tests on separate schemas never see each other's leases).

Taking a lease is one `INSERT ... ON CONFLICT (tenant) DO UPDATE ... WHERE <the row is free>`: both
databases run it atomically, so of two processes racing for a free tenant exactly one ends up named in
the row, and the other reads back the winner in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Column, Integer, String, Table, delete, select, update

from orderbridge.store.store import Store, upsert
from orderbridge.store.tables import UTCDateTime, metadata

writer_leases = Table(
    "writer_leases",
    metadata,
    Column("tenant", String(100), primary_key=True),
    Column("holder", String(200), nullable=False),  # what holds it, for people: "orderbridge sync --once"
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("token", String(64), nullable=False),  # one per acquisition: two writers in one process differ
    Column("acquired_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)


@dataclass(frozen=True, slots=True)
class LeaseRow:
    tenant: str
    holder: str
    host: str
    pid: int
    token: str
    acquired_at: datetime
    expires_at: datetime


def try_acquire(
    store: Store,
    row: LeaseRow,
    *,
    now: datetime,
    replacing: str | None = None,
) -> LeaseRow:
    """Write `row` unless another holder's lease is still running at `now` (or, with `replacing`, unless
    the row's token is no longer that one). Returns the row as it stands afterwards: ours when its token
    is `row.token`, otherwise the holder who has it."""
    values = {
        "tenant": row.tenant,
        "holder": row.holder,
        "host": row.host,
        "pid": row.pid,
        "token": row.token,
        "acquired_at": row.acquired_at,
        "expires_at": row.expires_at,
    }
    columns = writer_leases.c
    free = columns.expires_at <= now
    if replacing is not None:
        # A holder known to be dead (runners/writer.py): replaced only if it is still that very holder.
        free = free | (columns.token == replacing)
    with store.transaction() as connection:
        stmt = upsert(connection, writer_leases)
        taken = {key: stmt.excluded[key] for key in values if key != "tenant"}
        connection.execute(stmt.on_conflict_do_update(index_elements=["tenant"], set_=taken, where=free), values)
        current = connection.execute(select(writer_leases).where(columns.tenant == row.tenant)).mappings().one()
    return LeaseRow(**current)


def renew(store: Store, tenant: str, token: str, *, expires_at: datetime) -> bool:
    """Push the lease's expiry out; False when the lease is no longer this token's (expired and taken)."""
    stmt = (
        update(writer_leases)
        .where(writer_leases.c.tenant == tenant, writer_leases.c.token == token)
        .values(expires_at=expires_at)
    )
    with store.transaction() as connection:
        return connection.execute(stmt).rowcount == 1


def release(store: Store, tenant: str, token: str) -> None:
    """Give the lease up, if it is still this token's (a lease taken over meanwhile is left alone)."""
    stmt = delete(writer_leases).where(writer_leases.c.tenant == tenant, writer_leases.c.token == token)
    with store.transaction() as connection:
        connection.execute(stmt)


def current(store: Store, tenant: str) -> LeaseRow | None:
    """The tenant's lease row, expired or not; None when nobody has taken one since the last release."""
    with store.reading() as connection:
        row = connection.execute(select(writer_leases).where(writer_leases.c.tenant == tenant)).mappings().first()
    return None if row is None else LeaseRow(**row)
