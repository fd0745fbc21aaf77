"""`doctor PO`: the I/O half. Collects the evidence `po.explain` reads, from the store and ConnectWise.

ConnectWise is asked live (is the PO marked, what is its number now); TD SYNNEX is not: its last
answer is in the payload store, and asking again would hide exactly the stale answer being diagnosed.
"""

from __future__ import annotations

import contextlib
import difflib
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from orderbridge.config import Settings
from orderbridge.connectwise.client import ConnectWiseClient
from orderbridge.connectwise.conditions import condition
from orderbridge.core.domain import PurchaseOrder
from orderbridge.core.errors import OrderbridgeError
from orderbridge.store import ActivityFilter, Store, TrackedOrder
from orderbridge.store.payloads import TDSYNNEX, Payload, latest_payloads
from orderbridge.store.rows import tracked_from_row
from orderbridge.store.tables import tracked_orders
from orderbridge.tdsynnex.xml import parse_status_response
from orderbridge.troubleshoot.po import Evidence

NEAR_CUTOFF = 0.75
NEAR_MAX = 5


def find_tracked(store: Store, tenant: str, po_number: str) -> TrackedOrder | None:
    """The tracked row for a PO number (case-insensitive; the most recently updated if several)."""
    query = (
        select(tracked_orders)
        .where(tracked_orders.c.tenant == tenant, func.lower(tracked_orders.c.po_number) == po_number.lower())
        .order_by(tracked_orders.c.updated_at.desc())
        .limit(1)
    )
    with store.reading() as connection:
        row = connection.execute(query).mappings().first()
    return None if row is None else tracked_from_row(row)


def near_numbers(store: Store, tenant: str, po_number: str) -> list[str]:
    """Tracked PO numbers that look like this one (a typo, a missing prefix, a suffix): never itself."""
    query = select(tracked_orders.c.po_number).where(
        tracked_orders.c.tenant == tenant, tracked_orders.c.po_number.is_not(None)
    )
    with store.reading() as connection:
        known = sorted({str(n) for (n,) in connection.execute(query)} - {po_number})
    wanted = po_number.casefold().strip()
    close = set(difflib.get_close_matches(po_number, known, n=NEAR_MAX, cutoff=NEAR_CUTOFF))
    # Containment catches "4711" vs "PO-4711-B", which a ratio of short strings can miss.
    close |= {n for n in known if len(wanted) >= 3 and (wanted in n.casefold() or n.casefold().strip() in wanted)}
    return sorted(close)[:NEAR_MAX]


async def find_live(cw: ConnectWiseClient, po_number: str) -> PurchaseOrder | None:
    """The ConnectWise PO with exactly this number, open or closed, marked or not."""
    listing = cw.list_purchase_orders(
        conditions=condition("poNumber", "=", po_number), page_size=10, what=f"PO {po_number!r}"
    )
    async for po in listing:
        return po
    return None


async def reference_names(cw: ConnectWiseClient) -> dict[str, dict[int, str]]:
    """Names of the statuses and shipment methods, by id, for writes logged with an id alone."""
    statuses = {status.id: status.name for status in await cw.list_statuses()}
    methods = {method.id: method.name for method in await cw.list_shipment_methods()}
    return {"status": statuses, "shipmentMethod": methods}


async def gather(
    settings: Settings,
    store: Store,
    tenant: str,
    po_number: str,
    now: datetime,
    cw: ConnectWiseClient | None,
) -> tuple[Evidence, Payload | None]:
    live: PurchaseOrder | None = None
    live_error: str | None = None
    names: dict[str, dict[int, str]] = {}
    if cw is not None:
        try:
            live = await find_live(cw, po_number)
        except OrderbridgeError as exc:
            live_error = f"ConnectWise not asked: {exc.message}"
        else:
            with contextlib.suppress(OrderbridgeError):  # without names the writes read `#7`: still true
                names = await reference_names(cw)
    tracked = find_tracked(store, tenant, po_number)
    po_id = live.id if live is not None else (tracked.po_id if tracked else None)
    if live is not None and tracked is None:
        found = store.load_tracked(tenant, [live.id])
        tracked = found.get(live.id)
    payload: Payload | None = None
    order = None
    if po_id is not None:
        payload = latest_payloads(store, tenant, [po_id], TDSYNNEX).get(po_id)
        if payload is not None:
            try:
                order = parse_status_response(payload.body, tz=ZoneInfo(settings.tdsynnex.timezone))
            except OrderbridgeError:
                order = None  # the raw body is still shown on request
    activity = store.query_activity(ActivityFilter(tenant=tenant, po_id=po_id, limit=200)) if po_id is not None else []
    events = store.events_for(tenant, po_id) if po_id is not None else []
    evidence = Evidence(
        po_number=po_number,
        tenant=tenant,
        now=now,
        settings=settings,
        live=live,
        live_error=live_error,
        tracked=tracked,
        order=order,
        answered_at=payload.fetched_at if payload else None,
        answer_since=payload.first_fetched_at if payload else None,
        activity=activity,
        events=events,
        names=names,
        # Only a PO that cannot be found needs the look-alikes (po.py says why).
        near=near_numbers(store, tenant, po_number) if live is None and tracked is None else (),
    )
    return evidence, payload
