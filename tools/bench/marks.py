"""What the bench reads back from the store: a compact mark per PO, and one digest of what the rows say.

`answers_changed` and `pos_with_new_invoices` (bench/model.py's `Changes`) compare the store before and
after the first measured cycle; the digest compares two priming routes (tests/bench). Both are read a
chunk of POs at a time and kept as bytes, not objects, so the bench's own bookkeeping stays out of the
peak RSS it reports.
"""

from __future__ import annotations

import hashlib
import json
from array import array
from dataclasses import asdict, dataclass
from datetime import datetime

from orderbridge.store import Store
from orderbridge.store.facts import FactsRow, load_facts
from orderbridge.store.invoices import load_invoices
from orderbridge.store.records import TrackedOrder

MARK = 8  # bytes of digest kept per PO answer: collisions are out of reach at any N we run
MARK_CHUNK = 1000  # POs read from the store at once


@dataclass(frozen=True)
class StoreMarks:
    """Per PO in id order: a short digest of its stored answer and its invoice count.

    About 12 bytes a PO, read a chunk at a time, so the bench's own bookkeeping stays out of the peak
    RSS it reports (dicts of TrackedOrder objects for every id were several MB per 10,000 POs).
    """

    answers: bytes
    invoices: array[int]
    state: str  # digest of each PO's stage, ownership, failures, event keys and clock-free facts

    def digest(self) -> str:
        whole = self.answers + self.invoices.tobytes() + self.state.encode()
        return hashlib.blake2b(whole, digest_size=16).hexdigest()

    def answers_changed(self, later: StoreMarks) -> int:
        a, b = self.answers, later.answers
        return sum(1 for at in range(0, len(a), MARK) if a[at : at + MARK] != b[at : at + MARK])

    def pos_with_new_invoices(self, later: StoreMarks) -> int:
        return sum(1 for before, after in zip(self.invoices, later.invoices, strict=True) if after > before)


def read_marks(store: Store, ids: range) -> StoreMarks:
    answers, invoices, state = bytearray(), array("I"), hashlib.blake2b(digest_size=16)
    for start in range(0, len(ids), MARK_CHUNK):
        chunk = ids[start : start + MARK_CHUNK]
        tracked = store.load_tracked("default", chunk)
        found = load_invoices(store, "default", list(chunk))
        keys = store.event_keys("default", chunk)
        facts = load_facts(store, "default", chunk)
        for po in chunk:
            row = tracked.get(po)
            fingerprint = row.fingerprint if row else None
            digest = hashlib.blake2b(fingerprint.encode(), digest_size=MARK).digest() if fingerprint else bytes(MARK)
            answers += digest
            invoices.append(len(found.get(po, ())))
            state.update(_state_text(po, row, sorted(keys.get(po, ())), facts.get(po)).encode())
    return StoreMarks(bytes(answers), invoices, state.hexdigest())


def _state_text(po: int, row: TrackedOrder | None, keys: list[str], facts: FactsRow | None) -> str:
    """What a PO's rows say, without the moments they were written (those differ between two runs)."""
    own = (row.stage, row.written_status, row.person_status, row.consecutive_failures, row.last_error) if row else None
    seen = {k: v for k, v in asdict(facts).items() if not isinstance(v, datetime)} if facts else None
    return json.dumps([po, own, keys, seen], default=str) + "\n"
