"""Per-order facts for reports, alerts and the dashboard: the `order_facts` table and its queries.

`tracked_orders` holds what the sync needs between cycles; this table holds what people ask about
(carrier, warehouses, tracking links, when each stage was reached, estimated dates). It is a
projection the engine rewrites after each check, so it can be rebuilt and never drives a write.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    Date,
    Index,
    Insert,
    Integer,
    Select,
    String,
    Table,
    Text,
    func,
    select,
    type_coerce,
)

from orderbridge.core.domain import Stage
from orderbridge.core.redaction import redact
from orderbridge.store.store import Store, cached_statement, chunks, upsert
from orderbridge.store.tables import JSONText, UTCDateTime, metadata

order_facts = Table(
    "order_facts",
    metadata,
    Column("tenant", String(100), primary_key=True),
    Column("po_id", BigInteger, primary_key=True, autoincrement=False),
    Column("po_number", String(100), nullable=True),
    Column("stage", Integer, nullable=True),
    Column("status_name", String(100), nullable=True),
    Column("distributor_code", String(50), nullable=True),
    Column("carrier", String(100), nullable=True),
    Column("ship_method", String(50), nullable=True),
    Column("ship_method_name", String(200), nullable=True),
    Column("warehouses", JSONText, nullable=False),
    Column("sales_orders", JSONText, nullable=False),
    Column("tracking", JSONText, nullable=False),
    Column("estimated_ship_date", Date, nullable=True),
    Column("promised_ship_date", Date, nullable=True),
    Column("expected_delivery_date", Date, nullable=True),
    Column("first_ship_date", Date, nullable=True),
    Column("po_at", UTCDateTime, nullable=True),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("accepted_at", UTCDateTime, nullable=True),
    Column("released_at", UTCDateTime, nullable=True),
    Column("shipped_at", UTCDateTime, nullable=True),
    Column("invoiced_at", UTCDateTime, nullable=True),
    Column("closed_at", UTCDateTime, nullable=True),
    Column("first_shipped_at", UTCDateTime, nullable=True),
    Column("last_shipped_at", UTCDateTime, nullable=True),
    Column("stage_since", UTCDateTime, nullable=True),
    Column("not_found_since", UTCDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    Index(None, "tenant", "stage"),
    Index(None, "tenant", "po_number"),
)

_JSON_TUPLES = ("warehouses", "sales_orders")


@dataclass(frozen=True, slots=True)
class TrackingLink:
    """One tracking number, its carrier, and the URL from the tenant's shipment-method table (if any)."""

    number: str
    carrier: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class FactsRow:
    """One `order_facts` row. Stage timestamps are when orderbridge *saw* the stage, except
    `first_shipped_at`/`last_shipped_at`, which are TD SYNNEX's own ship times."""

    tenant: str
    po_id: int
    po_number: str | None
    first_seen_at: datetime
    updated_at: datetime
    stage: Stage | None = None
    status_name: str | None = None
    distributor_code: str | None = None
    carrier: str | None = None
    ship_method: str | None = None
    ship_method_name: str | None = None
    warehouses: tuple[str, ...] = ()
    sales_orders: tuple[str, ...] = ()
    tracking: tuple[TrackingLink, ...] = ()
    estimated_ship_date: date | None = None  # the next promised shipment among unshipped lines
    promised_ship_date: date | None = None  # the earliest estimate first seen: what on-time is measured against
    expected_delivery_date: date | None = None
    first_ship_date: date | None = None  # in TD SYNNEX's zone, so it compares with its estimated dates
    po_at: datetime | None = None
    accepted_at: datetime | None = None
    released_at: datetime | None = None
    shipped_at: datetime | None = None
    invoiced_at: datetime | None = None
    closed_at: datetime | None = None
    first_shipped_at: datetime | None = None
    last_shipped_at: datetime | None = None
    stage_since: datetime | None = None
    not_found_since: datetime | None = None
    last_error: str | None = None

    def reached(self, stage: Stage) -> datetime | None:
        """When the order reached `stage`; shipping uses TD SYNNEX's ship time when it is known."""
        if stage is Stage.SHIPPED:
            return self.first_shipped_at or self.shipped_at
        value: datetime | None = getattr(self, f"{stage.name.lower()}_at")
        return value


_COLUMNS = tuple(f.name for f in fields(FactsRow))


def facts_to_row(row: FactsRow) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(row, name) for name in _COLUMNS}
    values["stage"] = None if row.stage is None else int(row.stage)
    values["warehouses"] = list(row.warehouses)
    values["sales_orders"] = list(row.sales_orders)
    values["tracking"] = [{"number": t.number, "carrier": t.carrier, "url": t.url} for t in row.tracking]
    values["last_error"] = None if row.last_error is None else redact(row.last_error)
    return values


def facts_from_row(mapping: Any) -> FactsRow:
    values: dict[str, Any] = {name: mapping[name] for name in _COLUMNS}
    values["stage"] = None if values["stage"] is None else Stage(values["stage"])
    for name in _JSON_TUPLES:
        values[name] = tuple(values[name] or ())
    values["tracking"] = tuple(
        TrackingLink(str(t["number"]), t.get("carrier"), t.get("url")) for t in values["tracking"] or ()
    )
    return FactsRow(**values)


def save_facts(store: Store, rows: Sequence[FactsRow]) -> None:
    """Batched upsert (one statement, one transaction) on SQLite and PostgreSQL alike."""
    if not rows:
        return
    # Last copy wins for a PO listed twice: PostgreSQL refuses to upsert one row twice per statement.
    unique = {(r.tenant, r.po_id): facts_to_row(r) for r in rows}
    with store.transaction() as connection:
        connection.execute(cached_statement(connection, "upsert facts", _upsert), list(unique.values()))


def _upsert(connection: Connection) -> Insert:
    stmt = upsert(connection, order_facts)
    keep = {"tenant", "po_id", "first_seen_at"}
    update = {c.name: stmt.excluded[c.name] for c in order_facts.columns if c.name not in keep}
    return stmt.on_conflict_do_update(index_elements=["tenant", "po_id"], set_=update)


def load_facts(store: Store, tenant: str, po_ids: Iterable[int]) -> dict[int, FactsRow]:
    found: dict[int, FactsRow] = {}
    with store.reading() as connection:
        for chunk in chunks(po_ids):
            query = select(order_facts).where(order_facts.c.tenant == tenant, order_facts.c.po_id.in_(chunk))
            for mapping in connection.execute(query).mappings():
                found[mapping["po_id"]] = facts_from_row(mapping)
    return found


@dataclass(frozen=True, slots=True)
class FactsFilter:
    """What the orders page and the report select. `text` matches PO number, sales order or tracking."""

    tenant: str | None = None
    stages: tuple[Stage, ...] = ()
    carrier: str | None = None
    warehouse: str | None = None
    text: str | None = None
    po_ids: tuple[int, ...] | None = None
    since: datetime | None = None
    until: datetime | None = None


def _select(f: FactsFilter) -> Select[Any]:
    query = select(order_facts)
    if f.tenant is not None:
        query = query.where(order_facts.c.tenant == f.tenant)
    if f.stages:
        query = query.where(order_facts.c.stage.in_([int(s) for s in f.stages]))
    if f.carrier:
        query = query.where(order_facts.c.carrier == f.carrier)
    if f.warehouse:
        # Warehouses are a JSON list; match the quoted code so "6" does not match "16".
        query = query.where(_text(order_facts.c.warehouses).like(f'%"{_escape(f.warehouse)}"%', escape="\\"))
    if f.po_ids is not None:
        query = query.where(order_facts.c.po_id.in_(list(f.po_ids)))
    if f.since is not None:
        query = query.where(order_facts.c.first_seen_at >= f.since)
    if f.until is not None:
        query = query.where(order_facts.c.first_seen_at < f.until)
    if f.text:
        # Tracking numbers and sales orders sit in JSON text; a LIKE over it is portable and good enough
        # for a search box (the quotes keep "123" from matching inside "41230").
        needle = _escape(f.text.strip())
        query = query.where(
            order_facts.c.po_number.ilike(f"%{needle}%", escape="\\")
            | _text(order_facts.c.tracking).like(f'%"{needle}%', escape="\\")
            | _text(order_facts.c.sales_orders).like(f'%"{needle}%', escape="\\")
        )
    return query


def _text(column: Any) -> Any:
    # Compare the stored JSON as the text it is, so the LIKE pattern is not JSON-encoded itself.
    return type_coerce(column, Text)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace('"', "")


def iter_facts(
    store: Store, f: FactsFilter, *, page: int = 1000, where: ColumnElement[bool] | None = None
) -> Iterator[FactsRow]:
    """Every matching row, in (tenant, po_id) pages, so a tenant with a million orders streams.
    `where` narrows further with a clause the filter cannot say (the alert candidates)."""
    after: tuple[str, int] | None = None
    while True:
        query = _select(f).order_by(order_facts.c.tenant, order_facts.c.po_id).limit(page)
        if where is not None:
            query = query.where(where)
        if after is not None:
            query = query.where(
                (order_facts.c.tenant > after[0])
                | ((order_facts.c.tenant == after[0]) & (order_facts.c.po_id > after[1]))
            )
        with store.reading() as connection:
            rows = [facts_from_row(m) for m in connection.execute(query).mappings()]
        yield from rows
        if len(rows) < page:
            return
        after = (rows[-1].tenant, rows[-1].po_id)


def list_facts(store: Store, f: FactsFilter, *, limit: int = 200, offset: int = 0) -> list[FactsRow]:
    """One page for the dashboard, most recently updated first."""
    query = _select(f).order_by(order_facts.c.updated_at.desc(), order_facts.c.po_id.desc())
    with store.reading() as connection:
        rows = connection.execute(query.limit(limit).offset(offset)).mappings()
        return [facts_from_row(m) for m in rows]


def facet_values(store: Store, tenant: str | None) -> tuple[list[str], list[str]]:
    """Carriers and warehouses present, for the filter drop-downs."""
    query = select(order_facts.c.carrier, order_facts.c.warehouses).distinct()
    if tenant is not None:
        query = query.where(order_facts.c.tenant == tenant)
    carriers: set[str] = set()
    warehouses: set[str] = set()
    with store.reading() as connection:
        for carrier, codes in connection.execute(query):
            if carrier:
                carriers.add(carrier)
            warehouses.update(str(code) for code in codes or ())
    return sorted(carriers), sorted(warehouses, key=lambda w: (len(w), w))


def known_tenants(store: Store) -> list[str]:
    with store.reading() as connection:
        return sorted(t for (t,) in connection.execute(select(order_facts.c.tenant).distinct()))


def count_facts(store: Store, f: FactsFilter) -> int:
    query = select(func.count()).select_from(_select(f).subquery())
    with store.reading() as connection:
        return int(connection.execute(query).scalar_one())
