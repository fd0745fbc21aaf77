"""The `/_sim/` JSON control API of the TD SYNNEX simulator: reset, seed, clock, faults, request log.

Not part of the real service; tests, the demo and the benchmark drive the simulator through it over
a socket, the same way they could drive it in-process through `TDSynnexState`.
"""

from __future__ import annotations

import json
import random
from datetime import timedelta
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from orderbridge.core.clock import SimClock
from orderbridge.simulators.fault_spec import FaultDice, FaultSpecError, parse_service_faults
from orderbridge.simulators.tdsynnex.errors import ControlError
from orderbridge.simulators.tdsynnex.faults import Channel, FaultKind
from orderbridge.simulators.tdsynnex.lifecycle import generate_order
from orderbridge.simulators.tdsynnex.script_json import (
    GenerateIn,
    OrderIn,
    order_to_json,
    script_from_json,
    script_to_json,
)
from orderbridge.simulators.tdsynnex.state import Account, TDSynnexState
from orderbridge.simulators.tdsynnex.timeline import ScriptError

M = TypeVar("M", bound=BaseModel)


class FaultIn(BaseModel):
    po_number: str | None = None
    kind: FaultKind
    times: int | None = None
    seconds: float = 0.0
    message: str | None = None
    detail: str | None = None
    status: int = 500
    retry_after: int = 1
    body: str | None = None
    channel: Channel | None = None


class RandomFaultsIn(BaseModel):
    """A random profile in the `--faults` grammar for this service, without the `tds:` prefix."""

    spec: str


class AdvanceIn(BaseModel):
    seconds: float


class AccountIn(BaseModel):
    customer_number: str
    user_id: str
    password: str
    version: str = "2.7"
    always_fees: bool | None = None  # None: by version (every item from 2.7 on)


async def _json(request: Request) -> Any:
    try:
        return json.loads(await request.body() or b"{}")
    except ValueError:
        raise ControlError(400, "body is not JSON") from None


def _validate(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
        raise ControlError(400, problems) from None


def control_routes(state: TDSynnexState) -> list[Route]:
    def handled(handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            try:
                return await handler(request)  # type: ignore[no-any-return]
            except ControlError as exc:
                return JSONResponse({"error": exc.message}, status_code=exc.status)
            except (ScriptError, ValueError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)

        return endpoint

    async def reset(request: Request) -> Response:
        state.reset()
        return JSONResponse({"reset": True})

    async def add_order(request: Request) -> Response:
        data = await _json(request)
        default_customer = next(iter(state.accounts), "100001")
        if isinstance(data, dict) and "generate" in data:
            spec = _validate(GenerateIn, data["generate"])
            script = generate_order(
                random.Random(spec.seed),
                customer_number=spec.customer_number or default_customer,
                po_number=spec.po_number,
                placed_at=spec.placed_at or state.clock.now(),
                n_lines=spec.n_lines,
                profile=spec.profile,
            )
            duplicate = spec.duplicate
        else:
            order = _validate(OrderIn, data)
            script = script_from_json(order, default_customer=default_customer, now=state.clock.now())
            duplicate = order.duplicate
        try:
            state.add_order(script, duplicate=duplicate)
        except ScriptError as exc:
            status = 409 if "already exists" in str(exc) else 400
            raise ControlError(status, str(exc)) from None
        return JSONResponse(script_to_json(script), status_code=201)

    async def get_order(request: Request) -> Response:
        customer, po = request.path_params["customer"], request.path_params["po"]
        order = state.order_view(customer, po)
        if order is None:
            raise ControlError(404, f"no PO {po} for customer {customer} at {state.clock.now().isoformat()}")
        scripts = [script_to_json(s) for s in state.scripts(customer, po)]
        return JSONResponse({"view": order_to_json(order), "scripts": scripts})

    async def get_clock(request: Request) -> Response:
        return JSONResponse({"now": state.clock.now().isoformat(), "simulated": isinstance(state.clock, SimClock)})

    async def advance_clock(request: Request) -> Response:
        spec = _validate(AdvanceIn, await _json(request))
        if not isinstance(state.clock, SimClock):
            raise ControlError(409, "the clock is the system clock; only a SimClock can be advanced")
        if spec.seconds < 0:
            raise ControlError(400, "simulated time never moves backwards")
        now = state.clock.advance(timedelta(seconds=spec.seconds))
        return JSONResponse({"now": now.isoformat(), "simulated": True})

    async def list_requests(request: Request) -> Response:
        return JSONResponse({"requests": [r.to_json() for r in list(state.requests)]})

    async def clear_requests(request: Request) -> Response:
        state.requests.clear()
        return JSONResponse({"cleared": True})

    async def add_fault(request: Request) -> Response:
        spec = _validate(FaultIn, await _json(request))
        fault = state.faults.add(
            spec.kind,
            po_number=spec.po_number,
            times=spec.times,
            seconds=spec.seconds,
            message=spec.message,
            detail=spec.detail,
            status=spec.status,
            retry_after=spec.retry_after,
            body=spec.body,
            channel=spec.channel,
        )
        return JSONResponse(fault.to_json(), status_code=201)

    def random_json() -> dict[str, Any]:
        dice = state.faults.random
        if dice is None:
            return {"spec": None, "injected": {}}
        return {"spec": str(dice.profile), "injected": dict(dice.counts)}

    async def set_random_faults(request: Request) -> Response:
        spec = _validate(RandomFaultsIn, await _json(request))
        try:
            state.faults.random = FaultDice(parse_service_faults(spec.spec))
        except FaultSpecError as exc:
            raise ControlError(400, str(exc)) from None
        return JSONResponse(random_json(), status_code=201)

    async def get_random_faults(request: Request) -> Response:
        return JSONResponse(random_json())

    async def clear_random_faults(request: Request) -> Response:
        state.faults.random = None
        return JSONResponse({"cleared": True})

    async def list_faults(request: Request) -> Response:
        return JSONResponse({"faults": [f.to_json() for f in state.faults.active()]})

    async def clear_faults(request: Request) -> Response:
        state.faults.clear()
        return JSONResponse({"cleared": True})

    async def add_account(request: Request) -> Response:
        spec = _validate(AccountIn, await _json(request))
        state.add_account(Account(**spec.model_dump()))
        # The password is accepted but never echoed back.
        return JSONResponse({"customer_number": spec.customer_number, "version": spec.version}, status_code=201)

    return [
        Route("/reset", handled(reset), methods=["POST"]),
        Route("/orders", handled(add_order), methods=["POST"]),
        Route("/orders/{customer}/{po:path}", handled(get_order), methods=["GET"]),
        Route("/clock", handled(get_clock), methods=["GET"]),
        Route("/clock/advance", handled(advance_clock), methods=["POST"]),
        Route("/requests", handled(list_requests), methods=["GET"]),
        Route("/requests", handled(clear_requests), methods=["DELETE"]),
        Route("/faults", handled(add_fault), methods=["POST"]),
        Route("/faults", handled(list_faults), methods=["GET"]),
        Route("/faults", handled(clear_faults), methods=["DELETE"]),
        Route("/faults/random", handled(set_random_faults), methods=["POST"]),
        Route("/faults/random", handled(get_random_faults), methods=["GET"]),
        Route("/faults/random", handled(clear_random_faults), methods=["DELETE"]),
        Route("/accounts", handled(add_account), methods=["POST"]),
    ]
