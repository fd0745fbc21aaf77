"""One PO's check within a cycle: observe it, plan it, write the plan to ConnectWise, and say what the
store should record. Split from `engine.py`, which runs the cycle around it (discovery, the workers,
batching the records), so each reads on its own: everything here happens to one PO.

A failure that belongs to the PO (Skippable, Retriable, a plan the rules will not guess about) becomes a
failure record and leaves every other PO alone; a Fatal ends the cycle (core/errors.py groups them).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from orderbridge.config import Settings
from orderbridge.connectwise.client import ConnectWiseClient
from orderbridge.core.clock import Clock
from orderbridge.core.delivery import TrackedParcel
from orderbridge.core.domain import DistributorOrder, Invoice, Plan, PurchaseOrder, ShipmentMethod, Stage
from orderbridge.core.errors import AuthSuspected, Fatal, InvalidPurchaseOrder, OrderbridgeError, Retriable, Skippable
from orderbridge.rules.parcel_schedule import parcels_digest
from orderbridge.rules.plan import PlanContext, PriorState, plan_purchase_order
from orderbridge.rules.schedule import next_check
from orderbridge.store import EventRecord, SyncRecord, TrackedOrder
from orderbridge.store.recorder import PayloadRecorder
from orderbridge.sync.apply import Fence, apply_plan
from orderbridge.sync.causes import PO_CAUSE, SETUP_CAUSE, Cause, cause_of
from orderbridge.sync.credentials import CONNECTWISE, TDSYNNEX, CredentialsJudge
from orderbridge.sync.delivery import DeliveryTracking
from orderbridge.sync.duplicates import DuplicateNumbers
from orderbridge.sync.fulfilment import Fulfilment
from orderbridge.sync.ledger import failure_record, quiet_record, success_record
from orderbridge.sync.observe import Observer
from orderbridge.sync.quiet import Quiet
from orderbridge.sync.summary import CycleSummary, PlannedChange

# The schedule says "stop" for a PO closed longer than the grace period; the store keeps a date, so
# "never" is a date far enough ahead that no daemon reaches it.
NEVER = timedelta(days=36500)


class CycleHooks(Protocol):
    """What the operator's view (facts, alerts, notifications) needs from a cycle; see reports/wiring.py."""

    def begin_cycle(self, shipment_methods: Sequence[ShipmentMethod]) -> None: ...

    def observed(
        self,
        po: PurchaseOrder,
        order: DistributorOrder | None,
        plan: Plan | None,
        now: datetime,
        *,
        error: str | None = None,
        events: Sequence[EventRecord] = (),
    ) -> object: ...

    def flush(self) -> object: ...

    async def after_cycle(self, now: datetime) -> object: ...


@dataclass
class Work:
    """One PO as the producer hands it to a worker, with what the store knows of it."""

    po: PurchaseOrder
    tracked: TrackedOrder | None
    event_keys: frozenset[str]
    invoices: list[Invoice]
    parcels: tuple[TrackedParcel, ...] = ()


@dataclass
class CycleState:
    """Per-cycle state shared by the workers."""

    ctx: PlanContext
    summary: CycleSummary
    cycle_id: int | None
    dry_run: bool
    records: list[SyncRecord]
    invoices: list[tuple[int, Invoice]]
    signature: str | None = None  # sync/quiet.py: what this cycle plans with besides the PO
    incomplete: str | None = None
    credentials: CredentialsJudge = field(default_factory=lambda: CredentialsJudge({}))


class PlanProblem(Exception):
    """The planner found something it will not guess about; this PO is reported and left alone."""

    def __init__(self, message: str, cause: Cause) -> None:
        super().__init__(message)
        self.cause = cause


@dataclass
class OrderCheck:
    """What checking one PO needs, given once by the Engine that owns the cycle."""

    settings: Settings
    tenant: str
    cw: ConnectWiseClient
    clock: Clock
    observer: Observer
    delivery: DeliveryTracking
    fulfilment: Fulfilment
    duplicates: DuplicateNumbers
    payloads: PayloadRecorder | None
    hooks: CycleHooks | None
    fence: Fence | None
    rng: random.Random

    async def run(self, item: Work, cycle: CycleState) -> SyncRecord | None:
        po, tracked, summary = item.po, item.tracked, cycle.summary
        label = po.po_number or f"id {po.id}"
        summary.seen += 1
        now = self.clock.now()
        order: DistributorOrder | None = None
        try:
            po_number = (po.po_number or "").strip()
            if not po_number:
                raise InvalidPurchaseOrder(
                    f"PO id {po.id} has no PO number, so TD SYNNEX cannot be asked about it; "
                    "enter the PO number that was sent to TD SYNNEX"
                )
            if (shared := self.duplicates.problem(po.id)) is not None:
                raise InvalidPurchaseOrder(shared)
            digest = parcels_digest(item.parcels)
            seen = await self.observer.observe(
                po, po_number, tracked, item.invoices, signature=cycle.signature, now=now, parcels=digest
            )
            cycle.credentials.accepted(TDSYNNEX)
            summary.checked += 1
            if isinstance(seen, Quiet):
                return self._quiet(seen, tracked, cycle, now)
            order = seen.order
            if self.payloads is not None and not cycle.dry_run:
                self.payloads.observed(seen.po, seen.raw, now, seen.answer_digest)  # kept even when planning fails
            prior = PriorState(
                stage=tracked.stage if tracked else None,
                written_status=tracked.written_status if tracked else None,
                person_status=tracked.person_status if tracked else False,
                event_keys=item.event_keys,
            )
            parcels = await self.delivery.register(po, seen.order, item.parcels, now, dry_run=cycle.dry_run)
            plan = plan_purchase_order(seen.po, seen.order, cycle.ctx, prior, invoices=seen.invoices, parcels=parcels)
            if plan.problems:
                raise PlanProblem("; ".join(plan.problems), SETUP_CAUSE if plan.needs_setup else PO_CAUSE)
            extended = await self.fulfilment.extend(
                seen.po,
                seen.order,
                plan,
                parcels,
                invoices=seen.invoices,
                event_keys=item.event_keys,
                dry_run=cycle.dry_run,
            )
            plan = extended.plan
            summary.writes += extended.writes
            summary.warnings.extend(extended.warnings)
            if cycle.dry_run:
                summary.planned.extend(PlannedChange(label, change) for change in (*plan.changes, *extended.would))
                self._count(summary, plan)
                return None
            applied = await apply_plan(self.cw, po, plan, write_notes=self.settings.sync.notes, fence=self.fence)
            cycle.credentials.accepted(CONNECTWISE)
            summary.writes += applied.writes
            self._count(summary, plan)
            cycle.invoices.extend((po.id, invoice) for invoice in seen.new_invoices)
            record = success_record(
                tenant=self.tenant,
                cycle_id=cycle.cycle_id,
                seen=seen,
                plan=plan,
                applied=applied,
                tracked=tracked,
                written_status=self._written_status(plan, tracked),
                next_check_at=self._next_check(tracked, plan.stage or (tracked.stage if tracked else None), now, 0),
                now=now,
                signature=cycle.signature,
                close_after_days=self.settings.sync.close_after_days,
                parcels=parcels_digest(parcels),
            )
            if self.hooks is not None:
                self.hooks.observed(seen.po, seen.order, plan, now, events=record.events)
            return record
        except Fatal:
            raise
        except (Skippable, Retriable, PlanProblem) as exc:
            message = exc.message if isinstance(exc, OrderbridgeError) else str(exc)
            if isinstance(exc, AuthSuspected):
                # Raises the cycle's AuthError once the evidence says the service refuses the credentials.
                message = await cycle.credentials.refused(exc, label)
            if isinstance(exc, Retriable):
                message += " (will retry next cycle)"
            cause = exc.cause if isinstance(exc, PlanProblem) else cause_of(exc)
            summary.add_failure(label, message, cause)
            if cycle.dry_run:
                return None
            record, crossed = failure_record(
                tenant=self.tenant,
                cycle_id=cycle.cycle_id,
                po=po,
                tracked=tracked,
                message=message,
                cause=cause.kind,
                next_check_at=lambda stage, failures: self._next_check(tracked, stage, now, failures),
                attention_after=self.settings.sync.attention_after_failures,
                now=now,
            )
            summary.attention += int(crossed)
            if self.hooks is not None:
                self.hooks.observed(po, order, None, now, error=message)
            return record

    def _quiet(self, seen: Quiet, tracked: TrackedOrder | None, cycle: CycleState, now: datetime) -> SyncRecord | None:
        """Nothing to plan: the payload store still sees the answer (its `fetched_at` moves; the
        ConnectWise PO is kept only when planned), and the tracked row its check time and next check.
        Facts are not rebuilt: nothing they read changed."""
        assert tracked is not None  # a quiet check needs a key recorded by an earlier one
        cycle.summary.unchanged += 1
        cycle.summary.quiet += 1
        if cycle.dry_run:
            return None
        if self.payloads is not None:
            self.payloads.answered(seen.po, seen.raw, now, seen.answer_digest)
        return quiet_record(tracked, next_check_at=self._next_check(tracked, tracked.stage, now, 0), now=now)

    def _written_status(self, plan: Plan, tracked: TrackedOrder | None) -> str | None:
        """The TDS status ConnectWise holds because of us, so a later foreign status reads as a person's."""
        stage = plan.stage if plan.stage is not None else (tracked.stage if tracked else None)
        if stage is None or plan.status_owned_by_person:
            return tracked.written_status if tracked else None
        return self.settings.statuses.all()[stage - 1]

    @staticmethod
    def due(tracked: TrackedOrder | None, now: datetime) -> bool:
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


__all__ = ["NEVER", "CycleHooks", "CycleState", "OrderCheck", "PlanProblem", "Work"]
