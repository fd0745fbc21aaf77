"""The store on both backends: migrations, upserts, duplicate-proof events, chunked reads, cycles."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, event, inspect, text
from sqlalchemy.exc import StatementError

from orderbridge.core.domain import Stage
from orderbridge.core.redaction import register_secret
from orderbridge.store import ActivityEntry, ActivityFilter, EventRecord, Store, SyncRecord, TrackedOrder
from orderbridge.store.schema import head_revision
from orderbridge.store.tables import metadata

T0 = datetime(2026, 1, 5, 16, 0, tzinfo=UTC)
TENANT = "acme"


def tracked(po_id: int, **changes: Any) -> TrackedOrder:
    base = TrackedOrder(tenant=TENANT, po_id=po_id, po_number=f"PO{po_id}", first_seen_at=T0, last_checked_at=T0)
    return replace(base, **changes)


def ev(po_id: int, key: str, **changes: Any) -> EventRecord:
    base = EventRecord(
        tenant=TENANT,
        po_id=po_id,
        key=key,
        kind="stage",
        summary=f"{key} for {po_id}",
        occurred_at=T0,
        stage=Stage.SHIPPED,
        details={"lines": [1, 2], "of": 5},
    )
    return replace(base, **changes)


def note(po_id: int, action: str = "observe", at: datetime = T0, **changes: Any) -> ActivityEntry:
    return ActivityEntry(at=at, tenant=TENANT, actor="orderbridge", action=action, po_id=po_id, **changes)


class StatementCounter:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.statements: list[str] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(statement)

    def selects(self) -> list[str]:
        return [s for s in self.statements if s.lstrip().upper().startswith("SELECT")]


@pytest.fixture
def counter(store: Store) -> Iterator[StatementCounter]:
    counting = StatementCounter(store.engine)
    event.listen(store.engine, "before_cursor_execute", counting)
    yield counting
    event.remove(store.engine, "before_cursor_execute", counting)


def test_fresh_store_is_at_head_revision(store: Store) -> None:
    assert store.schema_version() == head_revision() == "0010"


def test_migrating_again_is_a_no_op_that_keeps_data(store: Store, store_url: str) -> None:
    store.save_results(TENANT, [SyncRecord(tracked=tracked(1))])
    tables_before = sorted(inspect(store.engine).get_table_names())
    store.migrate()
    store.close()
    reopened = Store.open(store_url)
    try:
        assert reopened.schema_version() == head_revision()
        assert sorted(inspect(reopened.engine).get_table_names()) == tables_before
        assert set(reopened.load_tracked(TENANT, [1])) == {1}
    finally:
        reopened.close()


def test_unmigrated_store_reports_no_version(store_url: str) -> None:
    bare = Store.open(store_url, migrate=False)
    try:
        assert bare.schema_version() is None
        bare.migrate()
        assert bare.schema_version() == head_revision()
    finally:
        bare.close()


def test_table_definitions_match_the_migrated_schema(store: Store) -> None:
    with store.reading() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        assert compare_metadata(context, metadata) == []


def test_upsert_twice_keeps_one_row_with_latest_values(store: Store) -> None:
    store.save_results(TENANT, [SyncRecord(tracked=tracked(7, stage=Stage.ACCEPTED, fingerprint="a"))])
    later = T0 + timedelta(hours=2)
    second = tracked(
        7,
        first_seen_at=later,
        stage=Stage.SHIPPED,
        written_status="TDS Shipped",
        last_checked_at=later,
        next_check_at=later + timedelta(hours=4),
        consecutive_failures=2,
        last_error="timeout",
        fingerprint="b",
        updated_at=later,
    )
    store.save_results(TENANT, [SyncRecord(tracked=second)])
    with store.reading() as connection:
        assert connection.execute(text("SELECT count(*) FROM tracked_orders")).scalar_one() == 1
    row = store.load_tracked(TENANT, [7])[7]
    assert row == replace(second, first_seen_at=T0)  # first seen stays the first time


def test_a_checked_only_record_moves_the_check_times_and_nothing_else(store: Store) -> None:
    first = tracked(8, stage=Stage.SHIPPED, fingerprint="a", quiet_key="k", quiet_until=T0 + timedelta(days=9))
    store.save_results(TENANT, [SyncRecord(tracked=first)])
    later = T0 + timedelta(hours=1)
    touched = replace(first, last_checked_at=later, next_check_at=later + timedelta(hours=2), updated_at=later)
    # Anything else in a checked-only record is not written: a quiet check changes nothing it planned.
    stray = replace(touched, stage=Stage.CLOSED, fingerprint="b", quiet_key=None)
    store.save_results(TENANT, [SyncRecord(tracked=stray, checked_only=True)])
    assert store.load_tracked(TENANT, [8])[8] == touched


def test_stage_never_moves_backwards_or_is_erased(store: Store) -> None:
    store.save_results(TENANT, [SyncRecord(tracked=tracked(3, stage=Stage.SHIPPED))])
    store.save_results(TENANT, [SyncRecord(tracked=tracked(3, stage=Stage.ACCEPTED, fingerprint="stale"))])
    assert store.load_tracked(TENANT, [3])[3].stage is Stage.SHIPPED
    store.save_results(TENANT, [SyncRecord(tracked=tracked(3, stage=None))])
    assert store.load_tracked(TENANT, [3])[3].stage is Stage.SHIPPED
    store.save_results(TENANT, [SyncRecord(tracked=tracked(3, stage=Stage.INVOICED))])
    assert store.load_tracked(TENANT, [3])[3].stage is Stage.INVOICED


def test_same_po_twice_in_one_batch_keeps_the_last(store: Store) -> None:
    batch = [SyncRecord(tracked=tracked(4, fingerprint="one")), SyncRecord(tracked=tracked(4, fingerprint="two"))]
    store.save_results(TENANT, batch)
    assert store.load_tracked(TENANT, [4])[4].fingerprint == "two"


def test_replayed_batch_does_not_duplicate_events(store: Store) -> None:
    batch = [SyncRecord(tracked=tracked(1), events=[ev(1, "shipped:1"), ev(1, "shipped:1")])]
    store.save_results(TENANT, batch)
    # The crash-replay case: the same events arrive again in a later batch, beside a new one.
    store.save_results(TENANT, [SyncRecord(tracked=tracked(1), events=[ev(1, "shipped:1"), ev(1, "invoiced")])])
    recorded = store.events_for(TENANT, 1)
    assert [e.key for e in recorded] == ["shipped:1", "invoiced"]
    assert recorded[0].details == {"lines": [1, 2], "of": 5}
    assert recorded[0].stage is Stage.SHIPPED
    assert recorded[0].occurred_at == T0
    assert store.event_keys(TENANT, [1, 2]) == {1: frozenset({"shipped:1", "invoiced"}), 2: frozenset()}


def test_event_without_key_gets_a_stable_one(store: Store) -> None:
    store.save_results(TENANT, [SyncRecord(tracked=tracked(5), events=[ev(5, "")])])
    store.save_results(TENANT, [SyncRecord(tracked=tracked(5), events=[ev(5, "")])])
    (only,) = store.events_for(TENANT, 5)
    assert only.key.startswith("stage:")


def test_event_note_id_is_remembered(store: Store) -> None:
    store.save_results(TENANT, [SyncRecord(tracked=tracked(6), events=[ev(6, "shipped")])])
    store.set_event_note(TENANT, 6, "shipped", 9001)
    assert store.events_for(TENANT, 6)[0].note_id == 9001


def test_a_bad_record_rolls_back_the_whole_batch(store: Store) -> None:
    naive = datetime(2026, 1, 5, 16, 0)  # naive on purpose: the store must refuse it
    batch = [
        SyncRecord(tracked=tracked(1), events=[ev(1, "shipped")]),
        SyncRecord(tracked=tracked(2), activity=[note(2, at=naive)]),
    ]
    with pytest.raises(StatementError, match="naive datetime"):
        store.save_results(TENANT, batch)
    assert store.load_tracked(TENANT, [1, 2]) == {}
    assert store.event_keys(TENANT, [1]) == {1: frozenset()}


def test_batch_for_one_tenant_refuses_another_tenants_row(store: Store) -> None:
    with pytest.raises(ValueError, match="tenant"):
        store.save_results(TENANT, [SyncRecord(tracked=replace(tracked(1), tenant="other"))])


def test_tenants_do_not_see_each_other(store: Store) -> None:
    store.save_results(TENANT, [SyncRecord(tracked=tracked(1), events=[ev(1, "k")])])
    assert store.load_tracked("other", [1]) == {}
    assert store.event_keys("other", [1]) == {1: frozenset()}
    assert store.events_for("other", 1) == []


def test_load_tracked_reads_2500_ids_in_a_few_statements(store: Store, counter: StatementCounter) -> None:
    ids = list(range(1, 2501))
    store.save_results(TENANT, [SyncRecord(tracked=tracked(i)) for i in ids[::2]])
    counter.statements.clear()
    loaded = store.load_tracked(TENANT, ids)
    assert set(loaded) == set(ids[::2])
    assert 1 <= len(counter.selects()) <= 5
    counter.statements.clear()
    keys = store.event_keys(TENANT, ids)
    assert len(keys) == 2500
    assert 1 <= len(counter.selects()) <= 5


def test_save_results_is_batched_not_per_row(store: Store, counter: StatementCounter) -> None:
    batch = [SyncRecord(tracked=tracked(i), events=[ev(i, "a")], activity=[note(i)]) for i in range(200)]
    counter.statements.clear()
    store.save_results(TENANT, batch)
    writes = [s for s in counter.statements if s.lstrip().upper().startswith("INSERT")]
    assert len(writes) < 30  # executemany / multi-VALUES, not 600 single-row inserts


def test_datetimes_come_back_aware_and_in_utc(store: Store) -> None:
    plus_two = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    store.save_results(TENANT, [SyncRecord(tracked=tracked(1, first_seen_at=plus_two, next_check_at=plus_two))])
    row = store.load_tracked(TENANT, [1])[1]
    assert row.first_seen_at == plus_two
    assert row.first_seen_at.tzinfo is UTC
    assert row.next_check_at is not None and row.next_check_at.utcoffset() == timedelta(0)
    assert row.updated_at is not None and row.updated_at.tzinfo is UTC


def test_naive_datetimes_are_refused(store: Store) -> None:
    naive = datetime(2026, 1, 5)
    with pytest.raises(StatementError, match="naive datetime"):
        store.start_cycle(TENANT, naive, dry_run=False)


def test_due_lists_unscheduled_then_overdue_orders(store: Store) -> None:
    rows = [
        tracked(1, next_check_at=T0 - timedelta(minutes=5)),
        tracked(2, next_check_at=T0 + timedelta(minutes=5)),
        tracked(3, next_check_at=None),
        tracked(4, next_check_at=T0 - timedelta(hours=1)),
    ]
    store.save_results(TENANT, [SyncRecord(tracked=r) for r in rows])
    assert [t.po_id for t in store.due(TENANT, T0)] == [3, 4, 1]
    assert [t.po_id for t in store.due(TENANT, T0, limit=1)] == [3]


def test_cycles_record_start_finish_and_counts(store: Store) -> None:
    assert store.last_cycle(TENANT) is None
    first = store.start_cycle(TENANT, T0, dry_run=False)
    second = store.start_cycle(TENANT, T0 + timedelta(minutes=10), dry_run=True)
    running = store.last_cycle(TENANT)
    assert running is not None and running.id == second and running.status == "running"
    assert running.finished_at is None and running.dry_run is True
    counts = {"fetched": 5, "changed": 2, "unchanged": 2, "failed": 1, "written": 3}
    store.finish_cycle(second, T0 + timedelta(minutes=11), counts, "ok")
    done = store.last_cycle(TENANT)
    assert done is not None and done.counts == counts and done.status == "ok" and done.counts_add_up
    assert done.finished_at == T0 + timedelta(minutes=11)
    assert first != second
    with pytest.raises(LookupError):
        store.finish_cycle(999_999, T0, {}, "ok")


def test_secrets_never_reach_the_database(store: Store) -> None:
    register_secret("canary-Pa55word-store")
    store.save_results(
        TENANT,
        [
            SyncRecord(
                tracked=tracked(1, last_error="login failed for canary-Pa55word-store"),
                events=[ev(1, "e", summary="<Password>canary-Pa55word-store</Password>")],
                activity=[note(1, action="error", reason="password=canary-Pa55word-store", new_value="x")],
            )
        ],
    )
    with store.reading() as connection:
        dump = " ".join(
            str(row)
            for table in ("tracked_orders", "events", "activity")
            for row in connection.execute(text(f"SELECT * FROM {table}"))  # noqa: S608 - fixed names
        )
    assert "canary-Pa55word-store" not in dump
    assert "***" in dump


def test_in_memory_store_shares_one_database() -> None:
    with Store.open("sqlite:///:memory:") as memory:
        memory.save_results(TENANT, [SyncRecord(tracked=tracked(1))])
        assert set(memory.load_tracked(TENANT, [1])) == {1}
        assert memory.schema_version() == head_revision()


def test_sqlite_file_uses_wal_and_foreign_keys(store: Store) -> None:
    if store.engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas")
    with store.reading() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one() > 0


def test_unknown_url_scheme_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unsupported store URL"):
        Store.open("mysql://localhost/db")


def test_activity_append_and_query_round_trip(store: Store) -> None:
    cycle = store.start_cycle(TENANT, T0, dry_run=False)
    entry = note(1, action="write", cycle_id=cycle, field="status", old_value={"id": 1}, new_value=5, reason="r")
    store.append_activity([entry])
    (back,) = store.query_activity(ActivityFilter(tenant=TENANT))
    assert back == replace(entry, id=back.id)
    assert back.old_value == '{"id": 1}' and back.new_value == "5"


def test_a_reader_does_not_block_a_writer(store: Store, store_url: str) -> None:
    # The dashboard reads while the daemon writes: WAL on SQLite, MVCC on PostgreSQL.
    store.save_results(TENANT, [SyncRecord(tracked=tracked(1))])
    with Store.open(store_url) as other, store.reading() as reading:
        reading.execute(text("SELECT count(*) FROM tracked_orders")).scalar_one()  # holds a read snapshot
        other.save_results(TENANT, [SyncRecord(tracked=tracked(2))])
        assert set(other.load_tracked(TENANT, [1, 2])) == {1, 2}
    assert set(store.load_tracked(TENANT, [1, 2])) == {1, 2}
