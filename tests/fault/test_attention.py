"""Poison isolation (reliability-security.md G10): a PO that fails K cycles in a row is listed as needing
attention with its last error and since when, never holds up the other POs, and leaves the list by
itself once the cause is fixed. End to end through the engine, both simulators and a real store."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from world import simple_order, world

from orderbridge.cli import main
from orderbridge.runners.setup import run_setup
from orderbridge.store import ActivityFilter, Store, TrackedOrder
from orderbridge.store.attention import (
    attention_entry,
    attention_report,
    attention_transition,
    failing_since,
    needs_attention,
)

K = 3


@pytest.mark.parametrize("cause", ["connectwise-400", "tdsynnex-error"])
async def test_a_poison_po_is_flagged_after_k_cycles_never_blocks_others_and_recovers(store: Store, cause: str) -> None:
    async with world(store, sync={"attention_after_failures": K}) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        start = w.clock.now()
        for n in range(6):
            w.add(simple_order(f"PO-{700 + n}", start, ship_after=timedelta(hours=6 + 3 * n)))
        poison = w.po("PO-702")
        if cause == "connectwise-400":
            fault = w.cw.faults.add(
                rf"/procurement/purchaseorders/{poison['id']}$", method="PATCH", status=400, times=None
            )
        else:
            w.tds.faults.add("error_detail", po_number="PO-702", detail="PO on credit hold")
        first_failure = None
        for cycle in range(K + 1):
            summary = await w.engine.run_cycle()
            first_failure = first_failure or w.clock.now()
            assert [po for po, _ in summary.failures] == ["PO-702"]
            assert summary.changed + summary.unchanged == 5 and summary.balanced
            flagged = needs_attention(store, "default", K)
            assert [t.po_number for t in flagged] == (["PO-702"] if cycle + 1 >= K else [])
            w.clock.advance(timedelta(hours=13))
        for n in (0, 1, 3, 4, 5):
            assert w.po(f"PO-{700 + n}")["status"]["name"] == "TDS Shipped"  # the others moved on
        (item,) = attention_report(store, "default", K)
        assert item.failures == K + 1
        assert ("400" if cause == "connectwise-400" else "credit hold") in (item.order.last_error or "")
        assert item.failing_since == first_failure

        if cause == "connectwise-400":
            w.cw.faults.clear()
            assert fault.hits == K + 1
        else:
            w.tds.faults.clear()
        summary = await w.engine.run_cycle()
        assert summary.failed == 0
        assert needs_attention(store, "default", K) == []
        assert w.po("PO-702")["status"]["name"] == "TDS Shipped"
        (row,) = store.load_tracked("default", [poison["id"]]).values()
        assert (row.consecutive_failures, row.last_error) == (0, None)


def order(failures: int, **fields: object) -> TrackedOrder:
    values: dict[str, object] = {
        "tenant": "t1",
        "po_id": 1,
        "po_number": "PO-1",
        "first_seen_at": datetime(2026, 1, 1, tzinfo=UTC),
        "consecutive_failures": failures,
        "last_error": "boom" if failures else None,
    }
    return TrackedOrder(**(values | fields))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [(2, 3, "attention"), (3, 4, None), (0, 1, None), (3, 0, "recovered"), (7, 0, "recovered"), (2, 0, None)],
)
def test_transitions_are_reported_once(before: int, after: int, expected: str | None) -> None:
    assert attention_transition(before, after, 3) == expected


def test_attention_entries_read_well_in_the_log() -> None:
    at = datetime(2026, 1, 3, tzinfo=UTC)
    entered = attention_entry("attention", order(3), at=at, cycle_id=9)
    assert (entered.action, entered.field, entered.old_value, entered.new_value) == (
        "attention",
        "needs_attention",
        "false",
        "true",
    )
    assert "3 cycles in a row" in entered.reason and "boom" in entered.reason
    left = attention_entry("recovered", order(0), at=at, cycle_id=10)
    assert (left.action, left.new_value) == ("recovered", "false")


def test_the_list_is_per_tenant_and_longest_failing_first(store: Store) -> None:
    from orderbridge.store import SyncRecord

    now = datetime(2026, 1, 5, tzinfo=UTC)
    rows = [order(5, po_id=1), order(3, po_id=2, po_number="PO-2"), order(1, po_id=3), order(4, tenant="t2", po_id=4)]
    for row in rows:
        store.save_results(row.tenant, [SyncRecord(tracked=row)])
    assert [t.po_id for t in needs_attention(store, "t1", 3)] == [1, 2]
    assert [t.po_id for t in needs_attention(store, None, 3)] == [1, 4, 2]
    assert failing_since(store, rows[0]) is None  # no error entries recorded: unknown, not invented
    with pytest.raises(ValueError):
        needs_attention(store, "t1", 0)
    assert now  # keeps the fixture's clock explicit for readers


def test_failing_since_survives_a_pruned_log(store: Store) -> None:
    from orderbridge.store import ActivityEntry, SyncRecord

    base = datetime(2026, 1, 5, tzinfo=UTC)
    errors = [
        ActivityEntry(
            at=base + timedelta(hours=h), tenant="t1", actor="orderbridge", action="error", po_id=1, reason="x"
        )
        for h in range(4)
    ]
    store.save_results("t1", [SyncRecord(tracked=order(3), activity=errors)])
    assert failing_since(store, order(3)) == base + timedelta(hours=1)  # the third newest of four
    store.prune_activity(base + timedelta(hours=2), tenant="t1")
    assert failing_since(store, order(3)) == base + timedelta(hours=2)
    assert store.query_activity(ActivityFilter(tenant="t1", actions=("error",)))


def test_the_attention_command_prints_table_csv_and_json(tmp_path: Path) -> None:
    from orderbridge.store import SyncRecord

    url = f"sqlite:///{tmp_path / 'ob.db'}"
    with Store.open(url) as store:
        store.save_results("default", [SyncRecord(tracked=order(4, tenant="default", last_error="=HYPERLINK(x)"))])
        store.save_results("default", [SyncRecord(tracked=order(1, tenant="default", po_id=2, po_number="PO-2"))])
    config = tmp_path / "orderbridge.toml"
    config.write_text(
        f"""
[connectwise]
company = "demo"
public_key = "pub"
private_key = "attention-cli-private-key"
client_id = "cid"
[tdsynnex]
user_id = "u@example.com"
password = "pw"
customer_number = "1"
[store]
url = "{url}"
""",
        encoding="utf-8",
    )
    runner = CliRunner()
    as_json = runner.invoke(main, ["--config", str(config), "attention", "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    (row,) = json.loads(as_json.stdout)
    assert (row["po_number"], row["failures"], row["last_error"]) == ("PO-1", 4, "=HYPERLINK(x)")
    as_csv = runner.invoke(main, ["--config", str(config), "attention", "--format", "csv", "--threshold", "1"])
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [r["po_number"] for r in rows] == ["PO-1", "PO-2"]
    assert rows[0]["last_error"] == "'=HYPERLINK(x)"  # defused for spreadsheets
    table = runner.invoke(main, ["--config", str(config), "attention"])
    assert table.exit_code == 0 and "PO-1" in table.output and "PO-2" not in table.output
    none = runner.invoke(main, ["--config", str(config), "attention", "--threshold", "9"])
    assert "No PO has failed 9 cycles in a row" in none.output
