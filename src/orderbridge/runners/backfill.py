"""`orderbridge backfill --since DATE`: bring in POs from before orderbridge ran, quietly.

POs closed, cancelled or marked before the first sync are listed too (`closedFlag` either way, the
tracking custom field ticked, updated since DATE) and go through the engine's own cycle, so their
stage, events and report facts are exactly what a live sync would have recorded. What a live sync
would also do is left out, because these events are old news: no notifications, no alert
evaluation and no PO notes. Later live cycles see the events as recorded and stay quiet about them too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from orderbridge.config import Settings
from orderbridge.connectwise.client import PO_PATH, ConnectWiseClient
from orderbridge.connectwise.conditions import all_of, condition
from orderbridge.connectwise.models import PurchaseOrderModel
from orderbridge.connectwise.replies import parse
from orderbridge.core.domain import PurchaseOrder
from orderbridge.runners.operator import OperatorHooks
from orderbridge.sync.summary import CycleSummary
from orderbridge.sync.tenant import Tenant


class QuietHooks(OperatorHooks):
    """The operator hooks minus everything that reaches a person: facts are saved, nothing is sent."""

    async def after_cycle(self, now: datetime) -> Any:
        self.flush()
        return None


def quiet_settings(settings: Settings) -> Settings:
    """The same settings with PO notes off: a note for a shipment of last spring helps nobody."""
    return settings.model_copy(update={"sync": settings.sync.model_copy(update={"notes": False})})


async def list_marked_since(
    cw: ConnectWiseClient, *, tracking_field: str, since: datetime, page_size: int = 1000
) -> AsyncIterator[PurchaseOrder]:
    """Every PO with the tracking field ticked and updated since `since`, open or closed.

    The client's tracked listing is open-only by design, so this asks the same endpoint without the
    `closedFlag` condition; it goes through the client's paging (`_pages`, as `sync/discovery.py` does)
    so paging, retries and limits stay the client's.
    """
    params: dict[str, Any] = {
        "conditions": all_of(condition("_info/lastUpdated", ">=", since)),
        "customFieldConditions": all_of(condition("caption", "=", tracking_field), condition("value", "=", True)),
        "pageSize": page_size,
    }
    what = "purchase order list (backfill)"
    async for reply, items in cw._pages(PO_PATH, params, what=what, forward_only=True):
        for item in items:
            yield parse(PurchaseOrderModel, item, what, reply).to_domain()


async def run_backfill(tenant: Tenant, *, since: datetime, dry_run: bool = False) -> CycleSummary:
    """One quiet cycle over every PO marked and updated since `since`.

    `tenant` must come from `open_tenant(quiet_settings(settings), operator_view=False)`: the hooks
    are swapped here for `QuietHooks`, so facts and history are written and no message goes out.
    """
    engine = tenant.engine
    settings = tenant.settings
    engine.hooks = QuietHooks(settings, tenant.store, tenant.name)

    def discover() -> AsyncIterator[PurchaseOrder]:
        return list_marked_since(
            tenant.connectwise,
            tracking_field=settings.connectwise.tracking_field,
            since=since,
            page_size=settings.connectwise.page_size,
        )

    engine.discover = discover
    return await engine.run_cycle(dry_run=dry_run)


def describe(summary: CycleSummary) -> Sequence[str]:
    return [
        f"backfilled {summary.seen} PO(s): {summary.changed} changed, {summary.unchanged} unchanged, "
        f"{summary.failed} failed, {summary.events} event(s) recorded, {summary.writes} write(s); "
        "no notifications sent"
    ]
