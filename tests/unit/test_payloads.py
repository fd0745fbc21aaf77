"""The raw payload store: compressed, one row per distinct answer, pruned by age, never a credential."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from orderbridge.store import Store
from orderbridge.store.payloads import (
    TDSYNNEX,
    digest_of,
    latest_payloads,
    payload_history,
    payload_po_ids,
    payloads,
    prune_payloads,
    scrub,
)
from orderbridge.store.recorder import PayloadRecorder

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def answer(code: str, stamp: str = "2026-03-01T12:00:00") -> bytes:
    return (
        f"<OrderStatusResponse><ResponseDateTime>{stamp}</ResponseDateTime>"
        f"<PONumber>PO-1</PONumber><Code>{code}</Code></OrderStatusResponse>"
    ).encode()


def test_identical_answers_share_a_row_and_only_move_fetched_at(store: Store) -> None:
    recorder = PayloadRecorder(store, "t", retention_days=30)
    recorder.record(1, "PO-1", TDSYNNEX, answer("accepted", "a"), T0)
    recorder.flush()
    recorder.record(1, "PO-1", TDSYNNEX, answer("accepted", "b"), T0 + timedelta(hours=1))
    recorder.flush()
    history = payload_history(store, "t", 1)
    assert len(history) == 1
    assert history[0].first_fetched_at == T0 and history[0].fetched_at == T0 + timedelta(hours=1)

    recorder.record(1, "PO-1", TDSYNNEX, answer("shipped"), T0 + timedelta(hours=2))
    recorder.flush()
    latest = latest_payloads(store, "t", [1, 2], TDSYNNEX)
    assert set(latest) == {1} and b"shipped" in latest[1].body
    assert len(payload_history(store, "t", 1)) == 2


def test_bodies_are_stored_compressed(store: Store) -> None:
    body = answer("accepted") * 50
    recorder = PayloadRecorder(store, "t", retention_days=30)
    recorder.record(7, "PO-7", TDSYNNEX, body, T0)
    recorder.flush()
    with store.reading() as connection:
        blob, size = connection.execute(select(payloads.c.body, payloads.c.size)).one()
    assert size == len(body) and len(blob) < len(body) // 5
    assert zlib.decompress(blob) == body


def test_retention_prunes_old_answers_but_keeps_each_pos_latest(store: Store) -> None:
    recorder = PayloadRecorder(store, "t", retention_days=30)
    recorder.record(1, "PO-1", TDSYNNEX, answer("accepted"), T0)
    recorder.record(2, "PO-2", TDSYNNEX, answer("accepted"), T0)
    recorder.flush()
    recorder.record(1, "PO-1", TDSYNNEX, answer("shipped"), T0 + timedelta(days=40))
    recorder.flush()  # a day has passed since the last prune, so this one prunes too
    assert [p.body for p in payload_history(store, "t", 1)] == [answer("shipped")]
    assert len(payload_history(store, "t", 2)) == 1, "PO-2's only (latest) answer is kept however old"
    assert prune_payloads(store, T0 + timedelta(days=100)) == 0


def test_secrets_are_redacted_before_storing(store: Store) -> None:
    leaky = b"<Credential><UserID>me@example.com</UserID><Password>hunter2hunter2</Password></Credential>"
    assert b"hunter2" not in scrub(leaky) and b"me@example.com" not in scrub(leaky)
    recorder = PayloadRecorder(store, "t", retention_days=30)
    recorder.record(3, "PO-3", TDSYNNEX, leaky + answer("accepted"), T0)
    recorder.flush()
    with store.reading() as connection:
        (blob,) = connection.execute(select(payloads.c.body)).one()
    assert b"hunter2" not in zlib.decompress(blob)


def test_digest_ignores_the_response_timestamp_only() -> None:
    assert digest_of(answer("accepted", "x")) == digest_of(answer("accepted", "y"))
    assert digest_of(answer("accepted")) != digest_of(answer("shipped"))


def test_po_ids_since_and_by_number(store: Store) -> None:
    recorder = PayloadRecorder(store, "t", retention_days=30)
    recorder.record(1, "PO-1", TDSYNNEX, answer("accepted"), T0)
    recorder.record(2, "PO-2", TDSYNNEX, answer("accepted"), T0 + timedelta(days=2))
    recorder.flush()
    assert payload_po_ids(store, "t", since=T0 + timedelta(days=1)) == [2]
    assert payload_po_ids(store, "t", since=T0, po_number="PO-1") == [1]
    assert payload_po_ids(store, "other", since=T0) == []


def test_a_primed_recorder_only_moves_fetched_at_of_an_answer_it_already_has(store: Store) -> None:
    first = PayloadRecorder(store, "t", retention_days=30)
    first.record(1, "PO-1", TDSYNNEX, answer("accepted", "a"), T0)
    first.record(2, "PO-2", TDSYNNEX, answer("accepted", "a"), T0)
    first.flush()
    later = PayloadRecorder(store, "t", retention_days=30)  # a new cycle: learns digests from the store
    later.prime([1, 2, 3])
    later.record(1, "PO-1", TDSYNNEX, answer("accepted", "b"), T0 + timedelta(hours=1))
    later.record(2, "PO-2", TDSYNNEX, answer("shipped", "b"), T0 + timedelta(hours=1))
    later.record(3, "PO-3", TDSYNNEX, answer("accepted", "b"), T0 + timedelta(hours=1))
    later.flush()
    one, two, three = (payload_history(store, "t", po) for po in (1, 2, 3))
    assert [(p.first_fetched_at, p.fetched_at) for p in one] == [(T0, T0 + timedelta(hours=1))]
    assert len(two) == 2 and b"shipped" in two[0].body
    assert len(three) == 1
    # A stale touch never moves fetched_at backwards.
    later.record(1, "PO-1", TDSYNNEX, answer("accepted"), T0)
    later.flush()
    assert payload_history(store, "t", 1)[0].fetched_at == T0 + timedelta(hours=1)


def test_a_body_that_needed_scrubbing_stays_one_scrubbed_row(store: Store) -> None:
    leaky = b"<Error><Password>hunter2hunter2</Password></Error>"
    for hour in range(3):
        recorder = PayloadRecorder(store, "t", retention_days=30)
        recorder.prime([5])
        recorder.record(5, "PO-5", TDSYNNEX, leaky, T0 + timedelta(hours=hour))
        recorder.flush()
    history = payload_history(store, "t", 5)
    assert len(history) == 1 and b"hunter2" not in history[0].body
    assert history[0].fetched_at == T0 + timedelta(hours=2)
