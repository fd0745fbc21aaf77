"""The TD SYNNEX invoice query codec: the `<InvoiceRequest>` builder and the `<InvoiceResponse>` reader.

Pure functions over bytes, like `xml.py`, whose one safe parser and tolerant element readers it shares;
kept apart because the invoice service is a different document family with its own error envelope.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # building only; parsing goes through safe_fromstring
from dataclasses import dataclass, field

from orderbridge.core.domain import Invoice, InvoiceLine
from orderbridge.core.errors import AuthSuspected, DistributorError, MalformedResponse
from orderbridge.core.redaction import redact
from orderbridge.tdsynnex.xmlfields import (
    AUTH_WORDS,
    DECLARATION,
    XML_UNSAFE,
    children,
    date_of,
    decimal_of,
    int_of,
    local_name,
    safe_fromstring,
    text_of,
)

# "No invoice yet" wording is UNCONFIRMED: no public capture of it exists. An empty <InvoiceResponse> is what
# our simulator sends; an ErrorCode whose reason reads like one of these is treated the same, as "none yet".
_NOT_FOUND_WORDS = re.compile(
    r"not\s*found|no\s+invoices?\b|no\s+(?:records?|data|results?)\b|does\s+not\s+exist", re.IGNORECASE
)
# Some services send a success marker in ErrorCode; such a code with no reason is not an error (UNCONFIRMED).
_SUCCESS_CODES = frozenset({"", "0", "00", "000", "ok", "success", "succeed"})
_ERROR_CODE_TAGS = frozenset({"errorcode", "errormessage"})
_ERROR_REASON_TAGS = frozenset({"errorreason", "errordetail"})
_SERIAL_PREFIX = re.compile(r"^\s*S/?N\s*[:#]\s*", re.IGNORECASE)


@dataclass(frozen=True)
class InvoiceQuery:
    """An InvoiceRequest as read by the simulator; the password stays out of repr and logs."""

    user_id: str
    password: str = field(repr=False)
    customer_number: str
    po_number: str | None
    order_number: str | None
    version: str | None


def build_invoice_request(
    *,
    user_id: str,
    password: str,
    customer_number: str,
    po_number: str | None = None,
    order_number: str | None = None,
    version: str = "1.0",
) -> bytes:
    """The InvoiceRequest document (td-synnex.md §2.3): by PO number, sales-order number, or both."""
    po_number = po_number.strip() if po_number else None
    order_number = order_number.strip() if order_number else None
    if not po_number and not order_number:
        raise ValueError("po_number or order_number is needed")
    values = {"user_id": user_id, "password": password, "customer_number": customer_number}
    values |= {"po_number": po_number or "", "order_number": order_number or ""}
    for name, value in values.items():
        if XML_UNSAFE.search(value):
            raise ValueError(f"{name} contains a character XML 1.0 cannot carry")
    if not customer_number.strip():
        raise ValueError("customer_number is empty")
    root = ET.Element("SynnexB2B", version=version)
    credential = ET.SubElement(root, "Credential")
    ET.SubElement(credential, "UserID").text = user_id
    ET.SubElement(credential, "Password").text = password
    query = ET.SubElement(root, "InvoiceRequest")
    ET.SubElement(query, "CustomerNumber").text = customer_number
    if po_number:
        ET.SubElement(query, "PONumber").text = po_number
    if order_number:
        ET.SubElement(query, "OrderNumber").text = order_number
    body: bytes = DECLARATION + ET.tostring(root, encoding="UTF-8", xml_declaration=False)
    return body.replace(b"\r", b"&#13;")  # a bare CR would come back as LF; keep it as a reference


def parse_invoice_request(body: bytes) -> InvoiceQuery:
    """Read an InvoiceRequest (the simulator's side). Missing parts are named, never their values."""
    root = safe_fromstring(body)
    if local_name(root.tag) != "synnexb2b":
        raise MalformedResponse(f"root element <{str(root.tag)[:40]}>, expected <SynnexB2B>")
    top = children(root)
    if "invoicerequest" not in top:
        raise MalformedResponse("InvoiceRequest missing")
    credential = children(top["credential"]) if "credential" in top else {}
    query = children(top["invoicerequest"])
    for path, parent, name in (
        ("Credential/UserID", credential, "userid"),
        ("Credential/Password", credential, "password"),
        ("InvoiceRequest/CustomerNumber", query, "customernumber"),
    ):
        if name not in parent:
            raise MalformedResponse(f"{path} missing")
    customer = text_of(query["customernumber"])
    if customer is None:
        raise MalformedResponse("InvoiceRequest/CustomerNumber missing")
    po_number, order_number = text_of(query.get("ponumber")), text_of(query.get("ordernumber"))
    if po_number is None and order_number is None:
        raise MalformedResponse("InvoiceRequest/PONumber or InvoiceRequest/OrderNumber missing")
    return InvoiceQuery(
        user_id=credential["userid"].text or "",
        password=credential["password"].text or "",
        customer_number=customer,
        po_number=po_number,
        order_number=order_number,
        version=root.get("version"),
    )


def _embedded_error(root: ET.Element) -> tuple[str | None, str]:
    """(code, reason) of an error inside HTTP 200: `ErrorCode`/`ErrorReason` (the SDK's names, UNCONFIRMED),
    or the PO Status style `ErrorMessage`/`ErrorDetail` and `BizError`, accepted anywhere in the document."""
    code: str | None = None
    reasons: dict[str, None] = {}
    for element in root.iter():
        name = local_name(element.tag)
        if name in _ERROR_CODE_TAGS:
            code = code if code is not None else (text_of(element) or "")
        elif name in _ERROR_REASON_TAGS or name == "bizerror":
            for piece in element.itertext():
                if piece.strip():
                    reasons.setdefault(" ".join(piece.split()), None)
            if name == "bizerror" and code is None:
                code = "BizError"
    # Redact before cutting, so a cut through an echoed secret cannot defeat the verbatim match.
    return code, redact(": ".join(reasons))[:300]


def _raise_or_none(code: str | None, reason: str) -> bool:
    """Raise for a real error; True for 'no invoice yet'; False when there is no error at all."""
    if code is None and not reason:
        return False
    if not reason and (code or "").strip().lower() in _SUCCESS_CODES:
        return False
    text = redact(": ".join(part for part in (code, reason) if part))[:300]
    # Login words first: "UserID not found" is a credential problem, not an absent invoice.
    if AUTH_WORDS.search(text):
        raise AuthSuspected(
            f"TD SYNNEX invoice service answered with a login error: {text}", service="tdsynnex-invoice"
        )
    if _NOT_FOUND_WORDS.search(text):
        return True
    raise DistributorError(f"TD SYNNEX invoice service returned an error: {text}")


def _split_list(values: list[str]) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for value in values:
        for part in value.split(","):
            if part.strip():
                found.setdefault(part.strip(), None)
    return tuple(found)


def _tracking(element: ET.Element | None) -> tuple[str, ...]:
    """`Tracking/TrackNumber` holds a comma-separated list (td-synnex.md §7.14); several elements are tolerated."""
    if element is None:
        return ()
    values = [text_of(child) or "" for child in element if local_name(child.tag) in ("tracknumber", "trackingnumber")]
    own = text_of(element)
    return _split_list(([own] if own else []) + values)


def _serials(item: ET.Element) -> tuple[str, ...]:
    raw = [text_of(child) or "" for child in item if local_name(child.tag) in ("serialno", "serialnumber")]
    # Values may carry an "SN:" prefix [S10]; a comma list inside one element is tolerated (UNCONFIRMED).
    return tuple(s for s in (_SERIAL_PREFIX.sub("", part) for part in _split_list(raw)) if s)


def _line_number(raw: str | None, where: str) -> int | None:
    # An SDK-inferred field (UNCONFIRMED); read as a child element or an attribute, as PO Status writes it.
    if raw is None or not raw.strip():
        return None
    stripped = raw.strip()
    if not (stripped.isascii() and stripped.isdigit() and len(stripped) <= 9):
        raise MalformedResponse(f"{where}: LineNumber {redact(raw)[:20]!r} is not a number")
    return int(stripped)


def _item(item: ET.Element, where: str) -> InvoiceLine:
    f = children(item)
    # The service spells it ManuafacturerPartNumber (sic); newer consumers also read the right spelling [S10][S18].
    mfg = text_of(f.get("manuafacturerpartnumber")) or text_of(f.get("manufacturerpartnumber"))
    return InvoiceLine(
        sku=text_of(f.get("sku")),
        mfg_pn=mfg,
        description=text_of(f.get("productdescription")),
        unit_price=decimal_of(f.get("unitprice"), where, "UnitPrice"),
        ship_quantity=int_of(f.get("shipquantity"), where, "ShipQuantity"),
        serial_numbers=_serials(item),
        line_number=_line_number(text_of(f.get("linenumber")) or item.get("lineNumber"), where),
    )


def _invoice(element: ET.Element, index: int, response_po: str | None) -> Invoice:
    f = children(element)
    number = text_of(f.get("invoicenumber"))
    if number is None:
        raise MalformedResponse(f"Invoice {index}: InvoiceNumber missing")
    where = f"Invoice {number}"
    items = [child for child in f["items"] if local_name(child.tag) == "item"] if "items" in f else []
    summary = children(f["summary"]) if "summary" in f else {}
    # No confirmed source gives a sales-order number per invoice; OrderNumber/SalesOrderNumber is read when
    # present (UNCONFIRMED) and otherwise left None for the caller to match by tracking number or SKU.
    order_number = text_of(f.get("ordernumber")) or text_of(f.get("salesordernumber"))
    return Invoice(
        invoice_number=number,
        invoice_date=date_of(f.get("invoicedate"), where, "InvoiceDate"),
        order_number=order_number,
        total=decimal_of(summary.get("totalinvoiceamount"), where, "TotalInvoiceAmount"),
        tracking_numbers=_tracking(f.get("tracking")),
        po_number=text_of(f.get("customerponumber")) or response_po,
        ship_date=date_of(f.get("shipdate"), where, "ShipDate"),
        sales_tax=decimal_of(summary.get("salestax"), where, "SalesTax"),
        freight=decimal_of(summary.get("freight"), where, "Freight"),
        lines=tuple(_item(item, f"{where} Item {n}") for n, item in enumerate(items, start=1)),
    )


def parse_invoice_response(body: bytes) -> list[Invoice]:
    """Every invoice in an InvoiceResponse; [] when there is none yet. Raises only our error types."""
    root = safe_fromstring(body)
    if local_name(root.tag) != "synnexb2b":
        raise MalformedResponse(f"received root element <{str(root.tag)[:40]}>, expected <SynnexB2B>")
    response = next((child for child in root if local_name(child.tag) == "invoiceresponse"), None)
    if _raise_or_none(*_embedded_error(root)):
        return []
    # The SFTP invoice files put <Invoice> straight under <SynnexB2B> (td-synnex.md §2.4); read those too.
    container = response if response is not None else root
    invoices = [child for child in container if local_name(child.tag) == "invoice"]
    if response is None and not invoices:
        names = ", ".join(f"<{local_name(child.tag)}>" for child in list(root)[:5]) or "nothing"
        raise MalformedResponse(f"<SynnexB2B> has no <InvoiceResponse> (it holds {names})")
    response_po = text_of(children(response).get("customerponumber")) if response is not None else None
    found: dict[Invoice, None] = {}
    for index, element in enumerate(invoices, start=1):
        # Fully identical copies collapse, as VAR Connect does for repeated PO Status <Item>s (td-synnex.md §7.2).
        found.setdefault(_invoice(element, index, response_po), None)
    return list(found)
