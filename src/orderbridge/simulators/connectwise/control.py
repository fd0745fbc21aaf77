"""The `/_sim/` control API: reset, seed, faults, rate limit and the request log, as JSON without auth.

It exists for tests that drive the simulator over a socket and for `orderbridge sim` demos; in-process
tests can use the same operations on `ConnectWiseState` directly. Control calls are never recorded.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from orderbridge.simulators.fault_spec import FaultDice, parse_service_faults

if TYPE_CHECKING:
    from .state import ConnectWiseState

_PO_ARGS = (
    "po_number",
    "status_name",
    "vendor_identifier",
    "tracked",
    "custom",
    "vendor_order_number",
    "lines",
    "fields",
)
_FAULT_ARGS = (
    "method",
    "status",
    "body",
    "times",
    "retry_after",
    "kind",
    "raw_body",
    "delay_seconds",
    "headers",
    "after",
)


async def _json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        raise ValueError("body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ValueError("body must be a JSON object")
    return body


def _guarded(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    async def guarded(request: Request) -> Response:
        try:
            return await handler(request)
        except (ValueError, TypeError, KeyError) as error:
            return JSONResponse({"error": str(error)}, status_code=400)

    return guarded


def routes(state: ConnectWiseState) -> list[Route]:
    async def reset(_request: Request) -> Response:
        state.reset()
        return JSONResponse({"reset": True})

    async def seed_purchase_order(request: Request) -> Response:
        body = await _json_object(request)
        unknown = set(body) - set(_PO_ARGS)
        if unknown:
            raise ValueError(f"unknown argument(s): {', '.join(sorted(unknown))}; expected {', '.join(_PO_ARGS)}")
        po = state.add_purchase_order(**body)
        return JSONResponse({"purchaseOrder": po, "lineItems": state.line_items(po["id"])}, status_code=201)

    async def list_requests(request: Request) -> Response:
        writes_only = request.query_params.get("writes", "").lower() in ("1", "true", "yes")
        with state.lock:
            entries = state.request_log.writes() if writes_only else list(state.request_log)
            return JSONResponse([entry.to_json() for entry in entries])

    async def clear_requests(_request: Request) -> Response:
        with state.lock:
            state.request_log.clear()
        return Response(status_code=204)

    async def add_fault(request: Request) -> Response:
        body = await _json_object(request)
        path_regex = body.pop("path_regex", "")
        unknown = set(body) - set(_FAULT_ARGS)
        if unknown:
            raise ValueError(f"unknown fault option(s): {', '.join(sorted(unknown))}")
        with state.lock:
            fault = state.faults.add(str(path_regex), **body)
        return JSONResponse(fault.to_json(), status_code=201)

    async def list_faults(_request: Request) -> Response:
        with state.lock:
            return JSONResponse([fault.to_json() for fault in state.faults.list()])

    async def clear_faults(_request: Request) -> Response:
        with state.lock:
            state.faults.clear()
        return Response(status_code=204)

    def random_json() -> dict[str, Any]:
        dice = state.faults.random
        return {"spec": str(dice.profile), "injected": dict(dice.counts)} if dice else {"spec": None, "injected": {}}

    async def set_random_faults(request: Request) -> Response:
        body = await _json_object(request)
        if not isinstance(body.get("spec"), str):
            raise ValueError('expected {"spec": "5xx=0.02,429burst=20/60s,..."} (the cw: part of --faults)')
        dice = FaultDice(parse_service_faults(body["spec"]))  # FaultSpecError is a ValueError: 400
        with state.lock:
            state.faults.random = dice
        return JSONResponse(random_json(), status_code=201)

    async def get_random_faults(_request: Request) -> Response:
        with state.lock:
            return JSONResponse(random_json())

    async def clear_random_faults(_request: Request) -> Response:
        with state.lock:
            state.faults.random = None
        return Response(status_code=204)

    async def set_rate_limit(request: Request) -> Response:
        body = await _json_object(request)
        per_minute = body.get("per_minute")
        if per_minute is not None and (not isinstance(per_minute, int) or per_minute < 1):
            raise ValueError("per_minute must be a positive integer or null")
        with state.lock:
            state.rate_limit.per_minute = per_minute
            state.rate_limit.reset()
        return JSONResponse({"per_minute": per_minute})

    return [
        Route("/reset", _guarded(reset), methods=["POST"]),
        Route("/purchaseorders", _guarded(seed_purchase_order), methods=["POST"]),
        Route("/requests", _guarded(list_requests), methods=["GET"]),
        Route("/requests", _guarded(clear_requests), methods=["DELETE"]),
        Route("/faults", _guarded(add_fault), methods=["POST"]),
        Route("/faults", _guarded(list_faults), methods=["GET"]),
        Route("/faults", _guarded(clear_faults), methods=["DELETE"]),
        Route("/faults/random", _guarded(set_random_faults), methods=["POST"]),
        Route("/faults/random", _guarded(get_random_faults), methods=["GET"]),
        Route("/faults/random", _guarded(clear_random_faults), methods=["DELETE"]),
        Route("/ratelimit", _guarded(set_rate_limit), methods=["POST"]),
    ]
