"""Shipped packages and what their carriers said: the `parcels` table and its queries.

One row per (tenant, PO, tracking number), registered when a cycle first plans a PO whose TD SYNNEX
answer has that package, then rewritten by each provider answer (polling, sync/delivery.py) and each
verified EasyPost webhook (callbacks/easypost.py). It is what the planner reads to decide "delivered",
and what alerts, reports, the dashboard and the benchmark read about delivery (`iter_parcels`).

Scan events are JSON, bounded to the newest `SCAN_EVENTS_KEPT` (core/delivery.py): enough for a person to
read the story, and a package with weeks of "in transit" scans cannot grow a row without end.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    Date,
    Index,
    Integer,
    String,
    Table,
    Text,
    and_,
    func,
    select,
    update,
)

from orderbridge.core.delivery import SCAN_EVENTS_KEPT, ParcelState, ScanEvent, TrackedParcel
from orderbridge.core.redaction import redact
from orderbridge.store.cursors import PARK_HORIZON
from orderbridge.store.store import Store, chunks, upsert
from orderbridge.store.tables import JSONText, UTCDateTime, metadata, tracked_orders

parcels = Table(
    "parcels",
    metadata,
    Column("tenant", String(100), primary_key=True),
    Column("po_id", BigInteger, primary_key=True, autoincrement=False),
    Column("tracking_number", String(100), primary_key=True),
    Column("carrier", String(100), nullable=True),
    Column("provider", String(20), nullable=True),  # None: no provider follows it; route_reason says why
    Column("route_reason", Text, nullable=False),
    Column("lines", JSONText, nullable=False),  # the PO line numbers the package carries
    Column("sales_order", String(50), nullable=True),
    Column("ship_method", String(50), nullable=True),
    Column("shipped_at", UTCDateTime, nullable=True),
    Column("tds_estimate", Date, nullable=True),
    Column("state", String(30), nullable=False),
    Column("found", Boolean, nullable=False),
    Column("first_estimate", Date, nullable=True),
    Column("estimate", Date, nullable=True),
    Column("delivered_at", UTCDateTime, nullable=True),
    Column("signed_by", String(200), nullable=True),
    Column("delivered_elsewhere", Boolean, nullable=False),
    Column("delivered_to", String(300), nullable=True),
    Column("awaiting_pickup", Boolean, nullable=False),
    Column("last_scan_at", UTCDateTime, nullable=True),
    Column("scan_events", JSONText, nullable=False),  # newest SCAN_EVENTS_KEPT, oldest first
    Column("provider_ref", String(100), nullable=True),
    Column("polls", Integer, nullable=False),
    Column("last_polled_at", UTCDateTime, nullable=True),
    Column("next_poll_at", UTCDateTime, nullable=True),
    Column("stopped", String(20), nullable=True),
    Column("problem", Text, nullable=True),
    Column("registered_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index(None, "tenant", "next_poll_at"),
    Index(None, "tenant", "tracking_number"),
)

_FIELDS = (
    "carrier",
    "provider",
    "route_reason",
    "sales_order",
    "ship_method",
    "shipped_at",
    "tds_estimate",
    "found",
    "first_estimate",
    "estimate",
    "delivered_at",
    "signed_by",
    "delivered_elsewhere",
    "delivered_to",
    "awaiting_pickup",
    "last_scan_at",
    "provider_ref",
    "polls",
    "last_polled_at",
    "next_poll_at",
    "stopped",
    "registered_at",
    "updated_at",
)


def _event_json(event: ScanEvent) -> dict[str, Any]:
    return {
        "at": event.at.isoformat(),
        "state": event.state.value,
        "description": event.description,
        "location": event.location,
        "code": event.code,
    }


def _event_from_json(data: dict[str, Any]) -> ScanEvent:
    try:
        state = ParcelState(str(data.get("state")))
    except ValueError:
        state = ParcelState.UNKNOWN
    return ScanEvent(
        at=datetime.fromisoformat(str(data["at"])),
        state=state,
        description=str(data.get("description") or ""),
        location=data.get("location"),
        code=data.get("code"),
    )


def _cut(text: str | None, limit: int) -> str | None:
    return text[:limit] if text else None


def parcel_row(parcel: TrackedParcel) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(parcel, name) for name in _FIELDS}
    values.update(
        tenant=parcel.tenant,
        po_id=parcel.po_id,
        tracking_number=parcel.tracking_number[:100],
        lines=list(parcel.lines),
        state=parcel.state.value,
        scan_events=[_event_json(event) for event in parcel.events[-SCAN_EVENTS_KEPT:]],
        signed_by=_cut(parcel.signed_by, 200),
        delivered_to=_cut(parcel.delivered_to, 300),
        problem=None if parcel.problem is None else redact(parcel.problem),
        updated_at=parcel.updated_at or parcel.registered_at,
    )
    return values


def parcel_from_row(row: Any) -> TrackedParcel:
    data = row._mapping
    try:
        state = ParcelState(data["state"])
    except ValueError:
        state = ParcelState.UNKNOWN
    return TrackedParcel(
        tenant=data["tenant"],
        po_id=int(data["po_id"]),
        tracking_number=data["tracking_number"],
        lines=tuple(int(n) for n in data["lines"] or ()),
        state=state,
        events=tuple(_event_from_json(e) for e in data["scan_events"] or ()),
        problem=data["problem"],
        **{name: data[name] for name in _FIELDS},
    )


def _upsert(store: Store, rows: list[dict[str, Any]], *, update_existing: bool) -> int:
    if not rows:
        return 0
    written = 0
    with store.transaction() as connection:
        stmt = upsert(connection, parcels)
        keys = ["tenant", "po_id", "tracking_number"]
        if update_existing:
            columns = {c.name: stmt.excluded[c.name] for c in parcels.columns if c.name not in keys}
            built = stmt.on_conflict_do_update(index_elements=keys, set_=columns)
        else:
            built = stmt.on_conflict_do_nothing(index_elements=keys)
        for start in range(0, len(rows), 500):
            connection.execute(built, rows[start : start + 500])
            written += len(rows[start : start + 500])
    return written


def save_parcels(store: Store, found: Iterable[TrackedParcel]) -> int:
    """Write these parcels whole (a provider's answer, a webhook): the row becomes exactly the record."""
    return _upsert(store, [parcel_row(parcel) for parcel in found], update_existing=True)


def save_polled(store: Store, polled: Iterable[TrackedParcel], *, wake: Collection[int], now: datetime) -> None:
    """One polling pass's answers, and the POs they concern made due now, in one transaction: a crash
    cannot keep a carrier's news while losing the check it calls for."""
    rows = [parcel_row(parcel) for parcel in polled]
    keys = ["tenant", "po_id", "tracking_number"]
    with store.transaction() as connection:
        if rows:
            stmt = upsert(connection, parcels)
            columns = {c.name: stmt.excluded[c.name] for c in parcels.columns if c.name not in keys}
            built = stmt.on_conflict_do_update(index_elements=keys, set_=columns)
            for start in range(0, len(rows), 500):
                connection.execute(built, rows[start : start + 500])
        tenants = {parcel["tenant"] for parcel in rows}
        for tenant in tenants:
            for chunk in chunks(wake):
                connection.execute(
                    update(tracked_orders)
                    .where(
                        tracked_orders.c.tenant == tenant,
                        tracked_orders.c.po_id.in_(chunk),
                        tracked_orders.c.next_check_at > now,
                        # A parked PO (closed or unticked in ConnectWise) stays parked.
                        tracked_orders.c.next_check_at <= now + PARK_HORIZON,
                    )
                    .values(next_check_at=now, updated_at=now)
                )


def register_parcels(store: Store, found: Iterable[TrackedParcel]) -> int:
    """Insert packages seen for the first time; a row already there (another writer's, a replayed cycle's)
    is left as it is, so registering twice never loses what a carrier said in between."""
    return _upsert(store, [parcel_row(parcel) for parcel in found], update_existing=False)


def reroute_parcel(store: Store, parcel: TrackedParcel) -> None:
    """The route of a package changed (the operator configured a provider): update who follows it, and
    nothing else a carrier may have written meanwhile."""
    with store.transaction() as connection:
        connection.execute(
            update(parcels)
            .where(_key(parcel.tenant, parcel.po_id, parcel.tracking_number))
            .values(
                provider=parcel.provider,
                route_reason=parcel.route_reason,
                carrier=parcel.carrier,
                next_poll_at=parcel.next_poll_at,
                stopped=parcel.stopped,
                updated_at=parcel.updated_at or parcel.registered_at,
            )
        )


def _key(tenant: str, po_id: int, number: str) -> ColumnElement[bool]:
    return and_(parcels.c.tenant == tenant, parcels.c.po_id == po_id, parcels.c.tracking_number == number)


def load_parcels(store: Store, tenant: str, po_ids: Iterable[int]) -> dict[int, tuple[TrackedParcel, ...]]:
    """The parcels of these POs, by PO id, oldest shipment first (then by number)."""
    found: dict[int, list[TrackedParcel]] = {}
    with store.reading() as connection:
        for chunk in chunks(po_ids):
            query = select(parcels).where(parcels.c.tenant == tenant, parcels.c.po_id.in_(chunk))
            for row in connection.execute(query):
                parcel = parcel_from_row(row)
                found.setdefault(parcel.po_id, []).append(parcel)
    return {po_id: tuple(sorted(rows, key=_order)) for po_id, rows in found.items()}


def _order(parcel: TrackedParcel) -> tuple[str, str]:
    return (parcel.shipped_at.isoformat() if parcel.shipped_at else "", parcel.tracking_number)


def due_parcels(store: Store, tenant: str, now: datetime, *, limit: int = 20_000) -> list[TrackedParcel]:
    """Parcels a provider follows whose next poll is due, earliest first."""
    query = (
        select(parcels)
        .where(
            parcels.c.tenant == tenant,
            parcels.c.provider.is_not(None),
            parcels.c.next_poll_at.is_not(None),
            parcels.c.next_poll_at <= now,
        )
        .order_by(parcels.c.next_poll_at)
        .limit(limit)
    )
    with store.reading() as connection:
        return [parcel_from_row(row) for row in connection.execute(query)]


def next_poll_at(store: Store, tenant: str) -> datetime | None:
    """When the tenant's next parcel poll is due (the daemon sleeps no longer than that)."""
    query = select(func.min(parcels.c.next_poll_at)).where(
        parcels.c.tenant == tenant, parcels.c.provider.is_not(None), parcels.c.next_poll_at.is_not(None)
    )
    with store.reading() as connection:
        value: datetime | None = connection.execute(query).scalar_one_or_none()
    return value


def parcels_by_number(store: Store, tenant: str, tracking_number: str) -> list[TrackedParcel]:
    """Every PO's row for one tracking number (a webhook names the number, not the PO)."""
    query = select(parcels).where(parcels.c.tenant == tenant, parcels.c.tracking_number == tracking_number)
    with store.reading() as connection:
        return [parcel_from_row(row) for row in connection.execute(query)]


@dataclass(frozen=True)
class ParcelFilter:
    """Which parcels `iter_parcels` yields; every field optional."""

    tenant: str | None = None
    po_ids: Sequence[int] | None = None
    provider: str | None = None
    carrier: str | None = None
    states: Sequence[ParcelState] | None = None
    shipped_from: datetime | None = None
    shipped_to: datetime | None = None
    undelivered_only: bool = False


def iter_parcels(
    store: Store,
    wanted: ParcelFilter = ParcelFilter(),
    *,
    batch: int = 1000,
    where: ColumnElement[bool] | None = None,
) -> Iterator[TrackedParcel]:
    """Parcels for alerts, reports, the dashboard and the benchmark, streamed in key order. `where`
    narrows further with a clause the filter cannot say (the delivery alerts' candidates)."""
    clauses: list[ColumnElement[bool]] = [] if where is None else [where]
    if wanted.tenant is not None:
        clauses.append(parcels.c.tenant == wanted.tenant)
    if wanted.po_ids is not None:
        clauses.append(parcels.c.po_id.in_(list(wanted.po_ids)))
    if wanted.provider is not None:
        clauses.append(parcels.c.provider == wanted.provider)
    if wanted.carrier is not None:
        clauses.append(parcels.c.carrier == wanted.carrier)
    if wanted.states is not None:
        clauses.append(parcels.c.state.in_([state.value for state in wanted.states]))
    if wanted.shipped_from is not None:
        clauses.append(parcels.c.shipped_at >= wanted.shipped_from)
    if wanted.shipped_to is not None:
        clauses.append(parcels.c.shipped_at < wanted.shipped_to)
    if wanted.undelivered_only:
        clauses.append(parcels.c.state != ParcelState.DELIVERED.value)
    order = (parcels.c.tenant, parcels.c.po_id, parcels.c.tracking_number)
    after: tuple[str, int, str] | None = None
    while True:
        query = select(parcels).where(*clauses).order_by(*order).limit(batch)
        if after is not None:
            tenant, po_id, number = after
            query = query.where(
                (parcels.c.tenant > tenant)
                | ((parcels.c.tenant == tenant) & (parcels.c.po_id > po_id))
                | ((parcels.c.tenant == tenant) & (parcels.c.po_id == po_id) & (parcels.c.tracking_number > number))
            )
        with store.reading() as connection:
            rows = [parcel_from_row(row) for row in connection.execute(query)]
        yield from rows
        if len(rows) < batch:
            return
        last = rows[-1]
        after = (last.tenant, last.po_id, last.tracking_number)


__all__ = [
    "SCAN_EVENTS_KEPT",
    "ParcelFilter",
    "due_parcels",
    "iter_parcels",
    "load_parcels",
    "next_poll_at",
    "parcels",
    "parcels_by_number",
    "register_parcels",
    "reroute_parcel",
    "save_parcels",
    "save_polled",
]
