"""The TD SYNNEX XML PO Status codec: the request builder and the response reader.

Pure functions over bytes, no I/O. Parsing and field reading are `xmlfields.py`'s, shared with the
invoice codec.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # building only; parsing goes through defusedxml below
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from orderbridge.core.domain import DistributorLine, DistributorOrder, Package, StatusCode
from orderbridge.core.errors import AuthSuspected, DistributorError, MalformedResponse
from orderbridge.core.redaction import redact
from orderbridge.tdsynnex.xmlfields import (
    AUTH_WORDS,
    DECLARATION,
    XML_UNSAFE,
    children,
    date_of,
    decimal_of,
    excerpt,
    int_of,
    local_name,
    safe_fromstring,
    text_of,
    timestamp_of,
)

# Business errors arrive inside HTTP 200 (td-synnex.md §2.1, §7.8). A C-speed scan of the raw bytes keeps
# the common, error-free response from paying for a walk over the whole tree.
_ERROR_HINT = re.compile(rb"<\s*(?:[A-Za-z_][\w.-]*:)?(?:bizerror|errormessage|errordetail)[\s/>]", re.IGNORECASE)
_FEE_TAGS = frozenset({"freight", "handlingfee", "tax", "recyclingfee"})


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
        if XML_UNSAFE.search(value):
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
    body: bytes = DECLARATION + ET.tostring(root, encoding="UTF-8", xml_declaration=False)
    # XML parsers turn a bare CR into LF; a character reference keeps it. Unindented output has CRs only in text.
    return body.replace(b"\r", b"&#13;")


def parse_status_request(body: bytes) -> StatusRequest:
    """Read an OrderStatusRequest (the simulator's side). Missing parts are named, like TD SYNNEX's IncompleteXML."""
    root = safe_fromstring(body)
    if local_name(root.tag) != "synnexb2b":
        raise MalformedResponse(f"root element <{str(root.tag)[:40]}>, expected <SynnexB2B>")
    top = children(root)
    credential = children(top["credential"]) if "credential" in top else {}
    query = children(top["orderstatusrequest"]) if "orderstatusrequest" in top else None
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


def _line_number(item: ET.Element, index: int) -> int:
    raw = item.get("lineNumber")
    if raw is None:
        raw = next((v for k, v in item.attrib.items() if local_name(k) == "linenumber"), None)
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
        name = local_name(child.tag)
        if name == "serialno":
            serial = text_of(child)
            if serial is not None:
                serials.append(serial)
        else:
            fields.setdefault(name, child)
    return Package(
        tracking_number=text_of(fields.get("trackingnumber")),
        weight=decimal_of(fields.get("weight"), where, "Weight"),
        ship_item_quantity=int_of(fields.get("shipitemquantity"), where, "ShipItemQuantity"),
        serial_numbers=tuple(serials),
    )


def _line(item: ET.Element, index: int, tz: ZoneInfo) -> DistributorLine:
    number = _line_number(item, index)
    where = f"Item {index} (lineNumber {number})"
    f = children(item)
    cartons = [child for child in f["packages"] if local_name(child.tag) == "package"] if "packages" in f else []
    packages = [_package(carton, f"{where} Package {n}") for n, carton in enumerate(cartons, start=1)]
    delivery = f.get("estimatedeliverydate")  # the v2.7 spelling (td-synnex.md §1.3); VAR Connect reads both
    if delivery is None or text_of(delivery) is None:
        delivery = f.get("estimateddeliverydate", delivery)
    raw_code = text_of(f.get("code")) or ""
    return DistributorLine(
        line_number=number,
        code=StatusCode.parse(raw_code),
        raw_code=raw_code,
        order_number=text_of(f.get("ordernumber")),
        order_type=text_of(f.get("ordertype")),
        order_quantity=int_of(f.get("orderquantity"), where, "OrderQuantity"),
        unit_price=decimal_of(f.get("unitprice"), where, "UnitPrice"),
        sku=text_of(f.get("sku")),
        mfg_pn=text_of(f.get("mfgpn")),
        product_name=text_of(f.get("productname")),
        ship_quantity=int_of(f.get("shipquantity"), where, "ShipQuantity"),
        ship_datetime=timestamp_of(f.get("shipdatetime"), where, "ShipDatetime", tz),
        warehouse=text_of(f.get("shipfromwarehouse")),
        ship_from_city=text_of(f.get("shipfromcity")),
        ship_from_state=text_of(f.get("shipfromstate")),
        ship_from_zip=text_of(f.get("shipfromzip")),
        ship_method=text_of(f.get("shipmethod")),
        ship_method_description=text_of(f.get("shipmethoddescription")),
        eta_date=date_of(f.get("etadate"), where, "ETADate"),
        estimated_ship_date=date_of(f.get("estimatedshipdate"), where, "EstimatedShipDate"),
        estimated_delivery_date=date_of(delivery, where, "EstimateDeliveryDate"),
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
        name = local_name(element.tag)
        if name == "bizerror" and not biz_error_read:  # a nested bizError is inside the text already read
            seen = biz_error_read = True
            for piece in element.itertext():
                if piece.strip():
                    parts.setdefault(" ".join(piece.split()), None)
        elif name in ("errormessage", "errordetail"):
            seen = True
            text = text_of(element)
            if text:
                parts.setdefault(" ".join(text.split()), None)
    # Redact before cutting: a cut through an echoed secret would defeat the verbatim match in `redact`.
    return redact(": ".join(parts))[:300], seen


def _raise_for_error(text: str) -> None:
    # Login words in one answer do not prove the password wrong (the text may be about this PO); the engine's
    # credentials judge decides for the service from every PO's answer and a probe (sync/credentials.py).
    if AUTH_WORDS.search(text):
        raise AuthSuspected(f"TD SYNNEX answered with a login error: {text}", service="tdsynnex")
    raise DistributorError(f"TD SYNNEX returned an error: {text}")


def parse_status_response(body: bytes, *, tz: ZoneInfo) -> DistributorOrder:
    """Read an OrderStatusResponse into a DistributorOrder, else MalformedResponse/DistributorError/AuthSuspected."""
    root = safe_fromstring(body)
    error_seen = False
    if (b"rror" in body or b"RROR" in body) and _ERROR_HINT.search(body):  # memchr-fast pre-check
        text, error_seen = _embedded_error(root)
        if text:
            _raise_for_error(text)
    tag = local_name(root.tag)
    if tag == "html":
        raise MalformedResponse(f"received an HTML page, not XML: {excerpt(body)}")
    if tag != "synnexb2b":
        raise MalformedResponse(f"received root element <{str(root.tag)[:40]}>, expected <SynnexB2B>")
    response = next((child for child in root if local_name(child.tag) == "orderstatusresponse"), None)
    if response is None:
        if error_seen:
            raise DistributorError("TD SYNNEX returned an error element with no message and no OrderStatusResponse")
        names = ", ".join(f"<{local_name(child.tag)}>" for child in list(root)[:5]) or "nothing"
        raise MalformedResponse(f"<SynnexB2B> has no <OrderStatusResponse> (it holds {names})")
    fields: dict[str, ET.Element] = {}
    lines: dict[DistributorLine, None] = {}
    index = 0
    for child in response:
        name = local_name(child.tag)
        if name != "items":
            fields.setdefault(name, child)
            continue
        for item in child:
            if local_name(item.tag) == "item":
                index += 1
                # VAR Connect de-duplicates fully identical <Item>s returned twice (td-synnex.md §7.2).
                lines.setdefault(_line(item, index, tz), None)
    po_number = text_of(fields.get("ponumber"))
    if po_number is None:
        raise MalformedResponse("OrderStatusResponse/PONumber missing")
    raw_code = text_of(fields.get("code")) or ""
    where = "OrderStatusResponse"
    return DistributorOrder(
        customer_number=text_of(fields.get("customernumber")),
        po_number=po_number,
        code=StatusCode.parse(raw_code),
        raw_code=raw_code,
        reason=text_of(fields.get("reason")),
        po_datetime=timestamp_of(fields.get("podatetime"), where, "PODatetime", tz),
        response_datetime=timestamp_of(fields.get("responsedatetime"), where, "ResponseDateTime", tz),
        version=root.get("version"),
        lines=tuple(lines),
    )
