"""`orderbridge replay --since DATE`: re-plan from stored TD SYNNEX answers after a config change.

After renaming the TDS statuses, changing the shipment-method mapping or a planner fix, the POs
already synced should reflect the new rules without waiting for TD SYNNEX to say something new.
Replay runs the engine's own cycle (plan, apply, ledger: no second copy of the sync logic) with an
observer that serves each PO's latest stored answer instead of calling TD SYNNEX. ConnectWise is read
fresh (the PO and its lines), so the plan is the difference between the new rules and what
ConnectWise holds now: a second replay finds nothing to do and writes nothing. It writes, so it holds
the tenant's writer lease (runners/writer.py) unless it is a dry run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from orderbridge.core.domain import Invoice, PurchaseOrder
from orderbridge.core.errors import Skippable
from orderbridge.runners.operator import QuietHooks
from orderbridge.runners.writer import tenant_writer
from orderbridge.store import TrackedOrder
from orderbridge.store.payloads import TDSYNNEX, Payload, latest_payloads, payload_po_ids
from orderbridge.sync.engine import Engine, Fence
from orderbridge.sync.observe import Observation, Observer, fingerprint
from orderbridge.sync.summary import CycleSummary
from orderbridge.sync.tenant import Tenant
from orderbridge.tdsynnex.xml import parse_status_response


class NothingStored(Skippable):
    """No TD SYNNEX answer is stored for this PO, so there is nothing to replay."""


class StoredObserver(Observer):
    """An `Observer` that answers from the payload store. It never calls TD SYNNEX (the client it
    inherits stays unused); ConnectWise lines are read because the plan must match ConnectWise now."""

    def __init__(self, tenant: Tenant, stored: dict[int, Payload], tz: ZoneInfo) -> None:
        super().__init__(tdsynnex=tenant.tdsynnex, connectwise=tenant.connectwise, invoices=None, partner=None)
        self.stored = stored
        self.tz = tz

    async def observe(
        self,
        po: PurchaseOrder,
        po_number: str,
        tracked: TrackedOrder | None,
        known_invoices: Sequence[Invoice],
        *,
        signature: str | None = None,
        now: datetime | None = None,
        parcels: str = "",
    ) -> Observation:
        # `signature`, `now` and `parcels` are ignored: a replay re-plans on purpose, so no PO is quiet.
        payload = self.stored.get(po.id)
        if payload is None:
            raise NothingStored(f"PO {po_number}: no stored TD SYNNEX answer to replay")
        order = parse_status_response(payload.body, tz=self.tz)
        lines_fetched = bool(order.lines)
        if lines_fetched:
            po = replace(po, lines=tuple(await self.cw.list_line_items(po.id)))
        invoices = tuple(sorted(known_invoices, key=lambda i: (i.invoice_date or date.min, i.invoice_number)))
        # raw stays empty: a replayed answer is not a new answer, so the payload store is not told of it.
        return Observation(po, order, fingerprint(order), "stored PO Status", invoices, (), lines_fetched)


async def run_replay(
    tenant: Tenant, *, since: datetime, po_number: str | None = None, dry_run: bool = False
) -> CycleSummary:
    """Re-plan every PO with a TD SYNNEX answer stored since `since` (or just `po_number`) and apply
    the difference. Notifications stay off: replayed events were news when they first happened."""
    ids = payload_po_ids(tenant.store, tenant.name, since=since, po_number=po_number)
    stored = latest_payloads(tenant.store, tenant.name, ids, TDSYNNEX)

    async def discover() -> AsyncIterator[PurchaseOrder]:
        for po_id in ids:
            yield await tenant.connectwise.get_purchase_order(po_id)

    def engine(fence: Fence | None) -> Engine:
        return Engine(
            tenant,
            discover=discover,
            observer=StoredObserver(tenant, stored, ZoneInfo(tenant.settings.tdsynnex.timezone)),
            hooks=QuietHooks(tenant.settings, tenant.store, tenant.name),
            fence=fence,
            ask_carriers=False,  # old answers re-planned: the carriers are asked by live cycles only
        )

    if dry_run:
        return await engine(None).run_cycle(dry_run=True)
    async with tenant_writer(tenant, "orderbridge replay").held() as lease:
        return await engine(lease).run_cycle()
