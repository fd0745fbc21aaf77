"""Invoices on the PO header: the one `vendorInvoiceNumber` / `vendorInvoiceDate` pair ConnectWise has.

Separate from the status rules because invoices come from another TD SYNNEX service (td-synnex.md §2.3),
one per sales order or shipment, and ConnectWise keeps exactly one 50-character number per PO
(DESIGN.md §2): what does not fit there goes to the notes, never silently away.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from orderbridge.core.domain import Event, FieldChange, Invoice
from orderbridge.rules.shipping import CW_TEXT_LIMIT, cw_date, cw_datetime
from orderbridge.rules.situation import Outcome, Situation


def distinct_invoices(invoices: Sequence[Invoice]) -> tuple[Invoice, ...]:
    """Each invoice number once (a query by PO and by sales order can both return it), oldest first.

    Undated invoices sort first so a dated one is "the latest"; ties keep the service's order.
    """
    seen: dict[str, Invoice] = {}
    for invoice in invoices:
        if invoice.invoice_number:
            seen.setdefault(invoice.invoice_number, invoice)
    return tuple(sorted(seen.values(), key=lambda invoice: invoice.invoice_date or date.min))


def invoice_number_text(invoices: Sequence[Invoice], limit: int = CW_TEXT_LIMIT) -> str | None:
    """All numbers ", "-joined if they fit; else the latest + " +N more"; None when not even that fits."""
    numbers = [invoice.invoice_number for invoice in invoices]
    if not numbers:
        return None
    joined = ", ".join(numbers)
    if len(joined) <= limit:
        return joined
    latest = f"{numbers[-1]} +{len(numbers) - 1} more"
    return latest if len(latest) <= limit else None


def money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def invoice_text(invoice: Invoice) -> str:
    dated = f" dated {invoice.invoice_date.isoformat()}" if invoice.invoice_date else ""
    total = f", total {money(invoice.total)}" if invoice.total is not None else ", total not given"
    order = f" (sales order {invoice.order_number})" if invoice.order_number else ""
    return f"Invoice {invoice.invoice_number}{dated}{total}{order}"


def invoice_rule(s: Situation) -> Outcome:
    # Invoices come from their own service, so an older PO Status answer (stale) does not make them stale.
    invoices = distinct_invoices(s.invoices)
    if not invoices:
        return Outcome()
    changes: list[FieldChange] = []
    events: list[Event] = []
    text = invoice_number_text(invoices)
    # One invoice number longer than 50 characters: never cut; the invoice event and note carry it.
    if text is None:
        key = f"invoice_number_too_long:{invoices[-1].invoice_number}"
        summary = f"Invoice number longer than {CW_TEXT_LIMIT} characters, not written: {invoices[-1].invoice_number}"
        events.append(Event("invoice_number_too_long", summary, s.stage, key))
    elif text != s.po.vendor_invoice_number:
        reason = "latest invoice" if len(invoices) == 1 else f"{len(invoices)} invoices"
        changes.append(FieldChange("vendorInvoiceNumber", s.po.vendor_invoice_number, text, reason))
    dated = [invoice.invoice_date for invoice in invoices if invoice.invoice_date]
    if dated:
        new = cw_date(max(dated))
        old = cw_datetime(s.po.vendor_invoice_date) if s.po.vendor_invoice_date else None
        if new != old:
            changes.append(FieldChange("vendorInvoiceDate", old, new, "latest invoice date"))
    # Each invoice is news (a PO can be billed per sales order, weeks apart); the note lists them all.
    for invoice in invoices:
        details = {
            "invoice_number": invoice.invoice_number,
            "invoice_date": invoice.invoice_date.isoformat() if invoice.invoice_date else None,
            "sales_order": invoice.order_number,
            "total": str(invoice.total) if invoice.total is not None else None,
        }
        events.append(Event("invoice", invoice_text(invoice), s.stage, f"invoice:{invoice.invoice_number}", details))
    return Outcome(changes=tuple(changes), events=tuple(events))
