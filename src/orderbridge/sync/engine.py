"""One sync cycle for one tenant: discover, ask TD SYNNEX, plan, patch ConnectWise, record.

The engine only wires the parts together. Business rules live in the planner; HTTP policy lives in
`http.py`; persistence in the store. Writes to ConnectWise happen before the local record of them,
and every write is idempotent (JSON Patch `replace` of absolute values, events de-duplicated by key),
so a crash between the two is repaired by the next cycle instead of being lost or doubled.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from orderbridge.clock import Clock
from orderbridge.config import Settings
from orderbridge.connectwise.client import ConnectWiseClient
from orderbridge.connectwise.patch import changes_to_ops
from orderbridge.domain import DistributorOrder, Plan, PurchaseOrder, Stage
from orderbridge.errors import Fatal, InvalidPurchaseOrder, OrderbridgeError, Retriable, Skippable
from orderbridge.store import ActivityEntry, EventRecord, Store, SyncRecord, TrackedOrder
from orderbridge.sync.plan import PlanContext, PriorState, plan_purchase_order
from orderbridge.sync.schedule import next_check
from orderbridge.sync.summary import CycleSummary, PlannedChange
from orderbridge.tdsynnex.client import TDSynnexClient

ACTOR = "orderbridge"
STORE_BATCH = 200
PAGE_BATCH = 500
# The schedule says "stop" for a PO closed longer than the grace period; the store keeps a date, so
# "never" is a date far enough ahead that no daemon reaches it.
NEVER = timedelta(days=36500)


Discover = Callable[[], AsyncIterator[PurchaseOrder]]


class Progress(Protocol):
    def __call__(self, *, advance: int = 0, total: int | None = None) -> None: ...


@dataclass
class _Work:
    po: PurchaseOrder
    tracked: TrackedOrder | None
    event_keys: frozenset[str]


def fingerprint(order: DistributorOrder) -> str:
    """A stable digest of what TD SYNNEX said, minus the response timestamp that changes every call."""
    stable = replace(order, response_datetime=None)
    return hashlib.sha256(repr(stable).encode("utf-8")).hexdigest()[:32]


class Engine:
    """Runs cycles for one tenant. Clients and store are injected so tests mount the simulators."""

    def __init__(
        self,
        settings: Settings,
        *,
        connectwise: ConnectWiseClient,
        tdsynnex: TDSynnexClient,
        store: Store,
        clock: Clock,
        tenant: str = "default",
    ) -> None:
        self.settings = settings
        self.cw = connectwise
        self.tds = tdsynnex
        self.store = store
        self.clock = clock
        self.tenant = tenant
        self.workers = max(1, settings.tdsynnex.concurrency * 2)
        self.rng = random.Random()
        # Which POs a cycle looks at. The default lists every open tracked PO (one call per 1,000);
        # the daemon swaps in incremental discovery without the engine knowing how it works.
        self.discover: Discover = self.list_tracked

    def list_tracked(self) -> AsyncIterator[PurchaseOrder]:
        return self.cw.iter_tracked_purchase_orders(tracking_field=self.settings.connectwise.tracking_field)

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
        summary = CycleSummary(tenant=self.tenant, dry_run=dry_run)
        started = self.clock.now()
        ctx = PlanContext(
            status_names=self.settings.statuses,
            statuses={s.name.casefold(): s for s in await self.cw.list_statuses()},
            shipment_methods=tuple(await self.cw.list_shipment_methods()),
            now=started,
            release_on_fees=self.settings.sync.release_on_fees,
        )
        cycle_id = None if dry_run else self.store.start_cycle(self.tenant, started, dry_run=dry_run)
        buffer: list[SyncRecord] = []
        queue: asyncio.Queue[_Work | None] = asyncio.Queue(maxsize=self.workers * 4)

        def flush() -> None:
            if buffer and not dry_run:
                self.store.save_results(self.tenant, list(buffer))
            buffer.clear()

        async def produce() -> None:
            page: list[PurchaseOrder] = []
            async for po in self.cw.iter_tracked_purchase_orders(
                tracking_field=self.settings.connectwise.tracking_field
            ):
                page.append(po)
                if len(page) >= PAGE_BATCH:
                    await enqueue(page)
                    page = []
            await enqueue(page)
            for _ in range(self.workers):
                await queue.put(None)

        async def enqueue(page: Sequence[PurchaseOrder]) -> None:
            if not page:
                return
            ids = [po.id for po in page]
            tracked = self.store.load_tracked(self.tenant, ids)
            keys = self.store.event_keys(self.tenant, ids)
            for po in page:
                await queue.put(_Work(po, tracked.get(po.id), keys.get(po.id, frozenset())))

        forced = frozenset(force)

        async def work() -> None:
            while (item := await queue.get()) is not None:
                if due_only and item.po.id not in forced and not self._due(item.tracked, started):
                    summary.seen += 1
                    summary.not_due += 1
                    continue
                record = await self._sync_one(item, ctx, summary, cycle_id, dry_run)
                if progress is not None:
                    progress(advance=1)
                if record is not None:
                    buffer.append(record)
                    if len(buffer) >= STORE_BATCH:
                        flush()

        status = "ok"
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(produce())
                for _ in range(self.workers):
                    group.create_task(work())
        except* Fatal as fatal:
            status = "aborted"
            summary.aborted = str(fatal.exceptions[0])
            raise fatal.exceptions[0] from None
        finally:
            flush()
            if cycle_id is not None:
                self.store.finish_cycle(cycle_id, self.clock.now(), summary.counts(), status)
        return summary

    async def _sync_one(
        self, item: _Work, ctx: PlanContext, summary: CycleSummary, cycle_id: int | None, dry_run: bool
    ) -> SyncRecord | None:
        po, tracked = item.po, item.tracked
        label = po.po_number or f"id {po.id}"
        summary.seen += 1
        now = self.clock.now()
        try:
            po_number = (po.po_number or "").strip()
            if not po_number:
                raise InvalidPurchaseOrder(
                    f"PO id {po.id} has no PO number, so TD SYNNEX cannot be asked about it; "
                    "enter the PO number that was sent to TD SYNNEX"
                )
            order = await self.tds.get_status(po_number)
            summary.checked += 1
            prior = PriorState(
                stage=tracked.stage if tracked else None,
                written_status=tracked.written_status if tracked else None,
                person_status=tracked.person_status if tracked else False,
                event_keys=item.event_keys,
            )
            plan = plan_purchase_order(po, order, ctx, prior)
            if plan.problems:
                raise _PlanProblem("; ".join(plan.problems))
            if dry_run:
                summary.planned.extend(PlannedChange(label, change) for change in plan.changes)
                self._count(summary, plan)
                return None
            writes = await self._apply(po, plan)
            summary.writes += writes
            self._count(summary, plan)
            return self._record(po, order, plan, tracked, cycle_id, now)
        except Fatal:
            raise
        except (Skippable, Retriable, _PlanProblem) as exc:
            message = exc.message if isinstance(exc, OrderbridgeError) else str(exc)
            if isinstance(exc, Retriable):
                message += " (will retry next cycle)"
            summary.add_failure(label, message)
            if dry_run:
                return None
            return self._failure_record(po, tracked, cycle_id, now, message, summary)

    @staticmethod
    def _due(tracked: TrackedOrder | None, now: datetime) -> bool:
        return tracked is None or tracked.next_check_at is None or tracked.next_check_at <= now

    def _next_check(self, tracked: TrackedOrder | None, stage: Stage | None, now: datetime, failures: int) -> datetime:
        closed_since = tracked.last_changed_at if tracked and tracked.stage is Stage.CLOSED else None
        due = next_check(stage, now, self.settings.schedule, failures=failures, closed_since=closed_since, rng=self.rng)
        return due if due is not None else now + NEVER

    @staticmethod
    def _count(summary: CycleSummary, plan: Plan) -> None:
        if plan.changes:
            summary.changed += 1
        else:
            summary.unchanged += 1
        summary.events += len(plan.events)
        for event in plan.events:
            if event.kind == "stage_changed":
                summary.transitions.append((plan.po_number or str(plan.po_id), event.summary))

    async def _apply(self, po: PurchaseOrder, plan: Plan) -> int:
        writes = 0
        if plan.header_changes:
            await self.cw.patch_purchase_order(po.id, changes_to_ops(plan.header_changes))
            writes += 1
        for line_id, changes in plan.line_changes().items():
            await self.cw.patch_line_item(po.id, line_id, changes_to_ops(changes))
            writes += 1
        return writes

    def _record(
        self,
        po: PurchaseOrder,
        order: DistributorOrder,
        plan: Plan,
        tracked: TrackedOrder | None,
        cycle_id: int | None,
        now: datetime,
    ) -> SyncRecord:
        digest = fingerprint(order)
        entry = _entry_factory(self.tenant, cycle_id, po, now)
        activity: list[ActivityEntry] = []
        if tracked is None or tracked.fingerprint != digest:
            lines = ", ".join(f"{line.line_number}:{line.raw_code}" for line in order.lines) or "no lines"
            activity.append(
                entry("observe", "tdsynnex", None, f"{order.raw_code} [{lines}]", "TD SYNNEX answer changed")
            )
        for change in plan.changes:
            field = change.field if change.line_id is None else f"line {change.line_id}/{change.field}"
            activity.append(entry("write", field, change.old, change.new, change.reason))
        for event in plan.events:
            activity.append(entry("event", event.kind, None, event.summary, event.key))
        stage = plan.stage if plan.stage is not None else (tracked.stage if tracked else None)
        written = tracked.written_status if tracked else None
        if stage is not None and not plan.status_owned_by_person:
            written = self.settings.statuses.all()[stage - 1]
        new_tracked = TrackedOrder(
            tenant=self.tenant,
            po_id=po.id,
            po_number=po.po_number,
            stage=stage,
            written_status=written,
            person_status=plan.status_owned_by_person,
            first_seen_at=tracked.first_seen_at if tracked else now,
            last_checked_at=now,
            next_check_at=self._next_check(tracked, stage, now, 0),
            last_changed_at=now if plan.changes else (tracked.last_changed_at if tracked else None),
            consecutive_failures=0,
            last_error=None,
            fingerprint=digest,
            updated_at=now,
        )
        events = [
            EventRecord(
                tenant=self.tenant,
                po_id=po.id,
                key=event.key,
                kind=event.kind,
                stage=event.stage,
                summary=event.summary,
                details=dict(event.details),
                occurred_at=now,
            )
            for event in plan.events
        ]
        return SyncRecord(tracked=new_tracked, events=events, activity=activity)

    def _failure_record(
        self,
        po: PurchaseOrder,
        tracked: TrackedOrder | None,
        cycle_id: int | None,
        now: datetime,
        message: str,
        summary: CycleSummary,
    ) -> SyncRecord:
        entry = _entry_factory(self.tenant, cycle_id, po, now)
        base = tracked or TrackedOrder(
            tenant=self.tenant,
            po_id=po.id,
            po_number=po.po_number,
            stage=None,
            written_status=None,
            person_status=False,
            first_seen_at=now,
            last_checked_at=None,
            next_check_at=None,
            last_changed_at=None,
            consecutive_failures=0,
            last_error=None,
            fingerprint=None,
            updated_at=now,
        )
        failures = base.consecutive_failures + 1
        failed = replace(
            base,
            po_number=po.po_number,
            last_checked_at=now,
            next_check_at=self._next_check(tracked, base.stage, now, failures),
            consecutive_failures=failures,
            last_error=message,
            updated_at=now,
        )
        activity = [entry("error", None, None, None, message)]
        threshold = self.settings.sync.attention_after_failures
        if failures == threshold:
            # Poison isolation: after K failed cycles in a row the PO is flagged once, visibly; it keeps
            # being retried (with back-off) and clears itself on the first success.
            summary.attention += 1
            activity.append(
                entry("attention", None, None, None, f"failed {failures} cycles in a row; last error: {message}")
            )
        return SyncRecord(tracked=failed, events=[], activity=activity)


class _PlanProblem(Exception):
    """The planner found something it will not guess about; this PO is reported and left alone."""


def _entry_factory(
    tenant: str, cycle_id: int | None, po: PurchaseOrder, now: datetime
) -> Callable[[str, str | None, object, object, str], ActivityEntry]:
    def make(action: str, field: str | None, old: object, new: object, reason: str) -> ActivityEntry:
        return ActivityEntry(
            at=now,
            tenant=tenant,
            cycle_id=cycle_id,
            po_id=po.id,
            po_number=po.po_number,
            actor=ACTOR,
            action=action,
            field=field,
            old_value=old,
            new_value=new,
            reason=reason,
        )

    return make
