"""Records to rows and back, for tracked orders, events and cycles (activity has its own in `activity.py`).

This is where a `Stage` becomes an integer and back, and where free text headed for the database
passes through `redact`: a secret quoted in an error message must not be persisted either.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping

from orderbridge.core.domain import Stage
from orderbridge.core.redaction import redact
from orderbridge.store.records import CycleRecord, EventRecord, TrackedOrder


def _stage(value: int | None) -> Stage | None:
    return None if value is None else Stage(value)


def tracked_row(record: TrackedOrder, now: datetime) -> dict[str, Any]:
    return {
        "tenant": record.tenant,
        "po_id": record.po_id,
        "po_number": record.po_number,
        "stage": None if record.stage is None else int(record.stage),
        "written_status": record.written_status,
        "person_status": record.person_status,
        "first_seen_at": record.first_seen_at,
        "last_checked_at": record.last_checked_at,
        "next_check_at": record.next_check_at,
        "last_changed_at": record.last_changed_at,
        "consecutive_failures": record.consecutive_failures,
        "last_error": None if record.last_error is None else redact(record.last_error),
        "failure_cause": record.failure_cause,
        "fingerprint": record.fingerprint,
        "quiet_key": record.quiet_key,
        "quiet_until": record.quiet_until,
        "parcels_digest": record.parcels_digest,
        "updated_at": record.updated_at or now,
    }


def tracked_from_row(row: RowMapping) -> TrackedOrder:
    return TrackedOrder(
        tenant=row["tenant"],
        po_id=row["po_id"],
        po_number=row["po_number"],
        first_seen_at=row["first_seen_at"],
        stage=_stage(row["stage"]),
        written_status=row["written_status"],
        person_status=bool(row["person_status"]),
        last_checked_at=row["last_checked_at"],
        next_check_at=row["next_check_at"],
        last_changed_at=row["last_changed_at"],
        consecutive_failures=row["consecutive_failures"],
        last_error=row["last_error"],
        failure_cause=row["failure_cause"],
        fingerprint=row["fingerprint"],
        quiet_key=row["quiet_key"],
        quiet_until=row["quiet_until"],
        parcels_digest=row["parcels_digest"],
        updated_at=row["updated_at"],
    )


def event_row(record: EventRecord, tenant: str) -> dict[str, Any]:
    if record.tenant != tenant:
        raise ValueError(f"event {record.dedup_key!r} of tenant {record.tenant!r} in a batch for {tenant!r}")
    return {
        "tenant": record.tenant,
        "po_id": record.po_id,
        "key": record.dedup_key,
        "kind": record.kind,
        "stage": None if record.stage is None else int(record.stage),
        "summary": redact(record.summary),
        "details": dict(record.details),
        "occurred_at": record.occurred_at,
        "note_id": record.note_id,
    }


def event_from_row(row: RowMapping) -> EventRecord:
    return EventRecord(
        id=row["id"],
        tenant=row["tenant"],
        po_id=row["po_id"],
        key=row["key"],
        kind=row["kind"],
        summary=row["summary"],
        occurred_at=row["occurred_at"],
        stage=_stage(row["stage"]),
        details=row["details"],
        note_id=row["note_id"],
    )


def cycle_from_row(row: RowMapping) -> CycleRecord:
    return CycleRecord(
        id=row["id"],
        tenant=row["tenant"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        dry_run=bool(row["dry_run"]),
        counts={str(k): int(v) for k, v in (row["counts"] or {}).items()},
        status=row["status"],
    )
