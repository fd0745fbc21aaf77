"""Routes of the simulated TD SYNNEX XML service (PO Status), plus the `/_sim/` control API mount.

The invoice query service (`invoice_service.py`) and the Partner REST API (`partner_api.py`) are mounted
here too, on the same state, so all three channels tell the same story about an order.

The XML side answers like the real one: credentials in the body, every refusal inside HTTP 200, one
`<Item>` per (PO line x sales order). Request handling reads the body in any of the four encodings
clients use in the wild (td-synnex.md §1.1) and dispatches on the root's child element, not the path.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from orderbridge.core.domain import DistributorOrder, StatusCode
from orderbridge.core.errors import MalformedResponse
from orderbridge.simulators.tdsynnex.control import control_routes
from orderbridge.simulators.tdsynnex.errors import IncompleteXML, LoginFailed, NotSupported, SynnexError
from orderbridge.simulators.tdsynnex.faults import faulty_response, xml_response
from orderbridge.simulators.tdsynnex.invoice_service import invoice_routes
from orderbridge.simulators.tdsynnex.partner_api import partner_routes
from orderbridge.simulators.tdsynnex.render import render_status_response
from orderbridge.simulators.tdsynnex.state import TDSynnexState, with_unknown_code
from orderbridge.tdsynnex.xml import StatusRequest, parse_status_request
from orderbridge.tdsynnex.xmlfields import safe_fromstring

MAX_REQUEST_BYTES = 256 * 1024  # a status request is a few hundred bytes; anything huge is not one
_REQUIRED = (
    ("Credential", "UserID"),
    ("Credential", "Password"),
    ("OrderStatusRequest", "CustomerNumber"),
    ("OrderStatusRequest", "PONumber"),
)


def _xml_body(body: bytes, content_type: str) -> bytes:
    if len(body) > MAX_REQUEST_BYTES:
        raise IncompleteXML("request body too large")
    if content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        # One Magento module posts the document as form field `xmldata` (td-synnex.md §1.1).
        try:
            fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            raise IncompleteXML("form body is not UTF-8") from None
        values = fields.get("xmldata")
        if not values or not values[0].strip():
            raise IncompleteXML.missing(["xmldata"])
        return values[0].encode("utf-8")
    return body


def _diagnose(xml: bytes, problem: MalformedResponse) -> SynnexError:
    """Why a body is not a usable status request, worded as TD SYNNEX words it."""
    try:
        root = safe_fromstring(xml)
    except MalformedResponse:
        return IncompleteXML("(1)SynnexB2B: XML document is not well-formed")
    children = {child.tag: child for child in root}
    if "OrderRequest" in children and "OrderStatusRequest" not in children:
        return NotSupported("OrderRequest (PO submission) is not supported by simulator")
    missing: list[str] = []
    for parent, name in _REQUIRED:
        element = children.get(parent)
        found = element.find(name) if element is not None else None
        if found is None or not (found.text or "").strip():
            missing.append(f"{parent}/{name}")
    if "OrderStatusRequest" not in children:
        missing = ["OrderStatusRequest/CustomerNumber", "OrderStatusRequest/PONumber"]
    return IncompleteXML.missing(missing) if missing else IncompleteXML(f"(1){problem.message}")


def _read_request(xml: bytes) -> StatusRequest:
    try:
        return parse_status_request(xml)
    except MalformedResponse as problem:
        raise _diagnose(xml, problem) from None


def _answer(state: TDSynnexState, request: StatusRequest, *, unknown_code: bool) -> tuple[bytes, str]:
    account = state.authenticate(request.user_id, request.password)
    if account is None:
        failure = LoginFailed()
        return failure.render(), failure.outcome
    customer, po = request.customer_number.strip(), request.po_number.strip()
    # Another account's customer number is simply not found for this login: nothing leaks across accounts.
    order = state.order_view(customer, po) if customer == account.customer_number else None
    if order is None:
        order = DistributorOrder(customer, po, StatusCode.NOT_FOUND, "notFound", response_datetime=state.clock.now())
    elif unknown_code:
        order = with_unknown_code(order)
    body = render_status_response(order, version=account.version, always_fees=account.always_fees)
    return body, order.raw_code


def create_app(state: TDSynnexState) -> Starlette:
    async def po_status(request: Request) -> Response:
        content_type = request.headers.get("content-type", "")
        path = request.url.path
        try:
            status_request = _read_request(_xml_body(await request.body(), content_type))
        except SynnexError as refusal:
            state.record(path, content_type, None, None, refusal.outcome)
            return xml_response(refusal.render())
        customer, po = status_request.customer_number.strip(), status_request.po_number.strip()
        fault, delay = state.faults.draw(po, state.clock.now(), "status")
        await state.latency.before_answer(fault, delay)
        body, outcome = _answer(state, status_request, unknown_code=fault is not None and fault.kind == "unknown_code")
        # Recorded before the fault is applied: `timeout` and `reset` raise instead of answering.
        state.record(path, content_type, customer, po, f"fault:{fault.kind}" if fault else outcome)
        response = faulty_response(fault, body) if fault is not None else None
        return response or xml_response(body)

    routes = [
        Route("/SynnexXML/POStatus", po_status, methods=["POST"]),
        Route("/SynnexXML/PO", po_status, methods=["POST"]),
        *invoice_routes(state),
        # Before the /_sim mount: the Partner API adds a /_sim/partner/... control route of its own.
        *partner_routes(state),
        Mount("/_sim", routes=control_routes(state)),
    ]
    app = Starlette(routes=routes)
    app.state.tdsynnex = state
    return app
