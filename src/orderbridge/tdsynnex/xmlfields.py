"""The XML reading both TD SYNNEX codecs share: the one safe parser, names without namespaces, and
typed field values (numbers, dates, timestamps) that fail with a message naming the field.

Every XML parse in orderbridge (simulators included) goes through `safe_fromstring`, so the defusedxml
settings live in exactly one place (reliability-security.md §4.1). Pure functions over bytes, no I/O.
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET  # the element type; parsing goes through defusedxml below
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

import defusedxml.ElementTree as DefusedET
from defusedxml.common import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

from orderbridge.core.errors import MalformedResponse
from orderbridge.core.redaction import redact

HTML_HEAD = re.compile(rb"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]")
AUTH_WORDS = re.compile(r"login|password|credential|authentic|unauthori[sz]|user\s?id\b", re.IGNORECASE)
_REFUSED: dict[type[Exception], str] = {
    DTDForbidden: "a DTD (<!DOCTYPE>), which TD SYNNEX never sends",
    EntitiesForbidden: "entity declarations",
    ExternalReferenceForbidden: "an external reference",
}
DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>'
XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def excerpt(data: bytes, limit: int = 120) -> str:
    # Redact before cutting, so a credential split by the cut cannot slip through half-masked.
    text = redact(data[:2000].decode("utf-8", errors="replace"))
    text = " ".join(text.split())
    return repr(text[:limit] + ("…" if len(text) > limit else ""))


def safe_fromstring(data: bytes) -> ET.Element:
    """Parse XML with DTDs, entities and external references forbidden; any failure is MalformedResponse."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not head:
        raise MalformedResponse("received an empty body, not XML")
    if HTML_HEAD.search(head):
        raise MalformedResponse(f"received an HTML page, not XML: {excerpt(data)}")
    if not head.startswith((b"<", b"\xff\xfe", b"\xfe\xff")):
        raise MalformedResponse(f"received a body that is not XML: {excerpt(data)}")
    try:
        return DefusedET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise MalformedResponse(f"refused XML with {_REFUSED.get(type(exc), 'a forbidden construct')}") from None
    except (ET.ParseError, ValueError, LookupError) as exc:
        # ParseError text is position-only ("no element found: line 1, column 80"), never body content.
        reason = str(exc).splitlines()[0][:100] if str(exc) else type(exc).__name__
        raise MalformedResponse(f"received malformed or truncated XML ({reason}): {excerpt(data)}") from None


@functools.lru_cache(maxsize=4096)  # a few dozen tag names recur ~500 times per response; bounded against junk
def local_name(tag: object) -> str:
    return tag.rpartition("}")[2].lower() if isinstance(tag, str) else ""


def children(element: ET.Element) -> dict[str, ET.Element]:
    """Children by lower-cased local name, first wins: the spec's own examples drift in capitalisation."""
    found: dict[str, ET.Element] = {}
    for child in element:
        found.setdefault(local_name(child.tag), child)
    return found


def text_of(element: ET.Element | None) -> str | None:
    text = None if element is None else element.text
    return (text.strip() or None) if text is not None else None


def bad_value(where: str, name: str, raw: str, what: str) -> MalformedResponse:
    return MalformedResponse(f"{where}: {name} {redact(raw)[:40]!r} is not {what}")


def decimal_of(element: ET.Element | None, where: str, name: str) -> Decimal | None:
    raw = text_of(element)
    if raw is None:
        return None
    try:
        value = Decimal(raw.replace(",", ""))  # the SDKs see thousands commas in amounts (td-synnex.md §2.3)
    except InvalidOperation:
        raise bad_value(where, name, raw, "a number") from None
    # Bounded so a hostile "1E+999999999" quantity cannot become a billion-digit int further on.
    if not value.is_finite() or (value and value.adjusted() > 15):
        raise bad_value(where, name, raw, "a number in range")
    return value


def int_of(element: ET.Element | None, where: str, name: str) -> int | None:
    value = decimal_of(element, where, name)
    if value is None:
        return None
    if value != value.to_integral_value():
        raise bad_value(where, name, str(value), "a whole number")
    return int(value)


def _is_zero_date(raw: str) -> bool:
    # ERP exports sometimes write "0000-00-00" for "no date"; reading it as absent beats failing the PO.
    digits = [ch for ch in raw if ch.isdigit()]
    return bool(digits) and all(ch == "0" for ch in digits)


def timestamp_of(element: ET.Element | None, where: str, name: str, tz: ZoneInfo) -> datetime | None:
    raw = text_of(element)
    if raw is None or _is_zero_date(raw):
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        try:
            moment = datetime.strptime(raw, "%m/%d/%Y %H:%M:%S")
        except ValueError:
            raise bad_value(where, name, raw, "a timestamp") from None
    # XML timestamps carry no offset; Pacific time is likely but UNCONFIRMED (td-synnex.md §7.12), so the zone
    # is configurable, and an explicit offset or Z, should TD SYNNEX ever send one, wins.
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC)


def _us_date(raw: str) -> date:
    return datetime.strptime(raw, "%m/%d/%Y").date()


def date_of(element: ET.Element | None, where: str, name: str) -> date | None:
    raw = text_of(element)
    if raw is None or _is_zero_date(raw):
        return None
    for reader in (date.fromisoformat, _us_date, datetime.fromisoformat):
        try:
            parsed = reader(raw)
        except ValueError:
            continue
        # A datetime string keeps the calendar date as written: the date is TD SYNNEX's, not UTC's.
        return parsed.date() if isinstance(parsed, datetime) else parsed
    raise bad_value(where, name, raw, "a date")
