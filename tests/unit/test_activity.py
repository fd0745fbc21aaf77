"""The activity log: filters by PO, date range and action; CSV/JSON exports that read back unchanged."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from orderbridge.store import (
    ACTIVITY_COLUMNS,
    ActivityEntry,
    ActivityFilter,
    Store,
    encode_value,
    export_activity,
    load_activity,
)

T0 = datetime(2026, 1, 5, 16, 0, tzinfo=UTC)


def entry(minutes: int, action: str, po: int | None, tenant: str = "acme", **more: object) -> ActivityEntry:
    fields: dict[str, object] = {"reason": f"{action} at {minutes}", **more}
    return ActivityEntry(
        at=T0 + timedelta(minutes=minutes),
        tenant=tenant,
        actor="orderbridge",
        action=action,
        po_id=po,
        po_number=None if po is None else f"PO-{po}",
        **fields,  # type: ignore[arg-type]
    )


@pytest.fixture
def seeded(store: Store) -> Store:
    store.append_activity(
        [
            entry(0, "observe", 1),
            entry(1, "write", 1, field="status", old_value="TDS Accepted", new_value="TDS Shipped"),
            entry(2, "note", 1),
            entry(3, "observe", 2),
            entry(4, "error", 2, reason="TD SYNNEX said notFound"),
            entry(5, "cycle", None),
            entry(6, "write", 2, field="trackingNumber", old_value=None, new_value="1Z999"),
            entry(7, "observe", 1, tenant="other"),
        ]
    )
    return store


def minutes(entries: list[ActivityEntry]) -> list[int]:
    return [int((e.at - T0).total_seconds() // 60) for e in entries]


def test_newest_first_for_a_tenant(seeded: Store) -> None:
    assert minutes(seeded.query_activity(ActivityFilter(tenant="acme"))) == [6, 5, 4, 3, 2, 1, 0]


def test_filter_by_po_number_and_po_id(seeded: Store) -> None:
    assert minutes(seeded.query_activity(ActivityFilter(tenant="acme", po_number="PO-1"))) == [2, 1, 0]
    assert minutes(seeded.query_activity(ActivityFilter(tenant="acme", po_id=2))) == [6, 4, 3]
    # Without a tenant the filter spans tenants (the operator's view).
    assert minutes(seeded.query_activity(ActivityFilter(tenant=None, po_id=1))) == [7, 2, 1, 0]


def test_filter_by_date_range_is_since_inclusive_until_exclusive(seeded: Store) -> None:
    window = ActivityFilter(tenant="acme", since=T0 + timedelta(minutes=2), until=T0 + timedelta(minutes=5))
    assert minutes(seeded.query_activity(window)) == [4, 3, 2]


def test_filter_by_actions(seeded: Store) -> None:
    found = seeded.query_activity(ActivityFilter(tenant="acme", actions=("write", "error")))
    assert [e.action for e in found] == ["write", "error", "write"]


def test_filters_combine_and_limit_keeps_the_newest(seeded: Store) -> None:
    found = seeded.query_activity(ActivityFilter(tenant="acme", po_id=1, actions=("observe", "note"), limit=1))
    assert minutes(found) == [2]
    assert len(seeded.query_activity(ActivityFilter(limit=None))) == 8


def test_filter_by_cycle(store: Store) -> None:
    cycle = store.start_cycle("acme", T0, dry_run=False)
    store.append_activity([entry(0, "cycle", None, cycle_id=cycle), entry(1, "observe", 1)])
    assert minutes(store.query_activity(ActivityFilter(cycle_id=cycle))) == [0]


def test_prune_removes_only_older_rows(seeded: Store) -> None:
    assert seeded.prune_activity(T0 + timedelta(minutes=3), tenant="acme") == 3
    assert minutes(seeded.query_activity(ActivityFilter(tenant="acme"))) == [6, 5, 4, 3]


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl"])
def test_export_reads_back_unchanged(seeded: Store, fmt: str) -> None:
    stored = seeded.query_activity(ActivityFilter(limit=None))
    out = io.StringIO()
    assert export_activity(stored, fmt, out) == len(stored)  # type: ignore[arg-type]
    out.seek(0)
    assert load_activity(out, fmt) == stored  # type: ignore[arg-type]


def test_csv_has_a_header_in_stable_column_order(seeded: Store) -> None:
    out = io.StringIO()
    export_activity(seeded.query_activity(ActivityFilter(tenant="acme", actions=("write",))), "csv", out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert tuple(rows[0]) == ACTIVITY_COLUMNS
    assert rows[0][:3] == ["id", "at", "tenant"]
    assert rows[1][ACTIVITY_COLUMNS.index("at")] == "2026-01-05T16:06:00+00:00"
    assert rows[1][ACTIVITY_COLUMNS.index("new_value")] == "1Z999"


def test_json_export_is_one_array_and_empty_is_valid() -> None:
    out = io.StringIO()
    export_activity([entry(0, "observe", 1)], "json", out)
    (item,) = json.loads(out.getvalue())
    assert list(item) == list(ACTIVITY_COLUMNS)
    empty = io.StringIO()
    export_activity([], "json", empty)
    assert json.loads(empty.getvalue()) == []


def test_csv_cells_that_look_like_formulas_are_defused_and_restored() -> None:
    risky = entry(0, "write", 1, field="notes", old_value='=HYPERLINK("http://x")', new_value=-5)
    out = io.StringIO()
    export_activity([risky], "csv", out)
    row = next(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["old_value"].startswith("'=") and row["new_value"] == "'-5"
    assert load_activity(io.StringIO(out.getvalue()), "csv") == [risky]


def test_table_export_is_aligned_text() -> None:
    out = io.StringIO()
    assert export_activity([entry(0, "observe", 1), entry(1, "write", 22, field="status")], "table", out) == 2
    header, *lines = out.getvalue().splitlines()
    assert header.split() == ["at", "po_number", "action", "field", "old_value", "new_value", "reason"]
    assert len(lines) == 2 and "PO-22" in lines[1]


def test_unknown_format_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown export format"):
        export_activity([], "xml", io.StringIO())  # type: ignore[arg-type]


def test_values_are_text_strings_as_is_everything_else_json() -> None:
    assert encode_value(None) is None
    assert encode_value("TDS Shipped") == "TDS Shipped"
    assert encode_value(5) == "5"
    assert encode_value(True) == "true"
    assert encode_value({"id": 3, "name": "Ground"}) == '{"id": 3, "name": "Ground"}'
    assert encode_value(datetime(2026, 1, 5, tzinfo=UTC)) == '"2026-01-05T00:00:00+00:00"'
    assert entry(0, "write", 1, old_value=["1Z1", "1Z2"]).old_value == '["1Z1", "1Z2"]'
