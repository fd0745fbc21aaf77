"""The Store: every read and write orderbridge makes to its own database, chosen by URL.

SQLite (WAL, one file) is the default for a single machine; PostgreSQL serves scale-out. The same
statements run on both: upserts and duplicate-tolerant inserts use `ON CONFLICT`, which both support.
Each public method is one short transaction, so the engine never holds a lock across an HTTP call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Engine, Insert, and_, bindparam, case, create_engine, delete, event, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import StaticPool

from orderbridge.core.errors import StoreUnavailable
from orderbridge.core.redaction import redact
from orderbridge.store import schema
from orderbridge.store.activity import activity_row, entry_from_row, select_activity
from orderbridge.store.records import ActivityEntry, ActivityFilter, CycleRecord, EventRecord, SyncRecord, TrackedOrder
from orderbridge.store.rows import cycle_from_row, event_from_row, event_row, tracked_from_row, tracked_row
from orderbridge.store.tables import activity, cycles, events, tracked_orders


def unavailable(url: str, exc: BaseException) -> str:
    """The one line for a store that cannot be opened: which URL (password hidden), the driver's first
    line of explanation, and what to check."""
    shown = make_url(url).render_as_string(hide_password=True)
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    why = redact(reason[0]) if reason else type(exc).__name__
    return (
        f"the store {shown} cannot be opened ({why}); check [store] url (ORDERBRIDGE_STORE__URL), that the "
        "database server is running and reachable, and that this user may connect"
    )


# Well under SQLite's bound-parameter limit (32766 since 3.32, 999 before) and PostgreSQL's 65535.
IN_CHUNK = 500
SQLITE_BUSY_TIMEOUT_MS = 10_000


def chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    """Distinct ids, sorted, in lists short enough for any database's bound-parameter limit."""
    unique = sorted(set(ids))
    for start in range(0, len(unique), IN_CHUNK):
        yield unique[start : start + IN_CHUNK]


def _sqlite_engine(url: str) -> Engine:
    parsed = make_url(url)
    in_memory = parsed.database in (None, "", ":memory:")
    if in_memory:
        # One shared connection, or each checkout would see its own empty database.
        engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite (it would defer BEGIN past our reads) and
        # issue BEGIN ourselves below: the recipe SQLAlchemy documents for correct SQLite transactions.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")

    return engine


# A quiet check moves only when the PO was checked and when it is due again (Store.save_results).
_TOUCH_TRACKED = (
    update(tracked_orders)
    .where(tracked_orders.c.tenant == bindparam("t"), tracked_orders.c.po_id == bindparam("p"))
    .values(last_checked_at=bindparam("c"), next_check_at=bindparam("n"), updated_at=bindparam("u"))
)


def upsert(connection: Connection, table: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT for this connection's database that takes `on_conflict_do_update` / `_do_nothing`
    (both SQLite and PostgreSQL support ON CONFLICT, so every store module writes its upserts with it)."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    if connection.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise ValueError(f"unsupported database {connection.dialect.name!r}; use sqlite:// or postgresql+psycopg://")


S = TypeVar("S")

# Upserts built once per database kind: the statements are immutable, and constructing one (the
# `excluded` columns, the conflict clause) cost more CPU than running it from SQLAlchemy's compiled
# cache, once per table per batch flush.
_STATEMENTS: dict[tuple[str, str], Any] = {}


def cached_statement(connection: Connection, name: str, build: Callable[[Connection], S]) -> S:
    """The statement `build` makes for this connection's database, built on first use."""
    key = (connection.dialect.name, name)
    found = _STATEMENTS.get(key)
    if found is None:
        found = _STATEMENTS[key] = build(connection)
    return cast(S, found)


def _insert_events(connection: Connection) -> Insert:
    return upsert(connection, events).on_conflict_do_nothing(index_elements=["tenant", "po_id", "key"])


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Store:
        """Open the database at `url` (`sqlite:///path.db`, `sqlite:///:memory:`, `postgresql+psycopg://…`).

        A database that cannot be reached or opened raises StoreUnavailable: one line naming the URL
        (password hidden) and what to check, instead of the driver's traceback."""
        backend = make_url(url).get_backend_name()
        if backend == "sqlite":
            engine = _sqlite_engine(url)
        elif backend == "postgresql":
            engine = create_engine(url, pool_pre_ping=True)
        else:
            raise ValueError(f"unsupported store URL scheme {backend!r}; use sqlite:/// or postgresql+psycopg://")
        store = cls(engine)
        if migrate:
            try:
                store.migrate()
            except (DBAPIError, OSError) as exc:
                engine.dispose()
                raise StoreUnavailable(unavailable(url, exc)) from None
        return store

    def migrate(self) -> None:
        schema.upgrade(self.engine)

    def schema_version(self) -> str | None:
        return schema.current_revision(self.engine)

    def transaction(self) -> AbstractContextManager[Connection]:
        """One short read-write transaction: committed when the block ends, rolled back on an error."""
        return self.engine.begin()

    def reading(self) -> AbstractContextManager[Connection]:
        """A connection for reads (no transaction is held open across them)."""
        return self.engine.connect()

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    # -- tracked orders and events -------------------------------------------------------------------

    def load_tracked(self, tenant: str, po_ids: Iterable[int]) -> dict[int, TrackedOrder]:
        """The known rows among `po_ids`; a PO missing from the result is new."""
        found: dict[int, TrackedOrder] = {}
        with self.reading() as connection:
            for chunk in chunks(po_ids):
                query = select(tracked_orders).where(
                    tracked_orders.c.tenant == tenant, tracked_orders.c.po_id.in_(chunk)
                )
                for row in connection.execute(query).mappings():
                    found[row["po_id"]] = tracked_from_row(row)
        return found

    def due(self, tenant: str, now: datetime, *, limit: int = 1000) -> list[TrackedOrder]:
        """Orders whose `next_check_at` has passed (never-scheduled ones first), soonest first."""
        query = (
            select(tracked_orders)
            .where(tracked_orders.c.tenant == tenant)
            .where((tracked_orders.c.next_check_at <= now) | tracked_orders.c.next_check_at.is_(None))
            .order_by(tracked_orders.c.next_check_at.is_not(None), tracked_orders.c.next_check_at)
            .limit(limit)
        )
        with self.reading() as connection:
            return [tracked_from_row(row) for row in connection.execute(query).mappings()]

    def event_keys(self, tenant: str, po_ids: Iterable[int]) -> dict[int, frozenset[str]]:
        """Recorded event keys per PO; every requested id is present (empty when it has none)."""
        ids = set(po_ids)
        keys: dict[int, set[str]] = {po_id: set() for po_id in ids}
        with self.reading() as connection:
            for chunk in chunks(ids):
                query = select(events.c.po_id, events.c.key).where(events.c.tenant == tenant, events.c.po_id.in_(chunk))
                for po_id, key in connection.execute(query):
                    keys[po_id].add(key)
        return {po_id: frozenset(found) for po_id, found in keys.items()}

    def events_for(self, tenant: str, po_id: int) -> list[EventRecord]:
        query = (
            select(events)
            .where(events.c.tenant == tenant, events.c.po_id == po_id)
            .order_by(events.c.occurred_at, events.c.id)
        )
        with self.reading() as connection:
            return [event_from_row(row) for row in connection.execute(query).mappings()]

    def set_event_note(self, tenant: str, po_id: int, key: str, note_id: int) -> None:
        """Remember the ConnectWise note written for an event, so a restart does not write it again."""
        with self.transaction() as connection:
            connection.execute(
                update(events)
                .where(events.c.tenant == tenant, events.c.po_id == po_id, events.c.key == key)
                .values(note_id=note_id)
            )

    def save_results(self, tenant: str, results: Sequence[SyncRecord]) -> None:
        """One transaction for the whole batch: the tracked row, its events and its activity commit
        together or not at all (G2), so a crash mid-batch replays cleanly on the next cycle."""
        for result in results:
            if result.tracked.tenant != tenant:
                raise ValueError(
                    f"batch for tenant {tenant!r} holds PO {result.tracked.po_id} of {result.tracked.tenant!r}"
                )
        if not results:
            return
        now = datetime.now(UTC)
        # Last copy wins for a PO listed twice: PostgreSQL refuses to upsert one row twice per statement.
        tracked = {r.tracked.po_id: tracked_row(r.tracked, now) for r in results if not r.checked_only}
        checked = {
            r.tracked.po_id: {
                "t": tenant,
                "p": r.tracked.po_id,
                "c": r.tracked.last_checked_at,
                "n": r.tracked.next_check_at,
                "u": r.tracked.updated_at or now,
            }
            for r in results
            if r.checked_only and r.tracked.po_id not in tracked
        }
        event_rows: dict[tuple[int, str], dict[str, Any]] = {}
        for result in results:
            for record in result.events:
                event_rows.setdefault((record.po_id, record.dedup_key), event_row(record, tenant))
        entries = [entry for result in results for entry in result.activity]
        with self.transaction() as connection:
            if tracked:
                upsert_tracked = cached_statement(connection, "upsert tracked", self._upsert_tracked)
                connection.execute(upsert_tracked, list(tracked.values()))
            if checked:
                connection.execute(_TOUCH_TRACKED, list(checked.values()))
            if event_rows:
                ignore = cached_statement(connection, "insert events", _insert_events)
                connection.execute(ignore, list(event_rows.values()))
            if entries:
                connection.execute(activity.insert(), [activity_row(entry) for entry in entries])

    @staticmethod
    def _upsert_tracked(connection: Connection) -> Insert:
        stmt = upsert(connection, tracked_orders)
        new, old = stmt.excluded, tracked_orders.c
        # G8: a stage only moves forward, whatever a stale or replayed observation says; and an answer
        # that carries no stage (notFound, a failure) never erases the one we know.
        stage = case(
            (new.stage.is_(None), old.stage),
            (old.stage.is_(None), new.stage),
            (new.stage > old.stage, new.stage),
            else_=old.stage,
        )
        keep = {"tenant", "po_id", "first_seen_at"}  # first seen stays the first time we saw it
        values: dict[str, Any] = {c.name: new[c.name] for c in tracked_orders.columns if c.name not in keep}
        values["stage"] = stage
        return stmt.on_conflict_do_update(index_elements=["tenant", "po_id"], set_=values)

    # -- activity --------------------------------------------------------------------------------------

    def append_activity(self, entries: Sequence[ActivityEntry]) -> None:
        if not entries:
            return
        with self.transaction() as connection:
            connection.execute(activity.insert(), [activity_row(entry) for entry in entries])

    def query_activity(self, f: ActivityFilter) -> list[ActivityEntry]:
        with self.reading() as connection:
            return [entry_from_row(row) for row in connection.execute(select_activity(f)).mappings()]

    def prune_activity(self, before: datetime, *, tenant: str | None = None) -> int:
        """Delete activity older than `before` (retention is the operator's choice); returns rows removed."""
        condition = activity.c.at < before
        if tenant is not None:
            condition = and_(condition, activity.c.tenant == tenant)
        with self.transaction() as connection:
            return connection.execute(delete(activity).where(condition)).rowcount

    # -- cycles ----------------------------------------------------------------------------------------

    def start_cycle(self, tenant: str, started_at: datetime, *, dry_run: bool) -> int:
        row = {"tenant": tenant, "started_at": started_at, "dry_run": dry_run, "counts": {}, "status": "running"}
        with self.transaction() as connection:
            result = connection.execute(cycles.insert().returning(cycles.c.id), row)
            return int(result.scalar_one())

    def finish_cycle(self, cycle_id: int, finished_at: datetime, counts: Mapping[str, int], status: str) -> None:
        with self.transaction() as connection:
            done = connection.execute(
                update(cycles)
                .where(cycles.c.id == cycle_id)
                .values(finished_at=finished_at, counts=dict(counts), status=redact(status))
            )
            if done.rowcount != 1:
                raise LookupError(f"no cycle {cycle_id} to finish")

    def last_cycle(self, tenant: str) -> CycleRecord | None:
        query = (
            select(cycles)
            .where(cycles.c.tenant == tenant)
            .order_by(cycles.c.started_at.desc(), cycles.c.id.desc())
            .limit(1)
        )
        with self.reading() as connection:
            row = connection.execute(query).mappings().first()
        return None if row is None else cycle_from_row(row)
