"""The simulated TD SYNNEX Partner REST API (td-synnex.md §3.1): OAuth2 token, orders, shipment details, invoices.

Built from the same scripts as the XML services, so a sales order looked up here tells the same story as
its PO does over PO Status. Tokens expire after 7200 s of SIMULATED time. The status words and the shape
details beyond the TypeScript interfaces of [S25] are UNCONFIRMED; COVERAGE.md lists each choice.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import replace
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from orderbridge.core.domain import DistributorLine, DistributorOrder, Invoice, StatusCode
from orderbridge.simulators.tdsynnex.faults import Fault, faulty_response
from orderbridge.simulators.tdsynnex.invoice_service import amount, invoices_for
from orderbridge.simulators.tdsynnex.render import number, timestamp
from orderbridge.simulators.tdsynnex.state import PARTNER_TOKEN_LIFETIME, PartnerCredential, TDSynnexState

TOKEN_PATH = "/oauth2/v1/token"  # noqa: S105 (a path); served for both the sso.* and api.* hosts
_STATUS_LETTERS = {"Open": "O", "Released": "R", "Backordered": "B", "Partially Shipped": "P", "Shipped": "S"}
_STATUS_LETTERS |= {"Invoiced": "I", "Cancelled": "X"}  # letters UNCONFIRMED beyond "O" [S21]


def error_json(status: int, code: str, message: str) -> JSONResponse:
    """The Partner API error envelope `{requestId, data:{errorCode, errorMessage}}` [S25]."""
    body = {"requestId": str(uuid.uuid4()), "data": {"errorCode": code, "errorMessage": message}}
    return JSONResponse(body, status_code=status)


def line_status(line: DistributorLine) -> str:
    if line.code is StatusCode.DELETED:
        return "Cancelled"
    if line.code is StatusCode.INVOICED:
        return "Invoiced"
    if line.code is StatusCode.SHIPPED:
        return "Shipped"
    if (line.order_type or "").upper() == "BO":
        return "Backordered"
    return "Released" if line.fees_present else "Open"


def order_status(lines: tuple[DistributorLine, ...]) -> str:
    live = [line_status(line) for line in lines if line.code is not StatusCode.DELETED]
    if not live:
        return "Cancelled"
    if all(s == "Invoiced" for s in live):
        return "Invoiced"
    if all(s in ("Shipped", "Invoiced") for s in live):
        return "Shipped"
    if any(s in ("Shipped", "Invoiced") for s in live):
        return "Partially Shipped"
    return "Released" if any(s == "Released" for s in live) else "Open"


def sales_order(state: TDSynnexState, customer: str, order_number: str) -> DistributorOrder | None:
    """The part of a PO that one sales order carries, as of now; None when no visible item has that number."""
    for po in state.po_numbers_for_sales_order(customer, order_number):
        view = state.order_view(customer, po)
        lines = tuple(line for line in view.lines if line.order_number == order_number) if view else ()
        if view is not None and lines:
            return replace(view, lines=lines)
    return None


def _sub_lines(line: DistributorLine) -> list[dict[str, Any]]:
    status = line_status(line)
    shipped = line.code in (StatusCode.SHIPPED, StatusCode.INVOICED)
    first = {
        "displayLineNumber": f"{line.line_number}.1",
        "techDataPONumber": None,
        "vendorSalesOrderNumber": None,
        "quantity": str(line.ship_quantity if shipped else line.order_quantity or 0),
        # Offset-less Pacific time, as the XML writes it; the real format is UNCONFIRMED.
        "shipDate": timestamp(line.ship_datetime) if shipped else None,
        "warehouse": line.warehouse,
        "deliveryNumber": None,
        "lineStatus": status,
        "tracking": [
            {"trackingNumber": t, "carrierDescription": line.ship_method_description} for t in line.tracking_numbers
        ],
    }
    rest = (line.order_quantity or 0) - (line.ship_quantity or 0)
    if not shipped or rest <= 0:
        return [first]
    # A partial shipment: the units still waiting sit on a second subLine (UNCONFIRMED split).
    waiting = {**first, "displayLineNumber": f"{line.line_number}.2", "quantity": str(rest), "shipDate": None}
    return [first, {**waiting, "lineStatus": "Open", "tracking": []}]


def shipment_json(order: DistributorOrder, order_number: str) -> dict[str, Any]:
    status = order_status(order.lines)
    lines = []
    for line in order.lines:
        subs = _sub_lines(line)
        lines.append(
            {
                "displayLineNumber": str(line.line_number),
                "lineNumber": str(line.line_number),
                "partNumber": line.sku,
                "manufacturerPartNumber": line.mfg_pn,
                "configStatus": None,
                "totalQuantity": str(line.order_quantity or 0),
                "hasMultipleTrackingNumbers": len(line.tracking_numbers) > 1,
                "hasMultipleCarrier": False,
                "lineStatusCode": None,
                "lineStatus": line_status(line),
                "uniqueID": None,
                "subLines": subs,
            }
        )
    return {
        "orderNumber": order_number,
        "purchaseOrder": order.po_number,
        "orderStatus": status,
        "orderStatusCode": _STATUS_LETTERS.get(status),
        "uniqueID": None,
        "errorMessage": None,
        "lines": lines,
    }


def order_json(order: DistributorOrder, order_number: str) -> dict[str, Any]:
    status = order_status(order.lines)
    live = [line for line in order.lines if line.code is not StatusCode.DELETED]
    total = sum(((line.unit_price or Decimal(0)) * (line.order_quantity or 0) for line in live), Decimal(0))
    return {
        "orderNumber": order_number,
        "salesOrderNumber": order_number,
        "purchaseOrderNumber": order.po_number,
        "customerNumber": order.customer_number,
        "invoiceNumber": None,
        "orderStatus": status,
        "orderStatusCode": _STATUS_LETTERS.get(status),
        "orderPlacedDate": timestamp(order.po_datetime),
        "total": amount(total),
        "tax": "0.00",
        "freight": "0.00",
        "otherFees": "0.00",
        "lines": [
            {
                "lineNumber": str(line.line_number),
                "partNumber": line.sku,
                "manufacturerPartNumber": line.mfg_pn,
                "description": line.product_name,
                "quantity": str(line.order_quantity or 0),
                "unitPrice": number(line.unit_price),
                "lineStatus": line_status(line),
            }
            for line in order.lines
        ],
        "uniqueID": None,
        "errorMessage": None,
    }


def invoice_json(invoice: Invoice, customer: str) -> dict[str, Any]:
    return {
        "invoiceNumber": invoice.invoice_number,
        "invoiceDate": invoice.invoice_date.isoformat() if invoice.invoice_date else None,
        "salesOrderNumber": invoice.order_number,
        "purchaseOrderNumber": invoice.po_number,
        "customerNumber": customer,
        "status": "Open",
        "currency": "USD",
        "shipDate": invoice.ship_date.isoformat() if invoice.ship_date else None,
        "totalInvoiceAmount": amount(invoice.total),
        "taxInDocumentCurrency": amount(invoice.sales_tax),
        "actualFreight": amount(invoice.freight),
        "vendorShipTracking": {"trackingNumbers": list(invoice.tracking_numbers)},  # inner shape UNCONFIRMED
        "lines": [
            {
                "lineNumber": str(line.line_number) if line.line_number is not None else None,
                "partNumber": line.sku,
                "manufacturerPartNumber": line.mfg_pn,
                "description": line.description,
                "quantity": str(line.ship_quantity or 0),
                "unitPrice": number(line.unit_price),
                "serialNumbers": list(line.serial_numbers),
            }
            for line in invoice.lines
        ],
    }


def _client_credentials(request: Request, form: dict[str, list[str]]) -> tuple[str, str]:
    """client_secret_post (the form, as every public client does), or client_secret_basic."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            client_id, _, secret = base64.b64decode(header[6:], validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return "", ""
        return client_id, secret
    return form.get("client_id", [""])[0], form.get("client_secret", [""])[0]


def partner_routes(state: TDSynnexState) -> list[Route]:
    def record(request: Request, po_number: str | None, outcome: str, customer: str | None = None) -> None:
        state.record(request.url.path, request.headers.get("content-type", ""), customer, po_number, outcome)

    async def token(request: Request) -> Response:
        try:
            form = parse_qs((await request.body()).decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            form = {}
        if form.get("grant_type", [""])[0] != "client_credentials":
            record(request, None, "tokenRefused")
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        credential = state.authenticate_partner(*_client_credentials(request, form))
        if credential is None:
            record(request, None, "tokenRefused")
            return JSONResponse(
                {"error": "invalid_client", "error_description": "Client authentication failed"}, status_code=401
            )
        issued = state.partner_tokens.issue(credential)
        record(request, None, "token", credential.customer_number)
        lifetime = int(PARTNER_TOKEN_LIFETIME.total_seconds())
        return JSONResponse({"access_token": issued, "token_type": "Bearer", "expires_in": lifetime})

    def bearer(request: Request) -> PartnerCredential | None:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        return state.partner_tokens.check(value.strip()) if scheme.lower() == "bearer" and value.strip() else None

    async def faulted(fault: Fault | None, delay: float, normal: bytes) -> Response | None:
        await state.latency.before_answer(fault, delay)
        if fault is None:
            return None
        if fault.kind in ("error_detail", "biz_error"):
            return error_json(200, fault.message or "500", fault.detail or "Internal API Fault")
        if fault.kind == "malformed":
            return Response(normal[: max(1, len(normal) * 3 // 5)], media_type="application/json")
        if fault.kind == "answer":
            return Response((fault.body or "").encode("utf-8"), media_type="application/json")
        return faulty_response(fault, normal)

    def api(handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            credential = bearer(request)
            if credential is None:
                record(request, None, "unauthorized")
                return error_json(401, "401", "Unauthorized: missing, invalid or expired access token")
            found = handler(request, credential)
            if isinstance(found, Response):
                return found
            po_number, body, outcome = found
            payload = json.dumps(body).encode("utf-8")
            fault, delay = state.faults.draw(po_number, state.clock.now(), "partner")
            record(request, po_number, f"fault:{fault.kind}" if fault else outcome, credential.customer_number)
            return await faulted(fault, delay, payload) or Response(payload, media_type="application/json")

        return endpoint

    def orders(request: Request, credential: PartnerCredential) -> Any:
        wanted = request.path_params["order_no"]
        order_type = request.path_params.get("order_type", "SO").upper()
        customer = credential.customer_number
        if order_type == "PO":
            # orderType PO: the number is a reseller PO; one object per sales order behind it (UNCONFIRMED).
            view = state.order_view(customer, wanted)
            numbers = view.order_numbers if view else ()
            pairs = [(n, o) for n in numbers if (o := sales_order(state, customer, n)) is not None]
        elif order_type == "SO":
            order = sales_order(state, customer, wanted)
            pairs = [(wanted, order)] if order is not None else []
        else:
            return error_json(400, "400", f"orderType {order_type[:10]!r} is not SO or PO")
        if not pairs:
            record(request, None, "notFound", customer)
            return error_json(404, "404", f"Order {wanted[:30]} not found")
        return pairs[0][1].po_number, [order_json(order, number) for number, order in pairs], "order"

    def shipment(request: Request, credential: PartnerCredential) -> Any:
        wanted = request.path_params["order_no"]
        order = sales_order(state, credential.customer_number, wanted)
        if order is None:
            # This endpoint reports a miss inside HTTP 200 ("check errorMessage even with 200", [S21]).
            body = {"orderNumber": wanted, "purchaseOrder": None, "orderStatus": None, "lines": []}
            return None, {**body, "errorMessage": "Order not found"}, "notFound"
        return order.po_number, shipment_json(order, wanted), "shipment"

    def invoices(request: Request, credential: PartnerCredential) -> Any:
        wanted, kind = request.path_params["invoice_no"], request.path_params["invoice_type"].upper()
        if kind != "IV":
            return error_json(400, "400", f"invoiceType {kind[:10]!r} is not supported by the simulator (IV only)")
        customer = credential.customer_number
        for po in state.po_numbers(customer):
            for invoice in invoices_for(state, customer, po_number=po):
                if invoice.invoice_number == wanted:
                    return po, [invoice_json(invoice, customer)], "invoice"
        record(request, None, "notFound", customer)
        return error_json(404, "404", f"Invoice {wanted[:30]} not found")

    async def revoke(request: Request) -> Response:
        return JSONResponse({"revoked": state.partner_tokens.revoke_all()})

    return [
        Route(TOKEN_PATH, token, methods=["POST"]),
        Route("/api/v1/orders/orderNo/{order_no}", api(orders), methods=["GET"]),
        Route("/api/v1/orders/orderNo/{order_no}/orderType/{order_type}", api(orders), methods=["GET"]),
        Route("/api/v1/orders/shipment/details/orderNo/{order_no}", api(shipment), methods=["GET"]),
        Route("/api/v1/invoices/invoiceNo/{invoice_no}/invoiceType/{invoice_type}", api(invoices), methods=["GET"]),
        Route("/_sim/partner/tokens", revoke, methods=["DELETE"]),
    ]
