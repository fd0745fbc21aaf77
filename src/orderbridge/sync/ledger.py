"""What the engine writes down about one PO after checking it: the tracked row, events, activity.

Kept apart from the engine so the bookkeeping rules (what counts as an observation worth logging,
when a PO needs attention, what `written_status` means) read in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from orderbridge.core.domain import Plan, PurchaseOrder, Stage
from orderbridge.store import ActivityEntry, EventRecord, SyncRecord, TrackedOrder
from orderbridge.sync.apply import Applied
from orderbridge.sync.observe import Observation
from orderbridge.sync.quiet import quiet_key, settled

ACTOR = "orderbridge"
Entry = Callable[[str, str | None, object, object, str], ActivityEntry]


def entry_factory(tenant: str, cycle_id: int | None, po: PurchaseOrder, now: datetime) -> Entry:
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


def new_tracked(tenant: str, po: PurchaseOrder, now: datetime) -> TrackedOrder:
    return TrackedOrder(tenant=tenant, po_id=po.id, po_number=po.po_number, first_seen_at=now, updated_at=now)


def success_record(
    *,
    tenant: str,
    cycle_id: int | None,
    seen: Observation,
    plan: Plan,
    applied: Applied,
    tracked: TrackedOrder | None,
    written_status: str | None,
    next_check_at: datetime,
    now: datetime,
    signature: str | None = None,
    close_after_days: int = 0,
    parcels: str = "",
) -> SyncRecord:
    """`signature` is the cycle's (sync/quiet.py); with it, a check that leaves the PO settled stores
    the key that lets the next identical check skip planning. `parcels` is the digest of the parcels
    the plan used."""
    po, order = seen.po, seen.order
    entry = entry_factory(tenant, cycle_id, po, now)
    activity: list[ActivityEntry] = []
    # Only a changed answer is an observation worth a log line; an unchanged one is in the cycle counts.
    if tracked is None or tracked.fingerprint != seen.digest:
        lines = ", ".join(f"{line.line_number}:{line.raw_code}" for line in order.lines) or "no lines"
        activity.append(entry("observe", seen.source, None, f"{order.raw_code} [{lines}]", "TD SYNNEX answer changed"))
    for invoice in seen.new_invoices:
        activity.append(entry("observe", "invoice", None, invoice.invoice_number, "new TD SYNNEX invoice"))
    for change in plan.changes:
        field = change.field if change.line_id is None else f"line {change.line_id}/{change.field}"
        activity.append(entry("write", field, change.old, change.labelled_new, change.reason))
    for key, note_id in applied.notes.items():
        activity.append(entry("note", None, None, f"note {note_id}", key))
    for key, message in applied.note_errors.items():
        activity.append(entry("error", "note", None, None, f"note for {key} not written: {message}"))
    for event in plan.events:
        activity.append(entry("event", event.kind, None, event.summary, event.key))
    stage = plan.stage if plan.stage is not None else (tracked.stage if tracked else None)
    base = tracked or new_tracked(tenant, po, now)
    quiet = _quiet(seen, plan, applied, signature, close_after_days, parcels)
    row = replace(
        base,
        po_number=po.po_number,
        stage=stage,
        written_status=written_status,
        person_status=plan.status_owned_by_person,
        # Our own PATCH moved the PO's lastUpdated past `now`; counting the check from then keeps the
        # observer's "edited since last check" test for edits by someone else.
        last_checked_at=max(now, applied.last_updated) if applied.last_updated else now,
        next_check_at=next_check_at,
        last_changed_at=now if plan.changes else base.last_changed_at,
        consecutive_failures=0,
        last_error=None,
        failure_cause=None,
        fingerprint=seen.digest,
        quiet_key=quiet[0],
        quiet_until=quiet[1],
        parcels_digest=parcels or None,
        updated_at=now,
    )
    if tracked is not None and tracked.consecutive_failures:
        activity.append(entry("recovered", None, tracked.last_error, None, "checked fine again"))
    notes = {**applied.notes_found, **applied.notes}
    events = [
        EventRecord(
            tenant=tenant,
            po_id=po.id,
            key=event.key,
            kind=event.kind,
            stage=event.stage,
            summary=event.summary,
            details=dict(event.details),
            occurred_at=now,
            note_id=notes.get(event.key),
        )
        for event in plan.events
    ]
    return SyncRecord(tracked=row, events=events, activity=activity)


def _quiet(
    seen: Observation, plan: Plan, applied: Applied, signature: str | None, close_after_days: int, parcels: str
) -> tuple[str | None, datetime | None]:
    """The quiet key and its expiry to store (sync/quiet.py); (None, None) when the next check must plan."""
    if signature is None or seen.answer_digest is None:
        return None, None
    verdict = settled(
        plan,
        seen.order,
        source=seen.source,
        invoices_pending=seen.invoices_pending,
        note_errors=len(applied.note_errors),
        close_after_days=close_after_days,
    )
    if verdict is None:
        return None, None
    return quiet_key(seen.answer_digest, signature, seen.invoices, parcels), verdict.until


def quiet_record(tracked: TrackedOrder, *, next_check_at: datetime, now: datetime) -> SyncRecord:
    """A quiet check (sync/quiet.py): the PO was checked and is as the last check left it. Nothing is
    logged: an unchanged answer is in the cycle counts, as for a planned check that found nothing."""
    row = replace(tracked, last_checked_at=now, next_check_at=next_check_at, updated_at=now)
    return SyncRecord(tracked=row, events=[], activity=[], checked_only=True)


def failure_record(
    *,
    tenant: str,
    cycle_id: int | None,
    po: PurchaseOrder,
    tracked: TrackedOrder | None,
    message: str,
    cause: str,
    next_check_at: Callable[[Stage | None, int], datetime],
    attention_after: int,
    now: datetime,
) -> tuple[SyncRecord, bool]:
    """The failed PO's row and log lines; the flag says it just crossed the attention threshold."""
    entry = entry_factory(tenant, cycle_id, po, now)
    base = tracked or new_tracked(tenant, po, now)
    failures = base.consecutive_failures + 1
    row = replace(
        base,
        po_number=po.po_number,
        last_checked_at=now,
        next_check_at=next_check_at(base.stage, failures),
        consecutive_failures=failures,
        last_error=message,
        failure_cause=cause,
        quiet_key=None,
        quiet_until=None,
        updated_at=now,
    )
    activity = [entry("error", None, None, None, message)]
    crossed = failures == attention_after
    if crossed:
        # Poison isolation: after K failed cycles in a row the PO is flagged once, visibly; it keeps
        # being retried (with back-off) and clears itself on the first success.
        activity.append(
            entry("attention", None, None, None, f"failed {failures} cycles in a row; last error: {message}")
        )
    return SyncRecord(tracked=row, events=[], activity=activity), crossed
