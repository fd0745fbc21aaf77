"""The TD SYNNEX XML PO Status codec: the one safe XML parser, the request builder and the response reader.

Pure functions over bytes, no I/O. Every XML parse in orderbridge (simulators included) goes through
`safe_fromstring`, so the defusedxml settings live in exactly one place (reliability-security.md §4.1).
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET  # building only; parsing goes through defusedxml below
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

import defusedxml.ElementTree as DefusedET
from defusedxml.common import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

from orderbridge.core.domain import DistributorLine, DistributorOrder, Package, StatusCode
from orderbridge.core.errors import AuthError, DistributorError, MalformedResponse, redact

_HTML_HEAD = re.compile(rb"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]")
# Business errors arrive inside HTTP 200 (td-synnex.md §2.1, §7.8). A C-speed scan of the raw bytes keeps
# the common, error-free response from paying for a walk over the whole tree.
_ERROR_HINT = re.compile(rb"<\s*(?:[A-Za-z_][\w.-]*:)?(?:bizerror|errormessage|errordetail)[\s/>]", re.IGNORECASE)
_AUTH_WORDS = re.compile(r"login|password|credential|authentic|unauthori[sz]|user\s?id\b", re.IGNORECASE)
_FEE_TAGS = frozenset({"freight", "handlingfee", "tax", "recyclingfee"})
_REFUSED: dict[type[Exception], str] = {
    DTDForbidden: "a DTD (<!DOCTYPE>), which TD SYNNEX never sends",
    EntitiesForbidden: "entity declarations",
    ExternalReferenceForbidden: "an external reference",
}
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>'
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _excerpt(data: bytes, limit: int = 120) -> str:
    # Redact before cutting, so a credential split by the cut cannot slip through half-masked.
    text = redact(data[:2000].decode("utf-8", errors="replace"))
    text = " ".join(text.split())
    return repr(text[:limit] + ("…" if len(text) > limit else ""))


def safe_fromstring(data: bytes) -> ET.Element:
    """Parse XML with DTDs, entities and external references forbidden; any failure is MalformedResponse."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not head:
        raise MalformedResponse("received an empty body, not XML")
    if _HTML_HEAD.search(head):
        raise MalformedResponse(f"received an HTML page, not XML: {_excerpt(data)}")
    if not head.startswith((b"<", b"\xff\xfe", b"\xfe\xff")):
        raise MalformedResponse(f"received a body that is not XML: {_excerpt(data)}")
    try:
        return DefusedET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise MalformedResponse(f"refused XML with {_REFUSED.get(type(exc), 'a forbidden construct')}") from None
    except (ET.ParseError, ValueError, LookupError) as exc:
        # ParseError text is position-only ("no element found: line 1, column 80"), never body content.
        reason = str(exc).splitlines()[0][:100] if str(exc) else type(exc).__name__
        raise MalformedResponse(f"received malformed or truncated XML ({reason}): {_excerpt(data)}") from None


@functools.lru_cache(maxsize=4096)  # a few dozen tag names recur ~500 times per response; bounded against junk
def _local(tag: object) -> str:
    return tag.rpartition("}")[2].lower() if isinstance(tag, str) else ""


def _children(element: ET.Element) -> dict[str, ET.Element]:
    """Children by lower-cased local name, first wins: the spec's own examples drift in capitalisation."""
    found: dict[str, ET.Element] = {}
    for child in element:
        found.setdefault(_local(child.tag), child)
    return found


def _text(element: ET.Element | None) -> str | None:
    text = None if element is None else element.text
    return (text.strip() or None) if text is not None else None


@dataclass(frozen=True)
class StatusRequest:
    """An OrderStatusRequest as read by the simulator; the password stays out of repr and logs."""

    user_id: str
    password: str = field(repr=False)
    customer_number: str
    po_number: str
    version: str | None


def build_status_request(
    *, user_id: str, password: str, customer_number: str, po_number: str, version: str = "2.7"
) -> bytes:
    """The OrderStatusRequest document, built with ElementTree so a `<` in a password is escaped, not markup."""
    values = {"user_id": user_id, "password": password, "customer_number": customer_number, "po_number": po_number}
    for name, value in values.items():
        if _XML_UNSAFE.search(value):
            raise ValueError(f"{name} contains a character XML 1.0 cannot carry")
    for name in ("customer_number", "po_number"):
        if not values[name].strip():
            raise ValueError(f"{name} is empty")
    root = ET.Element("SynnexB2B", version=version)
    credential = ET.SubElement(root, "Credential")
    ET.SubElement(credential, "UserID").text = user_id
    ET.SubElement(credential, "Password").text = password
    query = ET.SubElement(root, "OrderStatusRequest")
    ET.SubElement(query, "CustomerNumber").text = customer_number
    ET.SubElement(query, "PONumber").text = po_number
    body: bytes = _DECLARATION + ET.tostring(root, encoding="UTF-8", xml_declaration=False)
    # XML parsers turn a bare CR into LF; a character reference keeps it. Unindented output has CRs only in text.
    return body.replace(b"\r", b"&#13;")


def parse_status_request(body: bytes) -> StatusRequest:
    """Read an OrderStatusRequest (the simulator's side). Missing parts are named, like TD SYNNEX's IncompleteXML."""
    root = safe_fromstring(body)
    if _local(root.tag) != "synnexb2b":
        raise MalformedResponse(f"root element <{str(root.tag)[:40]}>, expected <SynnexB2B>")
    top = _children(root)
    credential = _children(top["credential"]) if "credential" in top else {}
    query = _children(top["orderstatusrequest"]) if "orderstatusrequest" in top else None
    if query is None:
        raise MalformedResponse("OrderStatusRequest missing")
    found: dict[str, str] = {}
    for path, parent, name, required_text in (
        ("Credential/UserID", credential, "userid", False),
        ("Credential/Password", credential, "password", False),
        ("OrderStatusRequest/CustomerNumber", query, "customernumber", True),
        ("OrderStatusRequest/PONumber", query, "ponumber", True),
    ):
        element = parent.get(name)
        value = "" if element is None or element.text is None else element.text
        # An empty credential is a failed login (the server's call), an empty key is incomplete XML.
        if element is None or (required_text and not value.strip()):
            raise MalformedResponse(f"{path} missing")
        found[name] = value
    return StatusRequest(
        user_id=found["userid"],
        password=found["password"],
        customer_number=found["customernumber"],
        po_number=found["ponumber"],
        version=root.get("version"),
    )


def _bad(where: str, name: str, raw: str, what: str) -> MalformedResponse:
    return MalformedResponse(f"{where}: {name} {redact(raw)[:40]!r} is not {what}")


def _decimal(element: ET.Element | None, where: str, name: str) -> Decimal | None:
    raw = _text(element)
    if raw is None:
        return None
    try:
        value = Decimal(raw.replace(",", ""))  # the SDKs see thousands commas in amounts (td-synnex.md §2.3)
    except InvalidOperation:
        raise _bad(where, name, raw, "a number") from None
    # Bounded so a hostile "1E+999999999" quantity cannot become a billion-digit int further on.
    if not value.is_finite() or (value and value.adjusted() > 15):
        raise _bad(where, name, raw, "a number in range")
    return value


def _int(element: ET.Element | None, where: str, name: str) -> int | None:
    value = _decimal(element, where, name)
    if value is None:
        return None
    if value != value.to_integral_value():
        raise _bad(where, name, str(value), "a whole number")
    return int(value)


def _is_zero_date(raw: str) -> bool:
    # ERP exports sometimes write "0000-00-00" for "no date"; reading it as absent beats failing the PO.
    digits = [ch for ch in raw if ch.isdigit()]
    return bool(digits) and all(ch == "0" for ch in digits)


def _timestamp(element: ET.Element | None, where: str, name: str, tz: ZoneInfo) -> datetime | None:
    raw = _text(element)
    if raw is None or _is_zero_date(raw):
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        try:
            moment = datetime.strptime(raw, "%m/%d/%Y %H:%M:%S")
        except ValueError:
            raise _bad(where, name, raw, "a timestamp") from None
    # XML timestamps carry no offset; Pacific time is likely but UNCONFIRMED (td-synnex.md §7.12), so the zone
    # is configurable, and an explicit offset or Z, should TD SYNNEX ever send one, wins.
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC)


def _us_date(raw: str) -> date:
    return datetime.strptime(raw, "%m/%d/%Y").date()


def _date(element: ET.Element | None, where: str, name: str) -> date | None:
    raw = _text(element)
    if raw is None or _is_zero_date(raw):
        return None
    for reader in (date.fromisoformat, _us_date, datetime.fromisoformat):
        try:
            parsed = reader(raw)
        except ValueError:
            continue
        # A datetime string keeps the calendar date as written: the date is TD SYNNEX's, not UTC's.
        return parsed.date() if isinstance(parsed, datetime) else parsed
    raise _bad(where, name, raw, "a date")


def _line_number(item: ET.Element, index: int) -> int:
    raw = item.get("lineNumber")
    if raw is None:
        raw = next((v for k, v in item.attrib.items() if _local(k) == "linenumber"), None)
    if raw is None:
        raise MalformedResponse(f"Item {index}: lineNumber attribute missing")
    stripped = raw.strip()
    if not (stripped.isascii() and stripped.isdigit() and len(stripped) <= 9):
        raise MalformedResponse(f"Item {index}: lineNumber {redact(raw)[:20]!r} is not a number")
    return int(stripped)


def _package(element: ET.Element, where: str) -> Package:
    fields: dict[str, ET.Element] = {}
    serials: list[str] = []
    for child in element:
        name = _local(child.tag)
        if name == "serialno":
            serial = _text(child)
            if serial is not None:
                serials.append(serial)
        else:
            fields.setdefault(name, child)
    return Package(
        tracking_number=_text(fields.get("trackingnumber")),
        weight=_decimal(fields.get("weight"), where, "Weight"),
        ship_item_quantity=_int(fields.get("shipitemquantity"), where, "ShipItemQuantity"),
        serial_numbers=tuple(serials),
    )


def _line(item: ET.Element, index: int, tz: ZoneInfo) -> DistributorLine:
    number = _line_number(item, index)
    where = f"Item {index} (lineNumber {number})"
    f = _children(item)
    cartons = [child for child in f["packages"] if _local(child.tag) == "package"] if "packages" in f else []
    packages = [_package(carton, f"{where} Package {n}") for n, carton in enumerate(cartons, start=1)]
    delivery = f.get("estimatedeliverydate")  # the v2.7 spelling (td-synnex.md §1.3); VAR Connect reads both
    if delivery is None or _text(delivery) is None:
        delivery = f.get("estimateddeliverydate", delivery)
    raw_code = _text(f.get("code")) or ""
    return DistributorLine(
        line_number=number,
        code=StatusCode.parse(raw_code),
        raw_code=raw_code,
        order_number=_text(f.get("ordernumber")),
        order_type=_text(f.get("ordertype")),
        order_quantity=_int(f.get("orderquantity"), where, "OrderQuantity"),
        unit_price=_decimal(f.get("unitprice"), where, "UnitPrice"),
        sku=_text(f.get("sku")),
        mfg_pn=_text(f.get("mfgpn")),
        product_name=_text(f.get("productname")),
        ship_quantity=_int(f.get("shipquantity"), where, "ShipQuantity"),
        ship_datetime=_timestamp(f.get("shipdatetime"), where, "ShipDatetime", tz),
        warehouse=_text(f.get("shipfromwarehouse")),
        ship_from_city=_text(f.get("shipfromcity")),
        ship_from_state=_text(f.get("shipfromstate")),
        ship_from_zip=_text(f.get("shipfromzip")),
        ship_method=_text(f.get("shipmethod")),
        ship_method_description=_text(f.get("shipmethoddescription")),
        eta_date=_date(f.get("etadate"), where, "ETADate"),
        estimated_ship_date=_date(f.get("estimatedshipdate"), where, "EstimatedShipDate"),
        estimated_delivery_date=_date(delivery, where, "EstimateDeliveryDate"),
        # Presence, not amount: fee elements appear once a line is released to ship, often as 0.0 (spec v2.42).
        fees_present=not _FEE_TAGS.isdisjoint(f),
        packages=tuple(packages),
    )


def _embedded_error(root: ET.Element) -> tuple[str, bool]:
    """The business-error text carried inside a 200, and whether any error element was there at all.

    The BizError shape is UNCONFIRMED (td-synnex.md §2.1): it is accepted anywhere, with its text in
    `detail`, `Detail`, a nested `bizError` or the element itself, so all text inside it is collected.
    """
    parts: dict[str, None] = {}
    seen = biz_error_read = False
    for element in root.iter():
        name = _local(element.tag)
        if name == "bizerror" and not biz_error_read:  # a nested bizError is inside the text already read
            seen = biz_error_read = True
            for piece in element.itertext():
                if piece.strip():
                    parts.setdefault(" ".join(piece.split()), None)
        elif name in ("errormessage", "errordetail"):
            seen = True
            text = _text(element)
            if text:
                parts.setdefault(" ".join(text.split()), None)
    # Redact before cutting: a cut through an echoed secret would defeat the verbatim match in `redact`.
    return redact(": ".join(parts))[:300], seen


def _raise_for_error(text: str) -> None:
    if _AUTH_WORDS.search(text):
        raise AuthError(f"TD SYNNEX refused the login: {text}", service="tdsynnex")
    raise DistributorError(f"TD SYNNEX returned an error: {text}")


def parse_status_response(body: bytes, *, tz: ZoneInfo) -> DistributorOrder:
    """Read an OrderStatusResponse into a DistributorOrder, or raise MalformedResponse/DistributorError/AuthError."""
    root = safe_fromstring(body)
    error_seen = False
    if (b"rror" in body or b"RROR" in body) and _ERROR_HINT.search(body):  # memchr-fast pre-check
        text, error_seen = _embedded_error(root)
        if text:
            _raise_for_error(text)
    tag = _local(root.tag)
    if tag == "html":
        raise MalformedResponse(f"received an HTML page, not XML: {_excerpt(body)}")
    if tag != "synnexb2b":
        raise MalformedResponse(f"received root element <{str(root.tag)[:40]}>, expected <SynnexB2B>")
    response = next((child for child in root if _local(child.tag) == "orderstatusresponse"), None)
    if response is None:
        if error_seen:
            raise DistributorError("TD SYNNEX returned an error element with no message and no OrderStatusResponse")
        names = ", ".join(f"<{_local(child.tag)}>" for child in list(root)[:5]) or "nothing"
        raise MalformedResponse(f"<SynnexB2B> has no <OrderStatusResponse> (it holds {names})")
    fields: dict[str, ET.Element] = {}
    lines: dict[DistributorLine, None] = {}
    index = 0
    for child in response:
        name = _local(child.tag)
        if name != "items":
            fields.setdefault(name, child)
            continue
        for item in child:
            if _local(item.tag) == "item":
                index += 1
                # VAR Connect de-duplicates fully identical <Item>s returned twice (td-synnex.md §7.2).
                lines.setdefault(_line(item, index, tz), None)
    po_number = _text(fields.get("ponumber"))
    if po_number is None:
        raise MalformedResponse("OrderStatusResponse/PONumber missing")
    raw_code = _text(fields.get("code")) or ""
    where = "OrderStatusResponse"
    return DistributorOrder(
        customer_number=_text(fields.get("customernumber")),
        po_number=po_number,
        code=StatusCode.parse(raw_code),
        raw_code=raw_code,
        reason=_text(fields.get("reason")),
        po_datetime=_timestamp(fields.get("podatetime"), where, "PODatetime", tz),
        response_datetime=_timestamp(fields.get("responsedatetime"), where, "ResponseDateTime", tz),
        version=root.get("version"),
        lines=tuple(lines),
    )
