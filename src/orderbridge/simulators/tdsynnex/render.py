"""DistributorOrder -> PO Status XML bytes, shaped per response version as the real service writes them.

Element order follows the spec examples (v2.2, v2.4) and the 2025 production capture (v2.7) in
td-synnex.md §1.3/§1.6. Built with ElementTree, never string formatting, so no value can inject markup.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # building only; every parse goes through defusedxml
import zlib
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from orderbridge.core.domain import DistributorLine, DistributorOrder, Package

PACIFIC = ZoneInfo("America/Los_Angeles")
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" ?>'  # as in the spec examples
_COMPACT_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>'
_FEES = ("Freight", "HandlingFee", "Tax", "RecyclingFee")
FEES_EVERYWHERE_FROM = Decimal("2.7")  # the 2025 production capture (td-synnex.md §1.6)


def _version_key(version: str) -> Decimal:
    # "2.40" and "2.4" are one version in the spec's own wording ("Version 2.40 or Greater").
    try:
        return Decimal(version)
    except InvalidOperation:
        return Decimal("2.2")


def timestamp(moment: datetime | None) -> str | None:
    """The service writes Pacific local time with no offset (td-synnex.md §7.12, UNCONFIRMED for XML)."""
    if moment is None:
        return None
    return moment.astimezone(PACIFIC).strftime("%Y-%m-%dT%H:%M:%S")


def number(value: Decimal | None) -> str | None:
    """Amounts as the service writes them: `795.0`, `27.75`, `0.0` (a Java double's shortest form)."""
    if value is None:
        return None
    normal = value.normalize()
    text = format(normal, "f")
    return text if "." in text else text + ".0"


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _child(parent: ET.Element, tag: str, text: object | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if text is not None:
        element.text = str(text)
    return element


def elapsed_text(po_number: str, elapsed_s: float | None) -> str:
    """`0.298s`; when no real figure is given, a stable one per PO (0.15-1.5 s, the observed range)."""
    if elapsed_s is None:
        elapsed_s = 0.15 + (zlib.crc32(po_number.encode("utf-8")) % 1350) / 1000
    text = f"{elapsed_s:.3f}".rstrip("0")
    return (text + "0" if text.endswith(".") else text) + "s"


def _package(parent: ET.Element, package: Package) -> None:
    element = _child(parent, "Package")
    _child(element, "TrackingNumber", package.tracking_number)
    _child(element, "Weight", number(package.weight))
    _child(element, "ShipItemQuantity", package.ship_item_quantity)
    for serial in package.serial_numbers:
        _child(element, "SerialNo", serial)


def _item(parent: ET.Element, line: DistributorLine, version: Decimal, always_fees: bool) -> None:
    item = ET.SubElement(parent, "Item", {"lineNumber": str(line.line_number)})
    for tag, value in (
        ("Code", line.raw_code or line.code.value),
        ("ShipDatetime", timestamp(line.ship_datetime)),
        ("OrderNumber", line.order_number),
        ("OrderType", line.order_type),
        ("OrderQuantity", line.order_quantity),
        ("UnitPrice", number(line.unit_price)),
        ("SKU", line.sku),
        ("MfgPN", line.mfg_pn),
        ("ProductName", line.product_name),
        ("ShipQuantity", line.ship_quantity),
    ):
        _child(item, tag, value)
    modern = version >= Decimal("2.7")
    # The v2.7 capture leaves ShipFrom* out of deleted items entirely; the v2.2 example keeps them.
    if not (modern and line.raw_code == "deleted"):
        _child(item, "ShipFromWarehouse", line.warehouse)
        _child(item, "ShipFromCity", line.ship_from_city)
        _child(item, "ShipFromState", line.ship_from_state)
        _child(item, "ShipFromZip", line.ship_from_zip)
    _child(item, "ShipMethod", line.ship_method)
    _child(item, "ShipMethodDescription", line.ship_method_description)
    if not modern:
        _child(item, "ETADate", _day(line.eta_date))
    # Fees appear once released/shipped (spec v2.42); the real v2.7 answer has them on every item, deleted QO
    # lines too (td-synnex.md §1.6), which `always_fees` serves and is the default from 2.7 on.
    if version >= Decimal("2.4") and (line.fees_present or always_fees):
        zero = "0.0" if modern else "0.00"
        for tag in _FEES:
            _child(item, tag, zero)
    if modern:
        _child(item, "EstimateDeliveryDate", _day(line.estimated_delivery_date))  # sic, as on the wire
        _child(item, "EstimatedShipDate", _day(line.estimated_ship_date))
        _child(item, "EstimatedShipDateCode")  # always empty in the capture; its vocabulary is unknown
    packages = _child(item, "Packages")
    for package in line.packages:
        _package(packages, package)


def _serialise(root: ET.Element, *, compact: bool) -> bytes:
    if compact:
        # The real v2.7 document is one line with no whitespace and explicit end tags (`<Reason></Reason>`).
        return _COMPACT_DECLARATION + ET.tostring(root, encoding="unicode", short_empty_elements=False).encode("utf-8")
    ET.indent(root, space="   ")
    return _DECLARATION + b"\n" + ET.tostring(root, encoding="unicode").encode("utf-8") + b"\n"


def render_status_response(
    order: DistributorOrder,
    *,
    version: str,
    elapsed_s: float | None = None,
    always_fees: bool | None = None,
) -> bytes:
    """The `<SynnexB2B><OrderStatusResponse>` document for `order`, as account `version` receives it.
    `always_fees=None`: fee elements on every item from version 2.7 on, as in the 2025 capture."""
    key = _version_key(version)
    if always_fees is None:
        always_fees = key >= FEES_EVERYWHERE_FROM
    root = ET.Element("SynnexB2B", {"version": version})
    response = _child(root, "OrderStatusResponse")
    _child(response, "CustomerNumber", order.customer_number)
    _child(response, "PONumber", order.po_number)
    _child(response, "Code", order.raw_code or order.code.value)
    _child(response, "Reason", order.reason)
    _child(response, "PODatetime", timestamp(order.po_datetime))
    _child(response, "ResponseDateTime", timestamp(order.response_datetime))
    items = _child(response, "Items")
    for line in order.lines:
        _item(items, line, key, always_fees)
    _child(response, "ResponseElapsedTime", elapsed_text(order.po_number, elapsed_s))
    return _serialise(root, compact=key >= Decimal("2.7"))


def render_error(message: str, detail: str, *, envelope: str = "OrderStatusResponse") -> bytes:
    """A business error inside HTTP 200: `<SynnexB2B><OrderStatusResponse><ErrorMessage>…`."""
    root = ET.Element("SynnexB2B")
    response = _child(root, envelope)
    _child(response, "ErrorMessage", message)
    _child(response, "ErrorDetail", detail)
    return _serialise(root, compact=False)


def render_biz_error(detail: str) -> bytes:
    """The newer `BizError/detail` carrier that VAR Connect checks; its exact placement is UNCONFIRMED."""
    root = ET.Element("SynnexB2B")
    response = _child(root, "OrderStatusResponse")
    biz = _child(response, "BizError")
    _child(biz, "detail", detail)
    return _serialise(root, compact=False)
