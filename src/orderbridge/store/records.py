"""Frozen records the store takes and returns: one per row kind, plus the filter and batch shapes.

They are plain values, independent of SQLAlchemy, so the engine, the CLI and the web layer build and
read them without touching a connection. How an activity value becomes text is decided here, once.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from orderbridge.core.domain import Stage


def json_default(value: Any) -> Any:
    """JSON for the types the domain uses: dates as ISO 8601, decimals as strings (no float rounding)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot store a {type(value).__name__} as JSON")


def encode_value(value: Any) -> str | None:
    """How an activity old/new value is stored: None stays NULL, a string as-is, anything else as JSON.

    So `"5"` and `5` read back as the same text `5`; the column is for people and exports, not for
    reconstructing types. Non-ASCII is kept readable rather than escaped.
    """
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=json_default, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class TrackedOrder:
    """What we know about one tracked PO between cycles (the `tracked_orders` row)."""

    tenant: str
    po_id: int
    po_number: str | None
    first_seen_at: datetime
    stage: Stage | None = None
    written_status: str | None = None  # the last TDS status name *we* wrote
    person_status: bool = False  # a person set a non-TDS status: it is theirs now
    last_checked_at: datetime | None = None
    next_check_at: datetime | None = None
    last_changed_at: datetime | None = None
    consecutive_failures: int = 0
    last_error: str | None = None
    failure_cause: str | None = None  # of the last failure (sync/causes.py); setup retries "setup" at once
    fingerprint: str | None = None  # hash of the last distributor answer, to skip re-planning it
    quiet_key: str | None = None  # inputs of the last check that left the PO in step (sync/quiet.py)
    quiet_until: datetime | None = None  # when the clock alone may change that PO's plan (None: never)
    # rules.parcel_schedule.parcels_digest of the parcels the last plan used: a carrier's news since then
    # means the lines are read again (their expected arrival dates), as a new TD SYNNEX answer does.
    parcels_digest: str | None = None
    updated_at: datetime | None = None  # None: the store stamps the time it saved the row


@dataclass(frozen=True, slots=True)
class EventRecord:
    """A recorded event. `(tenant, po_id, key)` is unique, so replaying a batch after a crash is harmless."""

    tenant: str
    po_id: int
    key: str
    kind: str
    summary: str
    occurred_at: datetime
    stage: Stage | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    note_id: int | None = None  # the ConnectWise note written for it, once there is one
    id: int | None = None

    @property
    def dedup_key(self) -> str:
        """The key stored. An event built without a key gets one derived from its content, so a replay
        of the same event still collides with the first copy instead of being recorded twice."""
        if self.key:
            return self.key
        body = json.dumps(
            [self.kind, self.summary, self.stage, self.details], sort_keys=True, default=json_default
        ).encode()
        return f"{self.kind}:{hashlib.sha256(body).hexdigest()[:16]}"


@dataclass(frozen=True, slots=True)
class ActivityEntry:
    """One line of the activity log: who did what to which field, old and new, and why.

    `old_value` / `new_value` accept any JSON-able value and are normalised on construction with
    `encode_value`, so an entry looks the same before it is stored as after it is read back.
    """

    at: datetime
    tenant: str
    actor: str
    action: str
    reason: str = ""
    cycle_id: int | None = None
    po_id: int | None = None
    po_number: str | None = None
    field: str | None = None
    old_value: Any = None
    new_value: Any = None
    id: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "old_value", encode_value(self.old_value))
        object.__setattr__(self, "new_value", encode_value(self.new_value))


@dataclass(frozen=True, slots=True)
class ActivityFilter:
    """Which activity to return. `since` is inclusive, `until` exclusive; `limit=None` returns everything."""

    tenant: str | None = None
    po_number: str | None = None
    po_id: int | None = None
    actions: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    limit: int | None = 1000
    cycle_id: int | None = None


@dataclass(frozen=True, slots=True)
class CycleRecord:
    """One sync cycle for one tenant. `counts` is the engine's tally (G9: fetched = changed + unchanged + failed)."""

    id: int
    tenant: str
    started_at: datetime
    finished_at: datetime | None
    dry_run: bool
    counts: Mapping[str, int]
    status: str

    @property
    def counts_add_up(self) -> bool:
        """The G9 identity, checked on whatever the cycle recorded (missing counts count as zero)."""
        c = self.counts
        return c.get("fetched", 0) == c.get("changed", 0) + c.get("unchanged", 0) + c.get("failed", 0)


@dataclass(frozen=True, slots=True)
class SyncRecord:
    """Everything one PO's sync produced, saved together in one transaction (G2: checkpoint with effect)."""

    tracked: TrackedOrder
    events: Sequence[EventRecord] = ()
    activity: Sequence[ActivityEntry] = ()
    # Only the check times moved (a quiet check, sync/quiet.py): saved as a three-column update.
    checked_only: bool = False
