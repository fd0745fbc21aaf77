"""What of a TD SYNNEX answer may reach ConnectWise: the one check every value passes before planning.

The codecs read what the wire says (a year-9999 date, a negative quantity, a tracking number with a
bidi override in it are all well-formed XML or JSON); this module decides what the planner may use, for
all three channels at once (PO Status XML, invoice XML, Partner API JSON), so the rule lives in one place
and needs no clock in the codecs. Pure: the planner calls `admit` first and refuses the PO on a problem.

Per field:
- Identifiers that ConnectWise stores and people search by, or that key a match (tracking, sales-order,
  invoice and serial numbers; SKU, MfgPN, ship-method code, warehouse id): refused when they carry a
  character `str.isprintable` rejects: C0/C1 controls and DEL, zero-width characters (U+200B-U+200D,
  U+2060, U+FEFF), bidi controls (U+202A-U+202E, U+2066-U+2069), line/paragraph separators, special
  spaces, private-use or unassigned code points. Cleaning them would write a value that looks right and
  matches nothing TD SYNNEX or the carrier knows, so the whole PO fails and a person sees which value.
- Free text (product names, ship-method descriptions, ship-from places, reasons, codes shown verbatim):
  cleaned: controls and separators become a space, invisible characters are dropped, spaces collapse.
- Dates ConnectWise receives (ship, ETA, estimated ship and delivery, invoice and invoice ship dates):
  refused before 2000 or more than two years ahead of the clock (a sentinel or a typo, never an order).
- Quantities: refused when negative or above a million units on one line (no hardware order line is).
Refusing fails the whole PO (the planner's fail-closed rule): nothing of it is written.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from orderbridge.core.domain import DistributorLine, DistributorOrder, Invoice, InvoiceLine

EARLIEST = date(2000, 1, 1)
HORIZON = timedelta(days=730)  # two years ahead of the clock
MAX_UNITS = 1_000_000
NOT_WRITTEN = "refused, nothing of this PO was written to ConnectWise"
_SPACES = re.compile(r"\s+")
_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@dataclass(frozen=True)
class Admission:
    """The answer as the planner may use it (free text cleaned), or the reasons it may not be used."""

    order: DistributorOrder
    invoices: tuple[Invoice, ...]
    problems: tuple[str, ...] = ()


def unsafe(text: str) -> str | None:
    """The first character of `text` an identifier may not carry, or None. `isprintable` is a C-speed
    test of exactly the classes above (every Unicode "Other" and "Separator" but the ASCII space)."""
    if text.isprintable():
        return None
    return next(ch for ch in text if not ch.isprintable())


def describe(ch: str) -> str:
    code = f"U+{ord(ch):04X}"
    if ch in _ZERO_WIDTH:
        return f"a zero-width character ({code})"
    if ch in _BIDI:
        return f"a bidi control ({code})"
    kind = unicodedata.category(ch)
    if kind == "Cc":
        return f"a control character ({code})"
    if kind == "Zs":
        return f"a special space ({code})"
    if kind in ("Zl", "Zp"):
        return f"a line or paragraph separator ({code})"
    return f"an invisible or unassigned character ({code})"


def shown(text: str, limit: int = 60) -> str:
    """The value as a person can read it in a log: every character an identifier may not carry escaped."""
    escaped = "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in text)
    return "'" + escaped[:limit] + ("…" if len(escaped) > limit else "") + "'"


def clean_text(text: str | None) -> str | None:
    """Free text as ConnectWise may receive it: controls and separators to spaces, invisibles dropped."""
    if text is None or text.isprintable():
        return text
    kept = []
    for ch in text:
        if ch.isprintable():
            kept.append(ch)
        elif unicodedata.category(ch) in ("Cc", "Zs", "Zl", "Zp"):
            kept.append(" ")
    return _SPACES.sub(" ", "".join(kept)).strip() or None


class _Checks:
    """Collects problems for one answer; the `where` of each names the line, package or invoice."""

    def __init__(self, now: datetime) -> None:
        self.latest = now.date() + HORIZON
        self.problems: list[str] = []

    def identifier(self, where: str, field: str, value: str | None) -> None:
        if value is None:
            return
        bad = unsafe(value)
        if bad is not None:
            self.problems.append(f"{where}: {field} {shown(value)} contains {describe(bad)}; {NOT_WRITTEN}")

    def identifiers(self, where: str, field: str, values: Iterable[str]) -> None:
        for value in values:
            self.identifier(where, field, value)

    def day(self, where: str, field: str, value: date | datetime | None) -> None:
        if value is None:
            return
        day = value.date() if isinstance(value, datetime) else value
        if not EARLIEST <= day <= self.latest:
            self.problems.append(
                f"{where}: {field} {day.isoformat()} is outside the plausible window "
                f"{EARLIEST.isoformat()} to {self.latest.isoformat()} (two years ahead); {NOT_WRITTEN}"
            )

    def quantity(self, where: str, field: str, value: int | None) -> None:
        if value is not None and not 0 <= value <= MAX_UNITS:
            what = "negative" if value < 0 else f"more than {MAX_UNITS:,} units"
            self.problems.append(f"{where}: {field} {value} is {what}; {NOT_WRITTEN}")


def _line(checks: _Checks, line: DistributorLine) -> DistributorLine:
    where = f"TD SYNNEX line {line.line_number}" + (
        f" (sales order {shown(line.order_number)})" if line.order_number else ""
    )
    checks.identifier(where, "sales order number", line.order_number)
    checks.identifier(where, "SKU", line.sku)
    checks.identifier(where, "MfgPN", line.mfg_pn)
    checks.identifier(where, "ship method code", line.ship_method)
    checks.identifier(where, "warehouse", line.warehouse)
    checks.quantity(where, "OrderQuantity", line.order_quantity)
    checks.quantity(where, "ShipQuantity", line.ship_quantity)
    checks.day(where, "ShipDatetime", line.ship_datetime)
    checks.day(where, "ETADate", line.eta_date)
    checks.day(where, "EstimatedShipDate", line.estimated_ship_date)
    checks.day(where, "EstimateDeliveryDate", line.estimated_delivery_date)
    for number, package in enumerate(line.packages, start=1):
        checks.identifier(f"{where} package {number}", "tracking number", package.tracking_number)
        checks.identifiers(f"{where} package {number}", "serial number", package.serial_numbers)
        checks.quantity(f"{where} package {number}", "ShipItemQuantity", package.ship_item_quantity)
    if _clean(line):
        return line
    return replace(
        line,
        raw_code=clean_text(line.raw_code) or "",
        order_type=clean_text(line.order_type),
        product_name=clean_text(line.product_name),
        ship_from_city=clean_text(line.ship_from_city),
        ship_from_state=clean_text(line.ship_from_state),
        ship_from_zip=clean_text(line.ship_from_zip),
        ship_method_description=clean_text(line.ship_method_description),
    )


def _clean(line: DistributorLine) -> bool:
    texts = (
        line.raw_code,
        line.order_type,
        line.product_name,
        line.ship_from_city,
        line.ship_from_state,
        line.ship_from_zip,
        line.ship_method_description,
    )
    return all(text is None or text.isprintable() for text in texts)


def _invoice(checks: _Checks, invoice: Invoice) -> Invoice:
    where = f"TD SYNNEX invoice {shown(invoice.invoice_number)}"
    checks.identifier(where, "invoice number", invoice.invoice_number)
    checks.identifier(where, "sales order number", invoice.order_number)
    checks.identifiers(where, "tracking number", invoice.tracking_numbers)
    checks.day(where, "InvoiceDate", invoice.invoice_date)
    checks.day(where, "ShipDate", invoice.ship_date)
    lines: list[InvoiceLine] = []
    for number, line in enumerate(invoice.lines, start=1):
        checks.identifier(f"{where} item {number}", "SKU", line.sku)
        checks.identifier(f"{where} item {number}", "MfgPN", line.mfg_pn)
        checks.identifiers(f"{where} item {number}", "serial number", line.serial_numbers)
        checks.quantity(f"{where} item {number}", "ShipQuantity", line.ship_quantity)
        description = clean_text(line.description)
        lines.append(line if description == line.description else replace(line, description=description))
    po_number = clean_text(invoice.po_number)
    if po_number == invoice.po_number and all(a is b for a, b in zip(lines, invoice.lines, strict=True)):
        return invoice
    return replace(invoice, po_number=po_number, lines=tuple(lines))


def admit(order: DistributorOrder, invoices: Sequence[Invoice], *, now: datetime) -> Admission:
    """The answer and invoices as the planner may use them, or every reason they may not (fail closed)."""
    checks = _Checks(now)
    lines = tuple(_line(checks, line) for line in order.lines)
    clean_invoices = tuple(_invoice(checks, invoice) for invoice in invoices)
    header = (order.customer_number, order.po_number, order.raw_code, order.reason)
    admitted = order
    # The common answer is clean: keep the very objects, so admitting costs a scan and no copies.
    if any(a is not b for a, b in zip(lines, order.lines, strict=True)) or not all(
        text is None or text.isprintable() for text in header
    ):
        admitted = replace(
            order,
            customer_number=clean_text(order.customer_number),
            po_number=clean_text(order.po_number) or "",
            raw_code=clean_text(order.raw_code) or "",
            reason=clean_text(order.reason),
            lines=lines,
        )
    return Admission(admitted, clean_invoices, tuple(dict.fromkeys(checks.problems)))


__all__ = ["Admission", "admit", "clean_text", "describe", "shown", "unsafe"]
