"""Partner REST API JSON -> the same `DistributorOrder` the XML PO Status gives (td-synnex.md §3.1).

Pure functions, no I/O, so the planner never learns which channel an order came from. The status words
of the Partner API are UNCONFIRMED (third-party examples only), so every mapping from its text sits in
one table here, and a word outside it is kept verbatim as `StatusCode.UNKNOWN` for a person to read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from orderbridge.core.domain import DistributorLine, DistributorOrder, Package, StatusCode
from orderbridge.core.errors import MalformedResponse
from orderbridge.core.redaction import redact


@dataclass(frozen=True)
class _Word:
    """What one Partner status word means: a code, plus the two signals stages.py reads off XML lines."""

    code: StatusCode
    order_type: str | None = None
    released: bool = False


# UNCONFIRMED throughout: "Open" and "Shipped" appear in a third-party write-up [S21]; the rest are the
# plain-English words an SAP-backed order system uses. Keys are lower-case with spacing and -/_ removed.
# "Released" becomes `DistributorLine.released`, the explicit release signal stages.py reads; the Partner API
# has no per-line fee elements, so `fees_present` stays False on its lines.
# "Closed" is left out on purpose: it could mean billed or cancelled, so it is shown verbatim instead.
STATUS_WORDS: dict[str, _Word] = {
    "open": _Word(StatusCode.ACCEPTED),
    "accepted": _Word(StatusCode.ACCEPTED),
    "booked": _Word(StatusCode.ACCEPTED),
    "inprocess": _Word(StatusCode.ACCEPTED),
    "processing": _Word(StatusCode.ACCEPTED),
    "backordered": _Word(StatusCode.ACCEPTED, order_type="BO"),
    "backorder": _Word(StatusCode.ACCEPTED, order_type="BO"),
    "released": _Word(StatusCode.ACCEPTED, order_type="SO", released=True),
    "releasedtowarehouse": _Word(StatusCode.ACCEPTED, order_type="SO", released=True),
    "shipped": _Word(StatusCode.SHIPPED),
    "partiallyshipped": _Word(StatusCode.SHIPPED),
    "intransit": _Word(StatusCode.SHIPPED),
    "delivered": _Word(StatusCode.SHIPPED),
    "complete": _Word(StatusCode.SHIPPED),
    "completed": _Word(StatusCode.SHIPPED),
    "invoiced": _Word(StatusCode.INVOICED),
    "billed": _Word(StatusCode.INVOICED),
    "cancelled": _Word(StatusCode.DELETED),
    "canceled": _Word(StatusCode.DELETED),
    "deleted": _Word(StatusCode.DELETED),
    "rejected": _Word(StatusCode.REJECTED),
    "notfound": _Word(StatusCode.NOT_FOUND),
}
_SHIPPED = frozenset({StatusCode.SHIPPED, StatusCode.INVOICED})
NOT_FOUND_WORDS = re.compile(r"not\s*found|no\s+(?:order|record|data|shipment)s?\b|does\s+not\s+exist", re.IGNORECASE)


def status_word(text: str | None) -> _Word:
    if not text:
        return _Word(StatusCode.UNKNOWN)
    key = re.sub(r"[\s_-]+", "", text).lower()
    return STATUS_WORDS.get(key) or _Word(StatusCode.parse(text))


def error_message(body: Any) -> str | None:
    """The error text of a Partner answer: `{requestId, data:{errorCode, errorMessage}}` or a top-level
    `errorMessage`, which can arrive with HTTP 200 ("check errorMessage even with 200", [S21])."""
    if isinstance(body, Mapping):
        candidates: list[Mapping[str, Any]] = [body]
    elif isinstance(body, list):
        candidates = [item for item in body if isinstance(item, Mapping)]
    else:
        candidates = []
    for obj in candidates:
        data = obj.get("data")
        for holder in (data, obj) if isinstance(data, Mapping) else (obj,):
            message = holder.get("errorMessage")
            if message not in (None, ""):
                code = holder.get("errorCode")
                text = f"{code}: {message}" if code not in (None, "") else str(message)
                return redact(" ".join(text.split()))[:300]
    return None


def not_found_order(order_number: str, message: str) -> DistributorOrder:
    """A sales order the Partner API does not know: NOT_FOUND, like an XML `notFound`, never an exception."""
    return DistributorOrder(
        customer_number=None,
        po_number="",
        code=StatusCode.NOT_FOUND,
        raw_code="notFound",
        reason=f"sales order {order_number}: {message}",
    )


def _str(obj: Mapping[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None or isinstance(value, (Mapping, list, bool)):
        return None
    text = str(value).strip()
    return text or None


def _objects(obj: Mapping[str, Any], key: str, where: str) -> list[Mapping[str, Any]]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise MalformedResponse(f"Partner API {where}: {key} is not a list of objects")
    return value


def _quantity(raw: str | None, where: str) -> int | None:
    # Quantities arrive as strings ("2", "2.000") [S25].
    if raw is None:
        return None
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        raise MalformedResponse(f"Partner API {where}: quantity {redact(raw)[:20]!r} is not a number") from None
    if not value.is_finite() or value != value.to_integral_value() or abs(value) > 10**9:
        raise MalformedResponse(f"Partner API {where}: quantity {redact(raw)[:20]!r} is not a whole number")
    return int(value)


def _price(raw: str | None, where: str) -> Decimal | None:
    if raw is None:
        return None
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        raise MalformedResponse(f"Partner API {where}: amount {redact(raw)[:20]!r} is not a number") from None
    return value if value.is_finite() and abs(value) < 10**12 else None


def _line_number(raw: str | None, fallback: int) -> int:
    # SAP-style numbers ("000010") are read as integers; a missing or odd one falls back to the position.
    if raw and raw.isascii() and raw.isdigit() and len(raw) <= 9:
        return int(raw)
    return fallback


def parse_moment(raw: str | None, tz: ZoneInfo, where: str) -> datetime | None:
    """A ship or placed date: ISO date, ISO datetime or MM/DD/YYYY. Offset-less values are in `tz`
    (Pacific, as for the XML; UNCONFIRMED); a bare date becomes midnight there, keeping the calendar day."""
    if raw is None:
        return None
    moment: datetime | None = None
    for reader in (datetime.fromisoformat, lambda text: datetime.strptime(text, "%m/%d/%Y")):
        try:
            moment = reader(raw.replace("Z", "+00:00"))
            break
        except ValueError:
            continue
    if moment is None:
        raise MalformedResponse(f"Partner API {where}: {redact(raw)[:30]!r} is not a date")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC)


def _packages(tracking: list[Mapping[str, Any]]) -> tuple[tuple[Package, ...], str | None]:
    seen: dict[str, None] = {}
    carrier: str | None = None
    for entry in tracking:
        number = _str(entry, "trackingNumber")
        carrier = carrier or _str(entry, "carrierDescription")
        if number:
            seen.setdefault(number, None)
    return tuple(Package(tracking_number=number) for number in seen), carrier


@dataclass(frozen=True)
class _Context:
    """What every line of one sales order shares: its number, the order status, prices from the order call."""

    order_number: str
    order_status: str | None
    prices: dict[int, Mapping[str, Any]]
    tz: ZoneInfo


def _line(line: Mapping[str, Any], sub: Mapping[str, Any] | None, context: _Context, index: int) -> DistributorLine:
    number = _line_number(_str(line, "lineNumber") or _str(line, "displayLineNumber"), index)
    where = f"line {number}"
    source = sub if sub is not None else line
    text = _str(source, "lineStatus") or _str(line, "lineStatus") or context.order_status
    word = status_word(text)
    quantity = _quantity(_str(sub, "quantity") if sub is not None else None, where)
    if quantity is None:
        quantity = _quantity(_str(line, "totalQuantity") or _str(line, "quantity"), where)
    packages, carrier = _packages(_objects(source, "tracking", where)) if sub is not None else ((), None)
    priced = context.prices.get(number, {})
    return DistributorLine(
        line_number=number,
        code=word.code,
        raw_code=text or "",
        order_number=context.order_number,
        order_type=word.order_type,
        order_quantity=quantity,
        unit_price=_price(_str(line, "unitPrice") or _str(priced, "unitPrice"), where),
        sku=_str(line, "partNumber") or _str(priced, "partNumber"),
        mfg_pn=_str(line, "manufacturerPartNumber") or _str(priced, "manufacturerPartNumber"),
        product_name=_str(line, "description") or _str(priced, "description"),
        ship_quantity=(quantity or 0) if word.code in _SHIPPED else 0,
        ship_datetime=parse_moment(_str(source, "shipDate"), context.tz, where),
        warehouse=_str(source, "warehouse"),
        ship_method_description=carrier,
        released=word.released,
        packages=packages,
    )


def normalise_order(
    order_number: str,
    orders: list[Mapping[str, Any]],
    shipment: Mapping[str, Any] | None,
    *,
    tz: ZoneInfo,
) -> DistributorOrder:
    """One DistributorLine per shipment subLine (or per line without subLines), all on this sales order."""
    header = next((o for o in orders if (_str(o, "orderNumber") or _str(o, "salesOrderNumber")) == order_number), None)
    header = header or (orders[0] if orders else {})
    ship = shipment or {}
    status = _str(ship, "orderStatus") or _str(header, "orderStatus")
    prices = {
        _line_number(_str(line, "lineNumber"), n): line
        for n, line in enumerate(_objects(header, "lines", "order"), start=1)
    }
    context = _Context(order_number, status, prices, tz)
    lines: list[DistributorLine] = []
    source_lines = _objects(ship, "lines", "shipment details") or list(prices.values())
    for index, line in enumerate(source_lines, start=1):
        subs = _objects(line, "subLines", f"line {index}")
        lines += [_line(line, sub, context, index) for sub in subs] if subs else [_line(line, None, context, index)]
    word = status_word(status)
    return DistributorOrder(
        customer_number=_str(header, "customerNumber"),
        po_number=_str(ship, "purchaseOrder") or _str(header, "purchaseOrderNumber") or "",
        code=word.code,
        raw_code=status or "",
        po_datetime=parse_moment(_str(header, "orderPlacedDate"), tz, "orderPlacedDate"),
        lines=tuple(lines),
    )
