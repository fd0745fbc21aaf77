"""The simulated ConnectWise PSA as a Starlette app: HTTP edge, auth, faults, headers and the request log.

Order of checks per call: injected fault, rate limit, company info (no auth), Basic auth, clientId, route.
Every answer carries `x-cw-request-id` and `api-current-version`, as the live API's do (reference §1.4).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
import uuid
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from . import callbacks, control, resources
from .errors import ConnectWiseError, RouteNotFound, TooManyRequests, Unauthorized
from .faults import Fault
from .recorder import RecordedRequest
from .state import ConnectWiseState

_API_PATH = re.compile(r"^/+(?P<codebase>[^/]+)/+apis/3\.0(?P<rest>/.*)?$", re.IGNORECASE)
_COMPANY_INFO = re.compile(r"^/+login/companyinfo/(?P<company>[^/]+)/?$", re.IGNORECASE)
_CALLBACK_KEY = re.compile(r"^/+[^/]+/+system/callbackkey/index\.rails$", re.IGNORECASE)
_LOGGED_HEADERS = ("clientid", "accept", "pagination-type", "content-type")
_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def _check_auth(state: ConnectWiseState, request: Request) -> None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic" or not token.strip():
        raise Unauthorized("Authorization is required: HTTP Basic with username 'companyId+publicKey'.")
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthorized("The Authorization header is not valid Basic credentials.") from None
    user, _, password = decoded.partition(":")
    company, plus, public_key = user.partition("+")
    # The supplied values are secrets and never appear in the answer or the log.
    valid = (
        bool(plus)
        and company.lower() == state.company.lower()
        and hmac.compare_digest(public_key.encode(), state.public_key.encode())
        and hmac.compare_digest(password.encode(), state.private_key.encode())
    )
    if not valid:
        raise Unauthorized("The credentials you provided are not valid for this company.")


def _check_client_id(state: ConnectWiseState, request: Request) -> None:
    if not state.require_client_id:
        return
    query_id = next((v for k, v in request.query_params.multi_items() if k.lower() == "clientid"), "")
    if not (request.headers.get("clientid", "").strip() or query_id.strip()):
        # The DG requires a clientId on every call but documents no error for its absence; 401 is our
        # UNCONFIRMED choice (enforcement reports describe calls being refused, not the status).
        raise Unauthorized(
            "A clientId is required on every request (header 'clientId'); see developer.connectwise.com/ClientID."
        )


def _company_info(state: ConnectWiseState, request: Request, company: str) -> Any:
    if company.lower() != state.company.lower():
        return None  # unknown company: the live API answers a bare `null` (DJCW)
    return {
        "CompanyName": state.company,
        "Codebase": state.codebase,
        "VersionCode": f"v{state.api_version}",
        "VersionNumber": "v4.6.0",
        "CompanyID": state.company,
        "IsCloud": False,
        "SiteUrl": request.url.netloc,
    }


def _headers(state: ConnectWiseState, request_id: str, extra: dict[str, str]) -> dict[str, str]:
    return {
        "x-cw-request-id": request_id,
        "api-current-version": state.api_version,
        "x-server-name": "cw-simulator",
        "Cache-Control": "no-cache",
        "Pragma": "no-cache",
        **extra,
    }


def _logged_body(method: str, body: bytes) -> Any:
    if method not in ("POST", "PUT", "PATCH") or not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", errors="replace")[:2000]


def _answer(state: ConnectWiseState, request: Request, body: bytes) -> resources.Reply:
    path = request.url.path
    if (retry_after := state.rate_limit.check(state.clock.now())) is not None:
        raise TooManyRequests(retry_after)
    if _CALLBACK_KEY.match(path):
        return callbacks.key_page(state, request.query_params.get("id", ""))
    info = _COMPANY_INFO.match(path)
    if info is not None:
        return resources.Reply(200, _company_info(state, request, info["company"]))
    api = _API_PATH.match(path)
    if api is None:
        raise RouteNotFound()
    _check_auth(state, request)
    _check_client_id(state, request)
    call = resources.Call(
        state=state,
        method=request.method,
        params={key.lower(): value for key, value in request.query_params.items()},
        items=list(request.query_params.multi_items()),
        url_base=f"{request.url.scheme}://{request.url.netloc}{path}",
        body=body,
        forward_only=request.headers.get("pagination-type", "").strip().lower() == "forward-only",
    )
    return resources.dispatch(call, api["rest"] or "/")


def create_app(state: ConnectWiseState) -> Starlette:
    async def endpoint(request: Request) -> Response:
        body = await request.body()
        request_id = str(uuid.uuid4())
        method, path = request.method, request.url.path
        api = _API_PATH.match(path)
        with state.lock:
            fault, delay = state.faults.draw(method, path, state.clock.now())
        if delay > 0:
            await state.faults.sleep(delay)
        with state.lock:
            instead = fault is not None and fault.answers_instead
            reply, raw = (
                (_fault_reply(fault), None) if fault is not None and instead else _safe_answer(state, request, body)
            )
            if raw is None:
                raw = b"" if reply.status == 204 else json.dumps(reply.body).encode()
            if fault is not None and fault.kind == "malformed":
                raw = (fault.raw_body or "<html><body>Bad gateway</body></html>").encode()
            state.request_log.append(
                RecordedRequest(
                    method=method,
                    path=path,
                    resource=(api["rest"] or "/").lower() if api else path.lower(),
                    query=dict(request.query_params.items()),
                    status=reply.status,
                    time=state.clock.now(),
                    body=_logged_body(method, body),
                    request_id=request_id,
                    fault=fault is not None and instead,
                    headers={k: v for k, v in request.headers.items() if k.lower() in _LOGGED_HEADERS},
                )
            )
        if fault is not None and fault.kind == "reset":
            raise httpx.RemoteProtocolError("simulated connection reset by the ConnectWise simulator")
        if fault is not None and fault.kind == "timeout":
            raise httpx.ReadTimeout("simulated read timeout from the ConnectWise simulator")
        with state.lock:
            rest = (api["rest"] or "/") if api else ""
            deliver = callbacks.after_write(state, request, rest, reply.status, reply.body)
        headers = _headers(state, request_id, reply.headers)
        if fault is not None and fault.kind == "truncated" and raw:
            # Declares the whole body and sends half, as a connection dropped mid-body does.
            headers["Content-Length"] = str(len(raw))
            raw = raw[: len(raw) // 2]
        media = None if reply.status == 204 else "application/json; charset=utf-8"
        return Response(raw, status_code=reply.status, headers=headers, media_type=media, background=deliver)

    routes = [Mount("/_sim", routes=control.routes(state)), Route("/{path:path}", endpoint, methods=_ALL_METHODS)]
    return Starlette(routes=routes)


def _safe_answer(state: ConnectWiseState, request: Request, body: bytes) -> tuple[resources.Reply, bytes | None]:
    try:
        return _answer(state, request, body), None
    except ConnectWiseError as error:
        return resources.Reply(error.status, None, error.headers), error.body_bytes()


def _fault_reply(fault: Fault) -> resources.Reply:
    status = 200 if fault.kind == "malformed" else fault.status
    return resources.Reply(status, fault.response_body(), fault.response_headers())
