"""`PayloadRecorder`: what the engine calls to keep the raw answers behind each check (store/payloads.py).

Most answers of a steady-state cycle are byte-for-byte the answer already stored for that PO, and for
those the only news is the time it came again. So the recorder learns each page's newest digests before
its POs are checked (`prime`, one query per page) and digests an answer before anything else: a known
digest only moves `fetched_at`. Scrubbing, serialising and compressing, a large share of a cycle's
CPU when done for every answer, happen only for answers that are new.

The digest of an unscrubbed body is compared, never stored: a body that needed scrubbing digests
differently from its stored (scrubbed) copy, so it takes the slow path each time, which is correct and
rare (TD SYNNEX answers carry no credentials).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from orderbridge.core.domain import PurchaseOrder
from orderbridge.store.pagewindow import PageWindow
from orderbridge.store.payloads import (
    CONNECTWISE,
    TDSYNNEX,
    Payload,
    digest_of,
    latest_digests,
    po_json,
    prune_payloads,
    save_payloads,
    scrub,
    touch_payloads,
)
from orderbridge.store.store import Store


class PayloadRecorder:
    """`prime` per page of POs, `observed`/`answered` per check, `flush` in the engine's batch flush.

    Buffered so a cycle of thousands of POs adds one transaction per batch, not one per PO; pruning
    runs at most once a day per recorder, on flush.
    """

    def __init__(self, store: Store, tenant: str, *, retention_days: int) -> None:
        self.store = store
        self.tenant = tenant
        self.retention = timedelta(days=retention_days)
        self._rows: list[Payload] = []
        self._touches: list[tuple[int, datetime]] = []
        self._known: dict[tuple[int, str], tuple[int, str]] = {}  # (po, source) -> (row id, digest)
        self._pages = PageWindow()  # digests of the last few pages only (pagewindow.py)
        self._pruned_at: datetime | None = None

    def prime(self, po_ids: Iterable[int]) -> None:
        """Learn the newest stored digests of these POs (the next page the engine checks)."""
        ids = list(po_ids)
        self._known.update(latest_digests(self.store, self.tenant, ids))
        for po_id in self._pages.admit(ids):
            self._known.pop((po_id, TDSYNNEX), None)
            self._known.pop((po_id, CONNECTWISE), None)

    def record(
        self, po_id: int, po_number: str | None, source: str, body: bytes, at: datetime, digest: str | None = None
    ) -> None:
        """`digest` is `digest_of(body)` when the caller has it already (the observer digests every answer)."""
        row_id, known = self._known.get((po_id, source), (None, None))
        digest, clean = digest or digest_of(body), body
        if digest != known:
            clean = scrub(body)
            if clean is not body:
                digest = digest_of(clean)
        if row_id is not None and digest == known:
            self._touches.append((row_id, at))
            return
        # New, or not primed: the upsert stores it once (and only moves `fetched_at` of a known copy).
        # Its row id is unknown until then, so a repeat in this batch takes the upsert too.
        self._known.pop((po_id, source), None)
        self._rows.append(Payload(self.tenant, po_id, po_number, source, digest, at, at, clean))

    def observed(self, po: PurchaseOrder, raw: bytes, at: datetime, raw_digest: str | None = None) -> None:
        """One planned PO: the TD SYNNEX body (when there is one) and the ConnectWise PO the planner saw."""
        self.answered(po, raw, at, raw_digest)
        self.record(po.id, po.po_number, CONNECTWISE, po_json(po), at)

    def answered(self, po: PurchaseOrder, raw: bytes, at: datetime, raw_digest: str | None = None) -> None:
        """A quiet check (sync/quiet.py): the answer came again, so its `fetched_at` moves; nothing was
        planned, so there is no ConnectWise PO behind a decision to keep (and after a cycle that wrote, every
        PO it wrote to would be stored once more as our own write left it; those PATCHes are in the
        activity log)."""
        if raw:
            self.record(po.id, po.po_number, TDSYNNEX, raw, at, raw_digest)

    def flush(self) -> None:
        rows, self._rows = self._rows, []
        touches, self._touches = self._touches, []
        save_payloads(self.store, rows)
        touch_payloads(self.store, touches)
        newest = max([at for _row, at in touches] + [row.fetched_at for row in rows], default=None)
        if newest is not None and (self._pruned_at is None or newest - self._pruned_at >= timedelta(days=1)):
            prune_payloads(self.store, newest - self.retention, tenant=self.tenant)
            self._pruned_at = newest


__all__ = ["PayloadRecorder"]
