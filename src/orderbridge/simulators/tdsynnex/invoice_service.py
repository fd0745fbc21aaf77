"""The simulated TD SYNNEX invoice query service (`POST /webservice/invoice/query`, td-synnex.md §2.3).

Invoices are derived from the same order scripts as PO Status: every `invoice` event bills its sales
order, and the lines one sales order has billed on one (Pacific) day form one invoice, the way a nightly
invoice run would. Several sales orders give several invoices per PO. Errors come inside HTTP 200.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET  # building only; every parse goes through defusedxml
from datetime import date, datetime
from decimal import Decimal

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from orderbridge.core.domain import DistributorLine, Invoice, InvoiceLine
from orderbridge.core.errors import MalformedResponse
from orderbridge.simulators.tdsynnex.faults import faulty_response, xml_response
from orderbridge.simulators.tdsynnex.render import PACIFIC, number
from orderbridge.simulators.tdsynnex.state import TDSynnexState
from orderbridge.simulators.tdsynnex.timeline import invoiced_items
from orderbridge.tdsynnex.invoice_xml import InvoiceQuery, parse_invoice_request

PATH = "/webservice/invoice/query"
MAX_REQUEST_BYTES = 64 * 1024
_ZERO = Decimal("0.00")
_SUMMARY_ZEROS = ("Shipping", "MinOrderFee", "ProcessingFee", "RecyclingFee", "BoxCharge", "ExpenseTotal")


def invoice_number(customer_number: str, po_number: str, order_number: str, day: date) -> str:
    """Stable 9 digits per (account, PO, sales order, invoice day): the same invoice on every query."""
    seed = f"{customer_number}|{po_number}|{order_number}|{day.isoformat()}".encode()
    return str(100_000_000 + int.from_bytes(hashlib.blake2b(seed, digest_size=8).digest(), "big") % 900_000_000)


def _invoice(customer: str, po_number: str, order_number: str, day: date, items: list[DistributorLine]) -> Invoice:
    lines = tuple(
        InvoiceLine(
            sku=item.sku,
            mfg_pn=item.mfg_pn,
            description=item.product_name,
            unit_price=item.unit_price,
            ship_quantity=item.ship_quantity,
            serial_numbers=item.serial_numbers,
            line_number=item.line_number,
        )
        for item in items
    )
    goods = sum(((item.unit_price or _ZERO) * (item.ship_quantity or 0) for item in items), _ZERO)
    ship_days = [item.ship_datetime.astimezone(PACIFIC).date() for item in items if item.ship_datetime]
    tracking = dict.fromkeys(t for item in items for t in item.tracking_numbers)
    tax = freight = _ZERO  # the simulator bills no tax or freight; the total still adds them
    return Invoice(
        invoice_number=invoice_number(customer, po_number, order_number, day),
        invoice_date=day,
        order_number=order_number,
        total=(goods + tax + freight).quantize(Decimal("0.01")),
        tracking_numbers=tuple(tracking),
        po_number=po_number,
        ship_date=max(ship_days) if ship_days else None,
        sales_tax=tax,
        freight=freight,
        lines=lines,
    )


def invoices_for(
    state: TDSynnexState,
    customer_number: str,
    *,
    po_number: str | None = None,
    order_number: str | None = None,
    now: datetime | None = None,
) -> list[Invoice]:
    """The invoices the service reports now for a PO, a sales order, or both (ordered by date, then order)."""
    moment = now or state.clock.now()
    if po_number is not None:
        po_numbers = [po_number]
    elif order_number is not None:
        po_numbers = state.po_numbers_for_sales_order(customer_number, order_number)
    else:
        po_numbers = []
    invoices: list[Invoice] = []
    for po in po_numbers:
        groups: dict[tuple[date, str], list[DistributorLine]] = {}
        for script in state.scripts(customer_number, po):
            for at, item in invoiced_items(script, moment):
                so = item.order_number or ""
                if order_number is None or so == order_number:
                    groups.setdefault((at.astimezone(PACIFIC).date(), so), []).append(item)
        invoices += [_invoice(customer_number, po, so, day, items) for (day, so), items in sorted(groups.items())]
    return invoices


def _child(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = text
    return element


def amount(value: Decimal | None) -> str | None:
    """Two decimals with thousands commas (`1,234.56`), which the SDK parser strips (td-synnex.md §2.3)."""
    return None if value is None else f"{value:,.2f}"


def render_invoices(
    po_number: str | None, invoices: list[Invoice], *, version: str = "1.0", order_numbers: bool = False
) -> bytes:
    """`<SynnexB2B><InvoiceResponse>`; no invoices is an empty response (our choice; UNCONFIRMED)."""
    root = ET.Element("SynnexB2B", {"version": version})
    response = _child(root, "InvoiceResponse")
    _child(response, "CustomerPONumber", po_number or (invoices[0].po_number if invoices else None))
    for invoice in invoices:
        element = _child(response, "Invoice")
        _child(element, "CustomerPONumber", invoice.po_number)
        if order_numbers:
            _child(element, "OrderNumber", invoice.order_number)
        _child(element, "InvoiceNumber", invoice.invoice_number)
        _child(element, "InvoiceDate", invoice.invoice_date.isoformat() if invoice.invoice_date else None)
        _child(element, "ShipDate", invoice.ship_date.isoformat() if invoice.ship_date else None)
        tracking = _child(element, "Tracking")
        _child(tracking, "TrackNumber", ",".join(invoice.tracking_numbers))
        items = _child(element, "Items")
        for line in invoice.lines:
            item = _child(items, "Item")
            _child(item, "ManuafacturerPartNumber", line.mfg_pn)  # sic, as the service spells it [S10]
            _child(item, "SKU", line.sku)
            _child(item, "UnitPrice", number(line.unit_price))
            _child(item, "ShipQuantity", str(line.ship_quantity) if line.ship_quantity is not None else None)
            _child(item, "ProductDescription", line.description)
            for serial in line.serial_numbers:
                _child(item, "SerialNo", f"SN:{serial}")  # the "SN:" prefix consumers strip [S10]
        summary = _child(element, "Summary")
        _child(summary, "TotalInvoiceAmount", amount(invoice.total))
        _child(summary, "SalesTax", amount(invoice.sales_tax))
        _child(summary, "Freight", amount(invoice.freight))
        for tag in _SUMMARY_ZEROS:
            _child(summary, tag, "0.00")
    ET.indent(root, space="  ")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode").encode("utf-8")


def render_invoice_error(code: str, reason: str) -> bytes:
    """`InvoiceResponse/ErrorCode` + `ErrorReason`, the SDK's names (td-synnex.md §2.3; UNCONFIRMED)."""
    root = ET.Element("SynnexB2B", {"version": "1.0"})
    response = _child(root, "InvoiceResponse")
    _child(response, "ErrorCode", code)
    _child(response, "ErrorReason", reason)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode").encode("utf-8")


def _read(body: bytes) -> InvoiceQuery | bytes:
    if len(body) > MAX_REQUEST_BYTES:
        return render_invoice_error("Client.IncompleteXML", "request body too large")
    try:
        return parse_invoice_request(body)
    except MalformedResponse as problem:
        return render_invoice_error("Client.IncompleteXML", f"(1){problem.message}")


def invoice_routes(state: TDSynnexState) -> list[Route]:
    async def query(request: Request) -> Response:
        content_type = request.headers.get("content-type", "")
        read = _read(await request.body())
        if isinstance(read, bytes):
            state.record(PATH, content_type, None, None, "incompleteXML")
            return xml_response(read)
        subject = read.po_number or read.order_number
        fault, delay = state.faults.draw(subject, state.clock.now(), "invoice")
        await state.latency.before_answer(fault, delay)
        account = state.authenticate(read.user_id, read.password)
        if account is None:
            body, outcome = render_invoice_error("Login failed", "Invalid UserID or Password"), "loginFailed"
        else:
            # Another account's customer number finds nothing for this login: nothing leaks across accounts.
            customer = read.customer_number.strip()
            found = (
                invoices_for(state, customer, po_number=read.po_number, order_number=read.order_number)
                if customer == account.customer_number
                else []
            )
            body = render_invoices(
                read.po_number, found, version=read.version or "1.0", order_numbers=account.invoice_order_numbers
            )
            outcome = f"invoices:{len(found)}" if found else "noInvoice"
        # Recorded before the fault is applied: `timeout` and `reset` raise instead of answering.
        state.record(PATH, content_type, read.customer_number, subject, f"fault:{fault.kind}" if fault else outcome)
        response = faulty_response(fault, body) if fault is not None else None
        return response or xml_response(body)

    return [Route(PATH, query, methods=["POST"])]
