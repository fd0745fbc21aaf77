"""Invoices per PO: several per PO, each kept once, read back in date order."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from orderbridge.core.domain import Invoice
from orderbridge.store import Store
from orderbridge.store.invoices import load_invoices, save_invoices

NOW = datetime(2026, 1, 9, tzinfo=UTC)


def test_several_invoices_per_po_are_kept_once_each(store: Store) -> None:
    first = Invoice("71000001", date(2026, 1, 8), "41000001", Decimal("1,020.00".replace(",", "")), ("1Z999",))
    second = Invoice("71000002", date(2026, 1, 9), "41000002", Decimal("35.50"))
    save_invoices(store, "acme", [(7, first), (7, second), (8, first)], NOW)
    save_invoices(store, "acme", [(7, first)], NOW)  # seen again next cycle: ignored
    found = load_invoices(store, "acme", [7, 8, 9])
    assert [i.invoice_number for i in found[7]] == ["71000001", "71000002"]
    assert found[7][0].total == Decimal("1020.00") and found[7][0].tracking_numbers == ("1Z999",)
    assert [i.invoice_number for i in found[8]] == ["71000001"]
    assert 9 not in found
    assert load_invoices(store, "other", [7]) == {}
