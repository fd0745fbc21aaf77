"""One sync cycle for one tenant: discover, observe, plan, apply to ConnectWise, record.

The engine only wires the parts together and runs the workers; one PO's check is `check.py`. Business
rules live in the planner; what to ask the outside world in `observe.py`; how a plan reaches
ConnectWise in `apply.py`; the bookkeeping in `ledger.py`. Writes to ConnectWise happen before the
local record of them and every write is idempotent (absolute JSON Patch values, events de-duplicated
by key, notes found by their marker), so a crash between the two is repaired by the next cycle
instead of being lost or doubled.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from typing import Protocol
from zoneinfo import ZoneInfo

from orderbridge.core.domain import PurchaseOrder
from orderbridge.core.errors import Fatal, Retriable, Skippable
from orderbridge.rules.plan import PlanContext
from orderbridge.store.invoices import load_invoices, save_invoices
from orderbridge.store.recorder import PayloadRecorder
from orderbridge.sync.apply import Applied, Fence
from orderbridge.sync.check import CycleHooks, CycleState, OrderCheck, Work
from orderbridge.sync.credentials import CredentialsJudge, credential_checks
from orderbridge.sync.delivery import DeliveryTracking, delivery_zone
from orderbridge.sync.duplicates import DuplicateNumbers
from orderbridge.sync.fulfilment import Fulfilment
from orderbridge.sync.listing import tracked_listing
from orderbridge.sync.observe import Observer
from orderbridge.sync.quiet import cycle_signature
from orderbridge.sync.statuses import tenant_statuses
from orderbridge.sync.summary import CycleSummary
from orderbridge.sync.tenant import Tenant
from orderbridge.sync.tracking_field import TrackingFieldCheck

STORE_BATCH = 500  # checks per store transaction; a crash forgets at most these, and the next cycle redoes them
PAGE_BATCH = 500
Discover = Callable[[], AsyncIterator[PurchaseOrder]]


class Progress(Protocol):
    def __call__(self, *, advance: int = 0, total: int | None = None) -> None: ...


class Engine:
    """Runs cycles for one tenant. Every variant of a cycle is chosen here, at construction: `discover`
    (which POs a cycle looks at; default: sync/listing.py, every open tracked PO, one call per 1,000,
    and by id the ones the store still holds open), `observer` (where the answers come from; default:
    TD SYNNEX through the tenant's clients), `hooks` (the operator's view: facts, alerts, notifications;
    default: none), `fence` (the writer lease, checked before every ConnectWise write; default: none),
    `duplicates` (POs sharing a PO number, refused; refreshed by the default discovery or by the one
    given), `check_tracking_field` (an empty listing checks the custom field exists; default: with
    the default `discover`) and `ask_carriers` (False: no carrier-tracking provider is asked). Nothing
    is swapped in after construction."""

    def __init__(
        self,
        tenant: Tenant,
        *,
        discover: Discover | None = None,
        observer: Observer | None = None,
        hooks: CycleHooks | None = None,
        rng: random.Random | None = None,
        check_tracking_field: bool | None = None,
        fence: Fence | None = None,
        duplicates: DuplicateNumbers | None = None,
        ask_carriers: bool = True,
    ) -> None:
        settings = tenant.settings
        self.settings = settings
        self.tenant = tenant.name
        self.cw = tenant.connectwise
        self.store = tenant.store
        self.clock = tenant.clock
        self.hooks = hooks
        self.observer = observer or Observer(
            tdsynnex=tenant.tdsynnex, connectwise=tenant.connectwise, invoices=tenant.invoices, partner=tenant.partner
        )
        self.discover: Discover = discover or self._list_tracked
        # A listing of tracked POs that comes back empty may mean a misspelled caption (sync/tracking_field.py).
        listing = discover is None if check_tracking_field is None else check_tracking_field
        caption = settings.connectwise.tracking_field
        self.tracking_field = TrackingFieldCheck(tenant.connectwise, caption, tenant.clock) if listing else None
        self.fence = fence
        self.duplicates = duplicates if duplicates is not None else DuplicateNumbers()
        self._dry_run = False  # the running cycle's, for the default discovery (a dry run parks nothing)
        self.workers = max(1, settings.tdsynnex.concurrency * 2)
        # One PO's refused-looking answer fails that PO; these decide when a whole service refuses (credentials.py).
        self.credential_checks = credential_checks(
            tdsynnex=tenant.tdsynnex, invoices=tenant.invoices, connectwise=tenant.connectwise
        )
        self.rng = rng or random.Random()  # schedule jitter; a seeded one makes a run reproducible
        # The answers behind each decision, for `doctor` and `replay` (store/payloads.py).
        self.payloads = (
            PayloadRecorder(tenant.store, tenant.name, retention_days=settings.payloads.retention_days)
            if settings.payloads.enabled
            else None
        )
        # Carrier tracking (sync/delivery.py): polled first in each cycle, its parcels planned with each PO.
        # `ask_carriers=False` (replay, backfill): planned with the parcels on record, no provider asked.
        self.delivery = DeliveryTracking(settings, tenant.store, tenant.name, tenant.carriers, asks=ask_carriers)
        # `[fulfilment]` (sync/fulfilment.py): ticket, receiving, configurations; written before apply_plan.
        self.fulfilment = Fulfilment(settings, tenant.connectwise, fence=fence)
        self.check = OrderCheck(
            settings=settings,
            tenant=tenant.name,
            cw=tenant.connectwise,
            clock=tenant.clock,
            observer=self.observer,
            delivery=self.delivery,
            fulfilment=self.fulfilment,
            duplicates=self.duplicates,
            payloads=self.payloads,
            hooks=hooks,
            fence=fence,
            rng=self.rng,
        )

    def _list_tracked(self) -> AsyncIterator[PurchaseOrder]:
        return tracked_listing(
            self.settings,
            tenant=self.tenant,
            connectwise=self.cw,
            store=self.store,
            clock=self.clock,
            duplicates=self.duplicates,
            dry_run=self._dry_run,
        )

    async def run_cycle(
        self,
        *,
        dry_run: bool = False,
        progress: Progress | None = None,
        due_only: bool = False,
        force: Collection[int] = (),
    ) -> CycleSummary:
        """One cycle. `due_only` skips POs whose next check is still ahead (the daemon's mode);
        `force` names PO ids to check regardless (a ConnectWise callback asked for them)."""
        started = self.clock.now()
        self._dry_run = dry_run
        shipment_methods = tuple(await self.cw.list_shipment_methods())
        hooks = None if dry_run else self.hooks
        if hooks is not None:
            hooks.begin_cycle(shipment_methods)
        statuses = await tenant_statuses(
            self.cw, self.settings.statuses, self.store, self.tenant, started, learn=not dry_run
        )
        ctx = PlanContext(
            status_names=self.settings.statuses,
            statuses=statuses.stages.for_planning(statuses.listed),  # by id once known: rules/statuses.py
            shipment_methods=shipment_methods,
            now=started,
            release_on_fees=self.settings.sync.release_on_fees,
            sync=self.settings.sync,
            tdsynnex_zone=ZoneInfo(self.settings.tdsynnex.timezone),
            carriers=self.settings.carriers,
            delivery_zone=delivery_zone(self.settings),
        )
        cycle = CycleState(
            ctx=ctx,
            summary=CycleSummary(tenant=self.tenant, dry_run=dry_run),
            cycle_id=None if dry_run else self.store.start_cycle(self.tenant, started, dry_run=dry_run),
            dry_run=dry_run,
            records=[],
            invoices=[],
            signature=cycle_signature(self.settings, ctx) if self.settings.sync.quiet_checks else None,
            credentials=CredentialsJudge(self.credential_checks),
        )
        cycle.summary.warnings.extend(rename.warning() for rename in statuses.stages.renamed)
        queue: asyncio.Queue[Work | None] = asyncio.Queue(maxsize=self.workers * 4)
        forced = frozenset(force)
        if not dry_run:  # carriers first: a PO whose parcels changed is made due and planned in this cycle
            forced |= (await self.delivery.poll(started)).forced

        async def produce() -> None:
            page: list[PurchaseOrder] = []
            try:
                async for po in self.discover():
                    page.append(po)
                    if len(page) >= PAGE_BATCH:
                        await enqueue(page)
                        page = []
            except (Skippable, Retriable) as exc:
                # A PO-list page that failed after its retries: the POs listed so far are still synced,
                # and the cycle is recorded as incomplete so nobody mistakes it for a full pass.
                cycle.incomplete = f"discovery stopped early: {exc.message}"
            await enqueue(page)
            for _ in range(self.workers):
                await queue.put(None)

        async def enqueue(page: Sequence[PurchaseOrder]) -> None:
            if not page:
                return
            ids = [po.id for po in page]
            tracked = self.store.load_tracked(self.tenant, ids)
            keys = self.store.event_keys(self.tenant, ids)
            invoices = load_invoices(self.store, self.tenant, ids)
            parcels = self.delivery.load(ids)
            if self.payloads is not None and not cycle.dry_run:
                self.payloads.prime(ids)
            for po in page:
                known = (keys.get(po.id, frozenset()), invoices.get(po.id, []), parcels.get(po.id, ()))
                await queue.put(Work(po, tracked.get(po.id), *known))

        async def work() -> None:
            while (item := await queue.get()) is not None:
                if due_only and item.po.id not in forced and not OrderCheck.due(item.tracked, started):
                    cycle.summary.seen += 1
                    cycle.summary.not_due += 1
                    continue
                record = await self.check.run(item, cycle)
                if progress is not None:
                    progress(advance=1)
                if record is not None:
                    cycle.records.append(record)
                    if len(cycle.records) >= STORE_BATCH:
                        self._flush(cycle)

        status = "ok"
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(produce())
                for _ in range(self.workers):
                    group.create_task(work())
            if cycle.summary.seen == 0 and self.tracking_field is not None:
                await self.tracking_field.confirm()
        except* Fatal as fatal:
            status = "aborted"
            cycle.summary.aborted = str(fatal.exceptions[0])
            raise fatal.exceptions[0] from None
        finally:
            self._flush(cycle)
            cycle.summary.warnings.extend(self.delivery.warnings())
            if cycle.incomplete and status == "ok":
                status = "incomplete"
                cycle.summary.aborted = cycle.incomplete
            if status == "ok" and cycle.summary.find_outage(self.settings):
                status = "service-down"
            if cycle.cycle_id is not None:
                self.store.finish_cycle(cycle.cycle_id, self.clock.now(), cycle.summary.counts(), status)
        if hooks is not None:
            # Alerts and notifications never fail a cycle whose writes already happened.
            await hooks.after_cycle(self.clock.now())
        return cycle.summary

    def _flush(self, cycle: CycleState) -> None:
        if cycle.dry_run:
            cycle.records.clear()
            cycle.invoices.clear()
            return
        now = self.clock.now()
        if cycle.invoices:
            save_invoices(self.store, self.tenant, list(cycle.invoices), now)
            cycle.invoices.clear()
        self.delivery.flush()  # before the checks that planned with these parcels
        if cycle.records:
            self.store.save_results(self.tenant, list(cycle.records))
            cycle.records.clear()
        if self.payloads is not None:
            self.payloads.flush()
        if self.hooks is not None:
            self.hooks.flush()


__all__ = ["Applied", "CycleHooks", "Engine", "Fence", "Progress"]
