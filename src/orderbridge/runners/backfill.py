"""`orderbridge backfill --since DATE`: bring in POs from before orderbridge ran, quietly.

POs closed, cancelled or marked before the first sync are listed too (`closedFlag` either way, the
tracking custom field ticked, updated since DATE) and go through the engine's own cycle, so their
stage, events and report facts are exactly what a live sync would have recorded. What a live sync
would also do is left out, because these events are old news: no notifications, no alert
evaluation and no PO notes. Later live cycles see the events as recorded and stay quiet about them too.
It writes to ConnectWise, so it holds the tenant's writer lease (runners/writer.py) unless it is a dry run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime

from orderbridge.config import Settings
from orderbridge.connectwise.client import ConnectWiseClient, tracked
from orderbridge.connectwise.conditions import condition
from orderbridge.core.domain import PurchaseOrder
from orderbridge.runners.operator import QuietHooks
from orderbridge.runners.writer import tenant_writer
from orderbridge.sync.engine import Engine
from orderbridge.sync.summary import CycleSummary
from orderbridge.sync.tenant import Tenant


def quiet_settings(settings: Settings) -> Settings:
    """The same settings with PO notes off: a note for a shipment of last spring helps nobody."""
    return settings.model_copy(update={"sync": settings.sync.model_copy(update={"notes": False})})


def list_marked_since(
    cw: ConnectWiseClient, *, tracking_field: str, since: datetime, page_size: int = 1000
) -> AsyncIterator[PurchaseOrder]:
    """Every PO with the tracking field ticked and updated since `since`, open or closed (the tracked
    listing is open-only by design, so this asks without the `closedFlag` condition)."""
    return cw.list_purchase_orders(
        conditions=condition("_info/lastUpdated", ">=", since),
        custom_field_conditions=tracked(tracking_field),
        page_size=page_size,
        what="purchase order list (backfill)",
    )


async def run_backfill(tenant: Tenant, *, since: datetime, dry_run: bool = False) -> CycleSummary:
    """One quiet cycle over every PO marked and updated since `since`: facts and history are written,
    no message goes out. `tenant` must be opened with `quiet_settings(settings)` (no PO notes)."""
    settings = tenant.settings

    def discover() -> AsyncIterator[PurchaseOrder]:
        return list_marked_since(
            tenant.connectwise,
            tracking_field=settings.connectwise.tracking_field,
            since=since,
            page_size=settings.connectwise.page_size,
        )

    hooks = QuietHooks(settings, tenant.store, tenant.name)
    # No carrier is asked: packages of old shipments are registered due, for the next live cycle.
    if dry_run:
        return await Engine(tenant, discover=discover, hooks=hooks, ask_carriers=False).run_cycle(dry_run=True)
    async with tenant_writer(tenant, "orderbridge backfill").held() as lease:
        return await Engine(tenant, discover=discover, hooks=hooks, fence=lease, ask_carriers=False).run_cycle()


def describe(summary: CycleSummary) -> Sequence[str]:
    return [
        f"backfilled {summary.seen} PO(s): {summary.changed} changed, {summary.unchanged} unchanged, "
        f"{summary.failed} failed, {summary.events} event(s) recorded, {summary.writes} write(s); "
        "no notifications sent"
    ]
