"""Invoices TD SYNNEX has issued for tracked POs, kept so each is queried and reported once.

A PO can carry several invoices (one per sales order or shipment) while ConnectWise has one invoice
field per PO; this table keeps the full list behind the header field and the PO note.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import BigInteger, Column, Date, String, Table, Text, and_, select

from orderbridge.core.domain import Invoice
from orderbridge.store.store import Store, chunks, upsert
from orderbridge.store.tables import JSONText, UTCDateTime, metadata

invoices = Table(
    "invoices",
    metadata,
    Column("tenant", String(100), primary_key=True),
    Column("po_id", BigInteger, primary_key=True, autoincrement=False),
    Column("invoice_number", String(100), primary_key=True),
    Column("invoice_date", Date, nullable=True),
    Column("order_number", String(100), nullable=True),
    Column("total", Text, nullable=True),
    Column("tracking_numbers", JSONText, nullable=False),
    Column("first_seen_at", UTCDateTime, nullable=False),
)


def _decimal(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def save_invoices(store: Store, tenant: str, found: Sequence[tuple[int, Invoice]], now: datetime) -> None:
    """Insert invoices not seen before; an invoice never changes once issued, so duplicates are ignored."""
    if not found:
        return
    rows: dict[tuple[int, str], dict[str, Any]] = {}
    for po_id, invoice in found:
        rows[(po_id, invoice.invoice_number)] = {
            "tenant": tenant,
            "po_id": po_id,
            "invoice_number": invoice.invoice_number,
            "invoice_date": invoice.invoice_date,
            "order_number": invoice.order_number,
            "total": None if invoice.total is None else str(invoice.total),
            "tracking_numbers": list(invoice.tracking_numbers),
            "first_seen_at": now,
        }
    with store.transaction() as connection:
        stmt = upsert(connection, invoices).on_conflict_do_nothing(index_elements=["tenant", "po_id", "invoice_number"])
        connection.execute(stmt, list(rows.values()))


def load_invoices(store: Store, tenant: str, po_ids: Iterable[int]) -> dict[int, list[Invoice]]:
    found: dict[int, list[Invoice]] = {}
    with store.reading() as connection:
        for chunk in chunks(po_ids):
            query = (
                select(invoices)
                .where(and_(invoices.c.tenant == tenant, invoices.c.po_id.in_(chunk)))
                .order_by(invoices.c.po_id, invoices.c.invoice_date, invoices.c.invoice_number)
            )
            for row in connection.execute(query).mappings():
                invoice_date: date | None = row["invoice_date"]
                found.setdefault(int(row["po_id"]), []).append(
                    Invoice(
                        invoice_number=row["invoice_number"],
                        invoice_date=invoice_date,
                        order_number=row["order_number"],
                        total=_decimal(row["total"]),
                        tracking_numbers=tuple(row["tracking_numbers"] or ()),
                    )
                )
    return found
