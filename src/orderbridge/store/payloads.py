"""Raw answers behind every decision: TD SYNNEX XML and the ConnectWise PO as read, compressed.

`doctor PO --raw` shows them to an operator and a vendor's support desk; `replay` re-plans from them
without asking TD SYNNEX again. One row per distinct answer: an answer identical to the previous one
(ignoring the response timestamp TD SYNNEX stamps on every reply) only moves `fetched_at`, so a PO
checked every 15 minutes for a month costs a handful of rows, not thousands. Bodies pass a redaction
pass before they are stored: TD SYNNEX answers carry no credentials, but a proxy's error page or a
future format might, and a payload table must never become a credential store.
"""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Index,
    Insert,
    Integer,
    LargeBinary,
    String,
    Table,
    UniqueConstraint,
    bindparam,
    delete,
    func,
    select,
    tuple_,
    update,
)

from orderbridge.core.domain import PurchaseOrder
from orderbridge.core.redaction import redact
from orderbridge.store.records import json_default
from orderbridge.store.store import Store, cached_statement, chunks, upsert
from orderbridge.store.tables import RowId, UTCDateTime, metadata

TDSYNNEX = "tdsynnex"
CONNECTWISE = "connectwise"
# Decompression is bounded like every other body we read (a corrupt row must not exhaust memory).
MAX_BODY = 10 * 1024 * 1024
# The parts of an answer that change on every call without meaning anything: left out of the digest.
_VOLATILE = re.compile(rb"<ResponseDateTime>[^<]*</ResponseDateTime>", re.IGNORECASE)

payloads = Table(
    "payloads",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("tenant", String(100), nullable=False),
    Column("po_id", BigInteger, nullable=False),
    Column("po_number", String(100), nullable=True),
    Column("source", String(30), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("first_fetched_at", UTCDateTime, nullable=False),
    Column("fetched_at", UTCDateTime, nullable=False),
    Column("size", Integer, nullable=False),
    Column("body", LargeBinary, nullable=False),
    UniqueConstraint("tenant", "po_id", "source", "digest"),
    Index(None, "tenant", "po_id", "fetched_at"),
    Index(None, "fetched_at"),
)


@dataclass(frozen=True, slots=True)
class Payload:
    """One stored answer. `first_fetched_at` is when this exact answer first came; `fetched_at` the latest."""

    tenant: str
    po_id: int
    po_number: str | None
    source: str
    digest: str
    first_fetched_at: datetime
    fetched_at: datetime
    body: bytes


def scrub(body: bytes) -> bytes:
    """The body with anything credential-shaped removed (configured secrets, XML credentials, tokens)."""
    text = body.decode("utf-8", errors="replace")
    cleaned = redact(text)
    return body if cleaned == text else cleaned.encode("utf-8")


def digest_of(body: bytes) -> str:
    return hashlib.sha256(_VOLATILE.sub(b"", body)).hexdigest()


def po_json(po: PurchaseOrder) -> bytes:
    """The ConnectWise PO the planner saw, as JSON (a listing page holds a thousand; this is one).

    Compact and through the C encoder, which `dataclasses.asdict` and `indent` both defeat: this runs
    once per PO per cycle, and those two were most of its cost."""
    return json.dumps(po, sort_keys=True, default=_plain).encode("utf-8")


def _plain(value: object) -> object:
    names = _FIELDS.get(type(value))
    if names is None and is_dataclass(value) and not isinstance(value, type):
        names = _FIELDS[type(value)] = tuple(f.name for f in fields(value))
    if names is not None:
        return {name: getattr(value, name) for name in names}
    return json_default(value)


_FIELDS: dict[type, tuple[str, ...]] = {}


def _inflate(blob: bytes) -> bytes:
    inflater = zlib.decompressobj()
    out = inflater.decompress(blob, MAX_BODY)
    if inflater.unconsumed_tail:
        raise ValueError(f"stored payload inflates past {MAX_BODY} bytes")
    return out


def save_payloads(store: Store, rows: Sequence[Payload]) -> None:
    """Insert new answers; an answer already stored for the PO only has its `fetched_at` moved on."""
    if not rows:
        return
    unique: dict[tuple[str, int, str, str], Payload] = {}
    for row in rows:
        unique[(row.tenant, row.po_id, row.source, row.digest)] = row  # the latest copy wins
    values = [
        {
            "tenant": p.tenant,
            "po_id": p.po_id,
            "po_number": p.po_number,
            "source": p.source,
            "digest": p.digest,
            "first_fetched_at": p.first_fetched_at,
            "fetched_at": p.fetched_at,
            "size": len(p.body),
            "body": zlib.compress(p.body, 6),
        }
        for p in unique.values()
    ]
    with store.transaction() as connection:
        connection.execute(cached_statement(connection, "upsert payloads", _upsert), values)


def _upsert(connection: Connection) -> Insert:
    stmt = upsert(connection, payloads)
    newest = func.max if connection.dialect.name == "sqlite" else func.greatest  # SQLite's max() is n-ary
    return stmt.on_conflict_do_update(
        index_elements=["tenant", "po_id", "source", "digest"],
        set_={"fetched_at": newest(stmt.excluded.fetched_at, payloads.c.fetched_at)},
    )


def touch_payloads(store: Store, touches: Sequence[tuple[int, datetime]]) -> None:
    """Move `fetched_at` of answers already stored, by row id: (id, fetched_at) each, never backwards."""
    if not touches:
        return
    with store.transaction() as connection:
        connection.execute(_TOUCH, [{"row": row, "at": at} for row, at in touches])


_TOUCH = (
    update(payloads)
    .where(payloads.c.id == bindparam("row"), payloads.c.fetched_at < bindparam("at"))
    .values(fetched_at=bindparam("at"))
)


def latest_digests(store: Store, tenant: str, po_ids: Iterable[int]) -> dict[tuple[int, str], tuple[int, str]]:
    """Row id and digest of each PO's newest stored answer per source, without reading any body."""
    c = payloads.c
    found: dict[tuple[int, str], tuple[datetime, int, str]] = {}
    with store.reading() as connection:
        for chunk in chunks(po_ids):
            query = select(c.po_id, c.source, c.id, c.digest, c.fetched_at).where(
                c.tenant == tenant, c.po_id.in_(chunk)
            )
            for po_id, source, row_id, digest, fetched_at in connection.execute(query):
                key = (int(po_id), str(source))
                if key not in found or fetched_at > found[key][0]:
                    found[key] = (fetched_at, int(row_id), str(digest))
    return {key: (row_id, digest) for key, (_at, row_id, digest) in found.items()}


def _payload(row: object) -> Payload:
    m = row._mapping  # type: ignore[attr-defined]
    return Payload(
        tenant=m["tenant"],
        po_id=m["po_id"],
        po_number=m["po_number"],
        source=m["source"],
        digest=m["digest"],
        first_fetched_at=m["first_fetched_at"],
        fetched_at=m["fetched_at"],
        body=_inflate(m["body"]),
    )


def latest_payloads(store: Store, tenant: str, po_ids: Iterable[int], source: str) -> dict[int, Payload]:
    """The most recent answer of `source` for each PO that has one."""
    found: dict[int, Payload] = {}
    with store.reading() as connection:
        for chunk in chunks(po_ids):
            newest = (
                select(payloads.c.po_id, func.max(payloads.c.fetched_at).label("at"))
                .where(payloads.c.tenant == tenant, payloads.c.source == source, payloads.c.po_id.in_(chunk))
                .group_by(payloads.c.po_id)
                .subquery()
            )
            query = select(payloads).where(
                payloads.c.tenant == tenant,
                payloads.c.source == source,
                tuple_(payloads.c.po_id, payloads.c.fetched_at).in_(select(newest.c.po_id, newest.c.at)),
            )
            for row in connection.execute(query):
                found[row.po_id] = _payload(row)
    return found


def payload_history(store: Store, tenant: str, po_id: int, *, limit: int = 20) -> list[Payload]:
    """Every stored answer for one PO, newest first."""
    query = (
        select(payloads)
        .where(payloads.c.tenant == tenant, payloads.c.po_id == po_id)
        .order_by(payloads.c.fetched_at.desc(), payloads.c.id.desc())
        .limit(limit)
    )
    with store.reading() as connection:
        return [_payload(row) for row in connection.execute(query)]


def payload_po_ids(store: Store, tenant: str, *, since: datetime, po_number: str | None = None) -> list[int]:
    """POs with a TD SYNNEX answer fetched at or after `since` (what `replay --since` covers)."""
    query = (
        select(payloads.c.po_id)
        .where(payloads.c.tenant == tenant, payloads.c.source == TDSYNNEX, payloads.c.fetched_at >= since)
        .distinct()
        .order_by(payloads.c.po_id)
    )
    if po_number is not None:
        query = query.where(payloads.c.po_number == po_number)
    with store.reading() as connection:
        return [int(po_id) for (po_id,) in connection.execute(query)]


def prune_payloads(store: Store, before: datetime, *, tenant: str | None = None) -> int:
    """Delete answers last fetched before `before`, except each PO's newest one per source: `doctor`
    must still say what TD SYNNEX last answered about a PO that stopped being checked long ago."""
    newer = payloads.alias("newer")
    superseded = (
        select(newer.c.id)
        .where(
            newer.c.tenant == payloads.c.tenant,
            newer.c.po_id == payloads.c.po_id,
            newer.c.source == payloads.c.source,
            newer.c.fetched_at > payloads.c.fetched_at,
        )
        .exists()
    )
    condition = (payloads.c.fetched_at < before) & superseded
    if tenant is not None:
        condition = condition & (payloads.c.tenant == tenant)
    with store.transaction() as connection:
        return int(connection.execute(delete(payloads).where(condition)).rowcount)


__all__ = [
    "CONNECTWISE",
    "TDSYNNEX",
    "Payload",
    "digest_of",
    "latest_digests",
    "latest_payloads",
    "payload_history",
    "payload_po_ids",
    "po_json",
    "prune_payloads",
    "save_payloads",
    "scrub",
    "touch_payloads",
]
