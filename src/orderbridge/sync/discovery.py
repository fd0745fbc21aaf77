"""Incremental discovery for the daemon: which ConnectWise POs one cycle looks at, in few API calls.

A cycle lists (1) the tracked POs updated since the tenant's cursor minus an overlap window (that is
how new POs are found), then (2) the POs the store says are due, by `id in (...)`, or with one full
listing when that is fewer calls; every Nth cycle is a full listing anyway, as a safety net. Each PO
is yielded once. The cursor moves only when the daemon calls `commit()` after the engine has saved
the cycle's results (G2), so a crash re-lists rather than skips.

Fetching due POs, measured: an `id in (...)` URL stays under 2,000 characters (connectwise-psa.md
§2.1) with about 180 six-digit ids (each costs its digits plus 4 for an encoded ", "), so D due POs
cost ceil(D / ~180) calls, while a full listing of T tracked POs costs ceil(T / 1000). By id wins
while fewer than about a fifth of the POs are due, the usual case with a stage-based schedule; when
most are due at once (a restart after a long stop) the full listing wins. `_listing` decides per
cycle from the actual counts and URL lengths. Due POs are fetched by id whether open or closed, so a
PO we closed just before a crash is seen once more and its close recorded (see `_still_ours`).

Shared PO numbers (sync/duplicates.py) are looked for before each full listing only: the light listing
costs what a full listing costs in calls, and incremental cycles exist to avoid those. Between two full
listings the last result stands, so a number shared since then is caught at the next full listing.
"""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from orderbridge.config import Settings
from orderbridge.connectwise.client import PO_PATH, ConnectWiseClient, tracked
from orderbridge.connectwise.conditions import condition
from orderbridge.core.clock import Clock
from orderbridge.core.domain import PurchaseOrder
from orderbridge.store import Store
from orderbridge.store.cursors import (
    DiscoveryCursor,
    active_count,
    due_ids,
    load_cursor,
    park,
    save_cursor,
    unpark,
)
from orderbridge.sync.duplicates import DuplicateNumbers

MAX_URL = 2000  # ConnectWise's documented URL limit (DG "URL Max Length")
BATCH = 200  # POs held back at once, so parked ones can be woken up before the engine loads them
# A cursor further ahead of our clock than this is corrupt (G6); ConnectWise's clock may run a bit
# ahead of ours, which the overlap absorbs, but never by a day.
FUTURE_TOLERANCE = timedelta(days=1)
_log = logging.getLogger(__name__)


@dataclass
class DiscoveryReport:
    """What the last listing did, for the daemon's log and metrics."""

    mode: str = "incremental"  # "incremental", "by-id", "full"
    updated: int = 0  # POs from the updated-since listing
    due: int = 0  # due POs the store named
    by_id_calls: int = 0
    parked: int = 0
    unparked: int = 0
    yielded: int = 0
    complete: bool = False


def chunk_ids(base_url: str, params: dict[str, Any], ids: Sequence[int], *, limit: int = MAX_URL) -> list[list[int]]:
    """Split `ids` so each `id in (...)` listing URL, with `params`, stays within `limit` characters."""
    chunks: list[list[int]] = []
    current: list[int] = []
    length = 0
    # An id's cost depends only on its digits; measured once per width on the real encoder, not guessed.
    costs: dict[int, int] = {}
    for po_id in ids:
        width = len(str(po_id))
        if width not in costs:
            costs[width] = _url_length(base_url, params, [po_id, po_id]) - _url_length(base_url, params, [po_id])
        if current and length + costs[width] <= limit:
            current.append(po_id)
            length += costs[width]
            continue
        if current:
            chunks.append(current)
        current, length = [po_id], _url_length(base_url, params, [po_id])
    if current:
        chunks.append(current)
    return chunks


def _url_length(base_url: str, params: dict[str, Any], ids: Sequence[int]) -> int:
    query = {**params, "conditions": by_id_condition(ids)}
    return len(str(httpx.URL(base_url + PO_PATH, params=query)))


def by_id_condition(ids: Iterable[int]) -> str:
    # Closed POs too: see `IncrementalDiscovery._still_ours`.
    return condition("id", "in", list(ids))


def still_ours(po: PurchaseOrder, settings: Settings) -> bool:
    """Open, or closed by us: a crash can land between our closing write and its record (and notes),
    and a closed PO is in no listing, so a PO we closed is yielded once more to finish the job.
    A PO a person closed (another status) is theirs: it is parked with the unticked ones."""
    if not po.closed_flag:
        return True
    return po.status is not None and (po.status.name or "").casefold() == settings.statuses.closed.casefold()


def list_by_ids(cw: ConnectWiseClient, settings: Settings, ids: Sequence[int]) -> AsyncIterator[PurchaseOrder]:
    """The tracked POs among `ids`, open or closed: one listing call for ids `chunk_ids` grouped."""
    # A record it cannot read raises rather than being skipped: a gap here would read as "gone" and park it.
    return cw.list_purchase_orders(
        conditions=by_id_condition(ids),
        custom_field_conditions=tracked(settings.connectwise.tracking_field),
        what="purchase orders by id",
        skip_unreadable=False,
    )


class IncrementalDiscovery:
    """The daemon's `discover` source for one tenant's engine. Call it once per cycle, then `commit()` on success."""

    def __init__(
        self,
        settings: Settings,
        *,
        tenant: str,
        connectwise: ConnectWiseClient,
        store: Store,
        clock: Clock,
        stopping: Callable[[], bool] = lambda: False,
        duplicates: DuplicateNumbers | None = None,
    ) -> None:
        self.settings = settings
        self.tenant = tenant
        self.cw = connectwise
        self.store = store
        self.clock = clock
        self.stopping = stopping
        # Give the engine this same object: the full listing refreshes it, the engine reads it.
        self.duplicates = duplicates if duplicates is not None else DuplicateNumbers()
        self.report = DiscoveryReport()
        self.listings = 0  # how many listings began: tells the daemon whether the engine used this one
        self._pending: DiscoveryCursor | None = None

    def __call__(self) -> AsyncIterator[PurchaseOrder]:
        return self._listing()

    @property
    def _custom(self) -> str:
        return tracked(self.settings.connectwise.tracking_field)

    async def _listing(self) -> AsyncIterator[PurchaseOrder]:
        now = self.clock.now()
        daemon = self.settings.daemon
        cursor = load_cursor(self.store, self.tenant)
        self.listings += 1
        self.report = DiscoveryReport()
        self._pending = None
        seen: set[int] = set()
        newest: list[datetime] = []
        corrupt = self._corrupt(cursor, now)
        full = cursor.last_updated is None or cursor.cycles_since_full + 1 >= daemon.full_listing_every or corrupt
        if not full and cursor.last_updated is not None:
            since = cursor.last_updated - timedelta(minutes=daemon.overlap_minutes)
            updated = self.cw.iter_tracked_purchase_orders(
                tracking_field=self.settings.connectwise.tracking_field, updated_since=since
            )
            async for batch in _batches(updated):
                # A PO listed as updated was edited since we parked it (reopened, re-ticked): due again.
                self.report.unparked += unpark(self.store, self.tenant, [po.id for po in batch], now)
                for po in self._fresh(batch, seen, newest):
                    self.report.updated += 1
                    yield po
                if self.stopping():
                    return
        wanted = [po_id for po_id in due_ids(self.store, self.tenant, now) if po_id not in seen]
        self.report.due = len(wanted)
        base = self.settings.connectwise.base_url
        params = {"customFieldConditions": self._custom, "pageSize": self.settings.connectwise.page_size}
        page_size = self.settings.connectwise.page_size
        chunks = chunk_ids(base, params, wanted) if not full else []
        by_id_calls = sum(math.ceil(len(chunk) / page_size) for chunk in chunks)
        if not full and chunks and by_id_calls > self._full_calls(now):
            # Measured: a full listing is fewer calls. On a tie, by id wins: smaller replies, and the
            # periodic full listing is the safety net anyway.
            full = True
        returned: set[int] = set()
        if full:
            self.report.mode = "full"
            numbers = self.cw.iter_tracked_po_numbers(tracking_field=self.settings.connectwise.tracking_field)
            await self.duplicates.refresh(numbers)
            listing = self.cw.iter_tracked_purchase_orders(tracking_field=self.settings.connectwise.tracking_field)
            async for batch in _batches(listing):
                returned.update(po.id for po in batch)
                for po in self._fresh(batch, seen, newest):
                    yield po
                if self.stopping():
                    return
            # The full listing leaves out closed POs; a due one may be one we closed just before a crash.
            chunks = chunk_ids(base, params, [po_id for po_id in wanted if po_id not in returned])
        else:
            self.report.mode = "by-id" if chunks else "incremental"
        for chunk in chunks:
            batch = [po async for po in self._by_ids(chunk) if self._still_ours(po)]
            self.report.by_id_calls += 1
            returned.update(po.id for po in batch)
            for po in self._fresh(batch, seen, newest, track_cursor=False):
                yield po
            if self.stopping():
                return
        gone = [po_id for po_id in wanted if po_id not in returned]
        if gone:
            self.report.parked = park(self.store, self.tenant, gone, now)
            _log.info("tenant %s: %d due POs are no longer open and tracked; parked", self.tenant, len(gone))
        self.report.complete = True
        self._pending = self._advance(None if corrupt else cursor.last_updated, cursor, newest, now, full=full)

    def commit(self) -> DiscoveryCursor | None:
        """Persist the cursor of the listing that just finished; call only once the cycle's results are saved.
        A listing that was stopped early or failed commits nothing, so the next cycle lists that range again."""
        pending, self._pending = self._pending, None
        if pending is None or not self.report.complete:
            return None
        save_cursor(self.store, pending, self.clock.now())
        return pending

    def _still_ours(self, po: PurchaseOrder) -> bool:
        return still_ours(po, self.settings)

    def _fresh(
        self, batch: Sequence[PurchaseOrder], seen: set[int], newest: list[datetime], *, track_cursor: bool = True
    ) -> list[PurchaseOrder]:
        fresh = [po for po in batch if po.id not in seen]
        seen.update(po.id for po in fresh)
        self.report.yielded += len(fresh)
        if track_cursor:
            newest.extend(po.last_updated for po in batch if po.last_updated is not None)
        return fresh

    def _by_ids(self, ids: Sequence[int]) -> AsyncIterator[PurchaseOrder]:
        return list_by_ids(self.cw, self.settings, ids)

    def _full_calls(self, now: datetime) -> int:
        tracked = active_count(self.store, self.tenant, now)
        # A listing that ends on a full page needs one more, empty, call to see the end.
        return tracked // self.settings.connectwise.page_size + 1

    def _corrupt(self, cursor: DiscoveryCursor, now: datetime) -> bool:
        if cursor.last_updated is not None and cursor.last_updated > now + FUTURE_TOLERANCE:
            _log.warning(
                "tenant %s: discovery cursor %s is in the future; listing every PO instead",
                self.tenant,
                cursor.last_updated.isoformat(),
            )
            return True
        return False

    def _advance(
        self, previous: datetime | None, cursor: DiscoveryCursor, newest: list[datetime], now: datetime, *, full: bool
    ) -> DiscoveryCursor:
        # A record stamped far in the future would freeze the cursor ahead of every real change.
        plausible = [moment for moment in newest if moment <= now + FUTURE_TOLERANCE]
        candidates = [moment for moment in (previous, *plausible) if moment is not None]
        return DiscoveryCursor(
            tenant=self.tenant,
            last_updated=max(candidates) if candidates else None,
            cycles_since_full=0 if full else cursor.cycles_since_full + 1,
            last_full_at=now if full else cursor.last_full_at,
        )


async def _batches(listing: AsyncIterator[PurchaseOrder], size: int = BATCH) -> AsyncIterator[list[PurchaseOrder]]:
    batch: list[PurchaseOrder] = []
    async for po in listing:
        batch.append(po)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
