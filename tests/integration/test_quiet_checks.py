"""The quiet check (sync/quiet.py) end to end: it skips only what planning would not change.

The strongest test is differential: the same book synced with quiet checks on and off must leave
ConnectWise and the store in the same state, cycle after cycle, while the quiet run plans far less.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from world import World, simple_order, world

from orderbridge.core.domain import Stage
from orderbridge.runners.setup import run_setup
from orderbridge.simulators.book import seed_demo_book
from orderbridge.store import Store
from orderbridge.store.payloads import CONNECTWISE, TDSYNNEX, latest_payloads, payload_history

VOLATILE = {"_info", "lastUpdated", "dateUpdated"}


async def _setup(w: World) -> None:
    await run_setup(w.tenant.settings, w.tenant.connectwise)


def _tracked(w: World, store: Store, number: str) -> Any:
    po_id = w.po(number)["id"]
    return store.load_tracked("default", [po_id])[po_id]


async def test_unchanged_pos_are_quiet_and_an_answer_that_moves_is_planned(store: Store) -> None:
    async with world(store) as w:
        await _setup(w)
        start = w.clock.now()
        w.add(simple_order("PO-Q1", start, ship_after=timedelta(days=1), invoice_after=None))
        w.add(simple_order("PO-Q2", start, ship_after=None, invoice_after=None, order_number="41000002"))
        first = await w.engine.run_cycle()
        assert first.quiet == 0 and first.changed == 2
        assert _tracked(w, store, "PO-Q1").quiet_key is not None  # settled after its own writes

        writes = w.writes()
        second = await w.engine.run_cycle()
        assert (second.quiet, second.unchanged, second.changed, second.failed) == (2, 2, 0, 0)
        assert w.writes() == writes
        assert second.balanced

        w.clock.advance(timedelta(days=2))  # PO-Q1 ships; PO-Q2's answer stays the same
        third = await w.engine.run_cycle()
        assert (third.quiet, third.changed) == (1, 1)
        assert w.po("PO-Q1")["trackingNumber"] == "541877002320"
        assert w.po("PO-Q1")["status"]["name"] == "TDS Shipped"


async def test_a_quiet_check_moves_the_answers_fetched_at_and_keeps_no_connectwise_copy(store: Store) -> None:
    """Payloads keep the answers behind decisions: a quiet check decided nothing, so only the TD SYNNEX
    answer's `fetched_at` moves; the ConnectWise PO is stored when it is planned again."""
    async with world(store) as w:
        await _setup(w)
        w.add(simple_order("PO-Q7", w.clock.now(), ship_after=None, invoice_after=None))
        await w.engine.run_cycle()
        po_id = w.po("PO-Q7")["id"]
        before = payload_history(store, "default", po_id)
        assert sorted(p.source for p in before) == [CONNECTWISE, TDSYNNEX]

        w.clock.advance(timedelta(minutes=20))
        assert (await w.engine.run_cycle()).quiet == 1
        after = payload_history(store, "default", po_id)
        assert len(after) == len(before)  # no new copy of either
        answer = latest_payloads(store, "default", [po_id], TDSYNNEX)[po_id]
        assert answer.fetched_at == w.clock.now() > answer.first_fetched_at
        kept = latest_payloads(store, "default", [po_id], CONNECTWISE)[po_id]
        assert kept.fetched_at == kept.first_fetched_at < w.clock.now()

        w.clock.advance(timedelta(minutes=20))
        await w.tenant.connectwise.patch_purchase_order(  # a person edits the PO
            po_id, [{"op": "replace", "path": "status", "value": {"name": "Backordered"}}]
        )
        assert (await w.engine.run_cycle()).quiet == 0
        assert len([p for p in payload_history(store, "default", po_id) if p.source == CONNECTWISE]) == 2


async def test_a_person_editing_the_po_breaks_the_quiet(store: Store) -> None:
    async with world(store) as w:
        await _setup(w)
        record = w.add(simple_order("PO-Q3", w.clock.now(), ship_after=None, invoice_after=None))
        await w.engine.run_cycle()
        w.clock.advance(timedelta(minutes=5))
        await w.tenant.connectwise.patch_purchase_order(
            record["id"], [{"op": "replace", "path": "status", "value": {"name": "Backordered"}}]
        )
        summary = await w.engine.run_cycle()
        assert summary.quiet == 0
        events = [event.kind for event in store.events_for("default", record["id"])]
        assert "status_taken_over" in events  # planned, so the person's status was noticed
        assert w.po("PO-Q3")["status"]["name"] == "Backordered"
        assert (await w.engine.run_cycle()).quiet == 1  # settled again, on the person's terms


async def test_an_invoiced_po_is_quiet_only_until_it_is_due_to_close(store: Store) -> None:
    async with world(store, sync={"close_after_days": 3}) as w:
        await _setup(w)
        w.add(simple_order("PO-Q4", w.clock.now(), ship_after=timedelta(hours=2), invoice_after=timedelta(hours=4)))
        w.clock.advance(timedelta(hours=5))
        await w.engine.run_cycle()
        tracked = _tracked(w, store, "PO-Q4")
        assert tracked.stage is Stage.INVOICED
        assert tracked.quiet_until is not None and tracked.quiet_until > w.clock.now()
        assert (await w.engine.run_cycle()).quiet == 1
        w.clock.advance(timedelta(days=3))  # the answer does not change; only the clock does
        summary = await w.engine.run_cycle()
        assert summary.quiet == 0
        assert w.po("PO-Q4")["status"]["name"] == "TDS Closed"
        assert _tracked(w, store, "PO-Q4").stage is Stage.CLOSED
        assert (await w.engine.run_cycle()).seen == 0  # closed in ConnectWise, so no longer listed


async def test_a_new_shipment_method_in_connectwise_replans_everything(store: Store) -> None:
    async with world(store) as w:
        await _setup(w)
        w.add(simple_order("PO-Q5", w.clock.now(), ship_after=None, invoice_after=None))
        await w.engine.run_cycle()
        assert (await w.engine.run_cycle()).quiet == 1
        w.cw.add_shipment_method("Courier Express")
        assert (await w.engine.run_cycle()).quiet == 0
        assert (await w.engine.run_cycle()).quiet == 1


async def test_quiet_checks_off_plans_every_po(store: Store) -> None:
    async with world(store, sync={"quiet_checks": False}) as w:
        await _setup(w)
        w.add(simple_order("PO-Q6", w.clock.now(), ship_after=None, invoice_after=None))
        await w.engine.run_cycle()
        summary = await w.engine.run_cycle()
        assert (summary.quiet, summary.unchanged) == (0, 1)
        assert _tracked(w, store, "PO-Q6").quiet_key is None


def _book(w: World) -> str:
    """ConnectWise as an operator would compare it: every PO, line and note, minus write timestamps."""
    state: list[Any] = []
    for po in sorted(w.cw.purchase_orders.scan(), key=lambda record: record["id"]):
        state.append({k: v for k, v in po.items() if k not in VOLATILE})
        state.append([{k: v for k, v in line.items() if k not in VOLATILE} for line in w.cw.line_items_of(po["id"])])
        state.append(sorted(str(note.get("text")) for note in w.cw.notes(po["id"])))
    return json.dumps(state, sort_keys=True, default=str)


def _ledger(store: Store, w: World) -> list[Any]:
    ids = [po["id"] for po in w.cw.purchase_orders.scan()]
    tracked = store.load_tracked("default", ids)
    return [
        (po_id, row.stage, row.written_status, row.person_status, row.fingerprint, row.consecutive_failures)
        for po_id, row in sorted(tracked.items())
    ] + [sorted(store.event_keys("default", ids).items())]


async def test_quiet_on_and_off_leave_the_same_connectwise_and_store(store: Store, tmp_path: Path) -> None:
    """The demo book over a fortnight, each step checked twice (the second a "nothing new" cycle)."""
    plain_store = Store.open(f"sqlite:///{tmp_path / 'plain.db'}")
    try:
        async with world(store) as quiet, world(plain_store, sync={"quiet_checks": False}) as plain:
            for w in (quiet, plain):
                await _setup(w)
                seed_demo_book(w.cw, w.tds, w.clock, orders=30)
            quiet_total = 0
            for _step in range(8):
                for _again in range(2):
                    q, p = await quiet.engine.run_cycle(), await plain.engine.run_cycle()
                    quiet_total += q.quiet
                    assert (q.changed, q.failed, q.writes) == (p.changed, p.failed, p.writes)
                    assert _book(quiet) == _book(plain)
                    assert _ledger(store, quiet) == _ledger(plain_store, plain)
                for w in (quiet, plain):
                    w.clock.advance(timedelta(days=2))
            assert quiet_total > 100  # most checks of this book were quiet, so the comparison means something
    finally:
        plain_store.close()
