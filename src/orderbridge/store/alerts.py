"""Exception alerts: the `alerts` table, one row per (order, rule) episode, and its queries.

At most one *open* alert exists per (tenant, PO, rule): a partial unique index enforces it on both
databases, so two evaluators racing after the same cycle cannot open the same alert twice. When the
condition clears the row gets `resolved_at` and stays as history; if it recurs, a new row opens.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import BigInteger, Column, Index, String, Table, Text, func, select, update

from orderbridge.core.redaction import redact
from orderbridge.store.store import Store, chunks, upsert
from orderbridge.store.tables import JSONText, RowId, UTCDateTime, metadata

alerts = Table(
    "alerts",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("tenant", String(100), nullable=False),
    Column("po_id", BigInteger, nullable=False),
    Column("po_number", String(100), nullable=True),
    Column("rule", String(50), nullable=False),
    Column("message", Text, nullable=False),
    Column("details", JSONText, nullable=False),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime, nullable=True),
    Column("acknowledged_at", UTCDateTime, nullable=True),
    Column("notified_at", UTCDateTime, nullable=True),
    Index(None, "tenant", "resolved_at"),
    Index(None, "tenant", "po_id"),
)
OPEN_INDEX = "uq_alerts_open"
_open = alerts.c.resolved_at.is_(None)
Index(
    OPEN_INDEX, alerts.c.tenant, alerts.c.po_id, alerts.c.rule, unique=True, sqlite_where=_open, postgresql_where=_open
)

_NAMES = tuple(column.name for column in alerts.columns)
AlertState = Literal["open", "resolved", "all"]


@dataclass(frozen=True, slots=True)
class AlertRecord:
    tenant: str
    po_id: int
    po_number: str | None
    rule: str
    message: str
    opened_at: datetime
    last_seen_at: datetime
    details: Mapping[str, Any] = field(default_factory=dict)
    resolved_at: datetime | None = None
    acknowledged_at: datetime | None = None
    notified_at: datetime | None = None
    id: int | None = None

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


def _record(row: Any) -> AlertRecord:
    return AlertRecord(**{name: row[name] for name in _NAMES})


def _row(record: AlertRecord) -> dict[str, Any]:
    return {
        "tenant": record.tenant,
        "po_id": record.po_id,
        "po_number": record.po_number,
        "rule": record.rule,
        "message": redact(record.message),
        "details": dict(record.details),
        "opened_at": record.opened_at,
        "last_seen_at": record.last_seen_at,
        "resolved_at": record.resolved_at,
        "acknowledged_at": record.acknowledged_at,
        "notified_at": record.notified_at,
    }


def open_alerts(store: Store, tenant: str) -> dict[tuple[int, str], AlertRecord]:
    """Every open alert of a tenant, keyed by (PO id, rule)."""
    query = select(alerts).where(alerts.c.tenant == tenant, _open)
    with store.reading() as connection:
        return {(r["po_id"], r["rule"]): _record(r) for r in connection.execute(query).mappings()}


def record_alert_changes(
    store: Store,
    tenant: str,
    *,
    opened: Sequence[AlertRecord],
    still_open: Sequence[AlertRecord],
    resolved: Sequence[AlertRecord],
    now: datetime,
) -> list[AlertRecord]:
    """One transaction: open new alerts (a duplicate of an open one is ignored), refresh the ones still
    true, resolve the rest. Returns the alerts this call really opened, with their ids."""
    inserted: list[AlertRecord] = []
    with store.transaction() as connection:
        if opened:
            stmt = upsert(connection, alerts).on_conflict_do_nothing(
                index_elements=["tenant", "po_id", "rule"], index_where=_open
            )
            for record in opened:
                result = connection.execute(stmt.returning(alerts.c.id), _row(record))
                new_id = result.scalar_one_or_none()
                if new_id is not None:
                    inserted.append(_with_id(record, int(new_id)))
        for record in still_open:
            connection.execute(
                update(alerts)
                .where(alerts.c.id == record.id)
                .values(last_seen_at=now, message=redact(record.message), details=dict(record.details))
            )
        ids = [r.id for r in resolved if r.id is not None]
        for chunk in chunks(ids):
            connection.execute(update(alerts).where(alerts.c.id.in_(chunk), _open).values(resolved_at=now))
    return inserted


def _with_id(record: AlertRecord, new_id: int) -> AlertRecord:
    values = {name: getattr(record, name) for name in _NAMES}
    values["id"] = new_id
    return AlertRecord(**values)


def list_alerts(
    store: Store,
    *,
    tenant: str | None = None,
    state: AlertState = "open",
    rule: str | None = None,
    po_id: int | None = None,
    limit: int = 500,
) -> list[AlertRecord]:
    query = select(alerts)
    if tenant is not None:
        query = query.where(alerts.c.tenant == tenant)
    if state == "open":
        query = query.where(_open)
    elif state == "resolved":
        query = query.where(alerts.c.resolved_at.is_not(None))
    if rule:
        query = query.where(alerts.c.rule == rule)
    if po_id is not None:
        query = query.where(alerts.c.po_id == po_id)
    query = query.order_by(alerts.c.opened_at.desc(), alerts.c.id.desc()).limit(limit)
    with store.reading() as connection:
        return [_record(r) for r in connection.execute(query).mappings()]


def open_alert_counts(store: Store, tenant: str | None, po_ids: Iterable[int]) -> dict[tuple[str, int], int]:
    """Open alerts per (tenant, PO) among `po_ids`, for the badges on the orders page."""
    counts: dict[tuple[str, int], int] = {}
    with store.reading() as connection:
        for chunk in chunks(po_ids):
            query = (
                select(alerts.c.tenant, alerts.c.po_id, func.count())
                .where(_open, alerts.c.po_id.in_(chunk))
                .group_by(alerts.c.tenant, alerts.c.po_id)
            )
            if tenant is not None:
                query = query.where(alerts.c.tenant == tenant)
            for row_tenant, po_id, count in connection.execute(query):
                counts[(row_tenant, po_id)] = int(count)
    return counts


def acknowledge_alert(store: Store, alert_id: int, now: datetime) -> bool:
    """A person has seen it. The alert stays open until its condition clears; returns False if unknown."""
    with store.transaction() as connection:
        done = connection.execute(
            update(alerts)
            .where(alerts.c.id == alert_id, alerts.c.acknowledged_at.is_(None))
            .values(acknowledged_at=now)
        )
        return done.rowcount == 1


def mark_notified(store: Store, alert_ids: Iterable[int], now: datetime) -> None:
    with store.transaction() as connection:
        for chunk in chunks(alert_ids):
            connection.execute(update(alerts).where(alerts.c.id.in_(chunk)).values(notified_at=now))


def get_alert(store: Store, alert_id: int) -> AlertRecord | None:
    with store.reading() as connection:
        row = connection.execute(select(alerts).where(alerts.c.id == alert_id)).mappings().first()
    return None if row is None else _record(row)
