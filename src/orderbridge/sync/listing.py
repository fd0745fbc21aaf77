"""The engine's default discovery (`sync --once`, worker jobs, the demo): every open tracked PO, then
the tracked POs the store still holds as open that this listing left out.

ConnectWise lists open POs only, and a PO we close leaves that listing with our closing PATCH. If the
process dies between that PATCH and the store's record of it (a kill, a crash, a cancelled cycle), the
store keeps saying "Shipped" for a PO nobody will list again: it goes stale and raises false alerts.
So after the listing, the POs the store holds as open (not CLOSED, not parked: `unclosed_ids`) that it
did not return are asked for by id, open or closed, exactly as the daemon asks for its due POs
(sync/discovery.py): one we closed comes back once so its close is recorded; one a person closed
(another status), unticked or deleted is parked and not asked about again until it is listed again.

The ids the listing returned are kept as a set for the final comparison: 8-byte integers, a few MB for
100,000 POs, where the POs themselves stream through and are never held.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from orderbridge.config import Settings
from orderbridge.connectwise.client import ConnectWiseClient, tracked
from orderbridge.core.clock import Clock
from orderbridge.core.domain import PurchaseOrder
from orderbridge.store import Store
from orderbridge.store.cursors import park, unclosed_ids
from orderbridge.sync.discovery import chunk_ids, list_by_ids, still_ours
from orderbridge.sync.duplicates import DuplicateNumbers

_log = logging.getLogger(__name__)


async def tracked_listing(
    settings: Settings,
    *,
    tenant: str,
    connectwise: ConnectWiseClient,
    store: Store,
    clock: Clock,
    duplicates: DuplicateNumbers,
    dry_run: bool = False,
) -> AsyncIterator[PurchaseOrder]:
    """Refresh `duplicates` from a light listing of the same POs, then yield every open tracked PO and
    every PO we may have closed just before a crash. A dry run parks nothing (it writes nowhere)."""
    field = settings.connectwise.tracking_field
    await duplicates.refresh(connectwise.iter_tracked_po_numbers(tracking_field=field))
    listed: set[int] = set()
    async for po in connectwise.iter_tracked_purchase_orders(tracking_field=field):
        listed.add(po.id)
        yield po
    now = clock.now()
    missing = [po_id for po_id in unclosed_ids(store, tenant, now) if po_id not in listed]
    del listed
    if not missing:
        return
    params = {"customFieldConditions": tracked(field), "pageSize": settings.connectwise.page_size}
    returned: set[int] = set()
    for chunk in chunk_ids(settings.connectwise.base_url, params, missing):
        async for po in list_by_ids(connectwise, settings, chunk):
            if still_ours(po, settings):
                returned.add(po.id)
                yield po
    gone = [po_id for po_id in missing if po_id not in returned]
    if gone and not dry_run:
        parked = park(store, tenant, gone, now, only_due=False)
        _log.info("tenant %s: %d POs are no longer open and tracked in ConnectWise; parked", tenant, parked)
