"""PO note text: what a person reads in ConnectWise for a stage change, a shipment or an invoice. Pure.

Notes are where the full lists live (every tracking number with its link, every invoice with its total)
that ConnectWise's 50-character fields cannot hold. ConnectWise turns newlines into spaces (DG "Escaping"),
so structure is carried by ". " and "; " alone. Each text ends with a marker naming its event key, so the
engine can tell a note it already wrote even after a crash between the write and the local record.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from urllib.parse import quote, unquote

from orderbridge.core.domain import Invoice, Note
from orderbridge.rules.invoice_fields import invoice_text, money

NOTE_LIMIT = 4000  # "under ~4,000 characters": a note is read by a person, not a dump
# The key is percent-encoded with no whitespace or brackets left, so the marker survives newline-to-space
# conversion, whitespace collapsing and keys that contain "]" or spaces (a tracking number with a space).
_MARKER_SAFE = ":|,@/+=-_.~"
_MARKER = re.compile(r"\[orderbridge:([A-Za-z0-9%:|,@/+=\-_.~]+)\]", re.IGNORECASE)


def note_marker(key: str) -> str:
    return f"[orderbridge:{quote(key, safe=_MARKER_SAFE)}]"


def find_marker(text: str) -> str | None:
    """The event key of the LAST marker in a note's text (ours end with one), or None for a person's note."""
    found = _MARKER.findall(text or "")
    return unquote(found[-1]) if found else None


@dataclass(frozen=True)
class TrackedPackage:
    number: str
    url: str | None = None

    @property
    def text(self) -> str:
        return f"{self.number} {self.url}" if self.url else self.number


@dataclass(frozen=True)
class ShipmentFacts:
    """One shipment as a person reads it: which sales order, when, how, which lines, which cartons."""

    order_number: str | None
    shipped_on: date | None
    method: str
    lines: tuple[int, ...]
    packages: tuple[TrackedPackage, ...]


def _bounded(entries: Sequence[str], budget: int, *, noun: str = "packages") -> str:
    """Entries joined by "; " within `budget` characters; the rest summarised as "+N more <noun>"."""
    shown: list[str] = []
    used = 0
    for index, entry in enumerate(entries):
        rest = len(entries) - index - 1
        tail = len(f"; +{rest} more {noun}") if rest else 0
        cost = len(entry) + (2 if shown else 0)
        if used + cost + tail > budget:
            break
        shown.append(entry)
        used += cost
    left = len(entries) - len(shown)
    if left:
        shown.append(f"+{left} more {noun}")
    return "; ".join(shown)


def _finish(key: str, head: str, entries: Sequence[str], tail: str = "") -> Note:
    marker = note_marker(key)
    budget = NOTE_LIMIT - len(head) - len(tail) - len(marker) - 4
    body = _bounded(entries, max(budget, 0)) if entries else ""
    text = " ".join(part for part in (head, body + ("." if body else ""), tail, marker) if part)
    return Note(key, text)


def _lines(numbers: Sequence[int]) -> str:
    ordered = sorted(set(numbers))
    label = "Line" if len(ordered) == 1 else "Lines"
    return f"{label} {', '.join(str(n) for n in ordered)}."


def shipment_note(key: str, headline: str, shipment: ShipmentFacts) -> Note:
    """E.g. "TDS Shipped: 3 of 5 lines shipped. Sales order 41000001 shipped 2026-01-06 via FedEx Ground: n url"."""
    when = f" {shipment.shipped_on.isoformat()}" if shipment.shipped_on else ""
    head = f"{headline}. Sales order {shipment.order_number or 'unknown'} shipped{when} via {shipment.method}:"
    if not shipment.packages:
        head += " no tracking number."
    return _finish(key, head, [p.text for p in shipment.packages], _lines(shipment.lines))


def invoices_summary(invoices: Sequence[Invoice], budget: int = NOTE_LIMIT // 3) -> str:
    """Every invoice with its total (within `budget`, then "+N more invoices"), then the sum of the totals."""
    if not invoices:
        return ""
    totals = [invoice.total for invoice in invoices if invoice.total is not None]
    missing = len(invoices) - len(totals)
    untotalled = f" ({missing} without a total)" if missing else ""
    listed = _bounded([invoice_text(invoice) for invoice in invoices], budget, noun="invoices")
    return f"Invoices: {listed}. Sum {money(sum(totals, Decimal(0)))}{untotalled}."


def stage_note(
    key: str,
    headline: str,
    *,
    sales_orders: Sequence[str] = (),
    packages: Sequence[TrackedPackage] = (),
    invoices: Sequence[Invoice] = (),
) -> Note:
    """A stage change: the headline, the sales orders, every invoice and every tracking number so far."""
    parts = [f"{headline}."]
    if sales_orders:
        parts.append(f"Sales orders: {_bounded(sales_orders, NOTE_LIMIT // 8, noun='sales orders')}.")
    if invoices:
        parts.append(invoices_summary(invoices))
    head = " ".join(parts)
    if packages:
        head += " Tracking numbers:"
    return _finish(key, head, [p.text for p in packages])


def invoice_note(key: str, invoice: Invoice, invoices: Sequence[Invoice]) -> Note:
    """An invoice that arrived without a stage change (a second sales order billed weeks later)."""
    head = f"{invoice_text(invoice)}."
    others = [other for other in invoices if other.invoice_number != invoice.invoice_number]
    return _finish(key, f"{head} {invoices_summary(invoices)}" if others else head, [])
