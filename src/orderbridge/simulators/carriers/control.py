"""The `/_sim/` JSON control API of the carrier simulators: reset, clock, packages, scripts, mix, faults,
limits, tokens, credentials, webhooks, and the request log.

Not part of any real API; tests, the demo and the benchmark drive the simulators through it over a
socket, the same way they could drive `CarrierState` in-process.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from orderbridge.core.clock import SimClock
from orderbridge.simulators.carriers.auth import ApiKey, OAuthClient
from orderbridge.simulators.carriers.easypost_api import deliver_webhooks
from orderbridge.simulators.carriers.faults import Fault, FaultKind
from orderbridge.simulators.carriers.journeys import Parcel, ScriptedStep, StepKind
from orderbridge.simulators.carriers.places import DEFAULT_ORIGIN, Place
from orderbridge.simulators.carriers.state import CarrierState, NumberScript

M = TypeVar("M", bound=BaseModel)


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


class PlaceIn(BaseModel):
    city: str
    state: str
    zip: str
    tz: str = "America/New_York"
    name: str | None = None

    def place(self) -> Place:
        return Place(self.city.upper(), self.state.upper(), self.zip, self.tz, name=self.name)


class PackageIn(BaseModel):
    tracking_number: str
    carrier: str
    shipped_at: datetime | None = None  # default: now
    origin: PlaceIn | None = None
    transit_days: int = 4
    service: str | None = None


class StepIn(BaseModel):
    after_hours: float
    kind: StepKind
    place: PlaceIn | None = None
    estimate: date | None = None
    note: str = ""
    signer: str | None = None


class ScriptIn(BaseModel):
    tracking_number: str
    outcome: str | None = None
    steps: list[StepIn] = []
    answer: Literal["normal", "not_found", "invalid"] = "normal"


class FaultIn(BaseModel):
    kind: FaultKind
    provider: Literal["easypost", "ups", "fedex"] | None = None
    endpoint: Literal["token", "track", "webhooks"] | None = None
    times: int | None = None
    status: int = 500
    retry_after: int | None = None
    seconds: float = 0.0


class LimitIn(BaseModel):
    provider: Literal["easypost", "ups", "fedex"]
    limit: int | None = None  # None: no limit
    window_s: float = 10.0


class CredentialIn(BaseModel):
    provider: Literal["easypost", "ups", "fedex"]
    api_key: str | None = None
    mode: Literal["test", "production"] = "production"
    client_id: str | None = None
    client_secret: str | None = None


def _validate(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
        raise ControlError(400, problems) from None


async def _body(request: Request) -> Any:
    try:
        return json.loads(await request.body() or b"{}")
    except ValueError:
        raise ControlError(400, "body is not JSON") from None


def control_routes(state: CarrierState) -> list[Route]:
    def handled(handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            try:
                return await handler(request)  # type: ignore[no-any-return]
            except ControlError as exc:
                return JSONResponse({"error": exc.message}, status_code=exc.status)
            except ValueError as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)

        return endpoint

    async def reset(request: Request) -> Response:
        state.reset()
        return JSONResponse({"reset": True})

    async def get_clock(request: Request) -> Response:
        return JSONResponse({"now": state.clock.now().isoformat(), "simulated": isinstance(state.clock, SimClock)})

    async def advance_clock(request: Request) -> Response:
        seconds = (await _body(request)).get("seconds")
        if not isinstance(state.clock, SimClock):
            raise ControlError(409, "the clock is the system clock; only a SimClock can be advanced")
        if not isinstance(seconds, int | float) or seconds < 0:
            raise ControlError(400, "seconds: a non-negative number (simulated time never moves backwards)")
        now = state.clock.advance(timedelta(seconds=seconds))
        # Whatever moved on the clock reaches the registered webhooks, as it would live.
        sent = await deliver_webhooks(state)
        return JSONResponse({"now": now.isoformat(), "simulated": True, "webhooks": sent})

    async def add_package(request: Request) -> Response:
        spec = _validate(PackageIn, await _body(request))
        origin = spec.origin.place() if spec.origin else DEFAULT_ORIGIN
        shipped = spec.shipped_at or state.clock.now()
        if shipped.tzinfo is None:
            raise ControlError(400, "shipped_at must carry a time zone")
        parcel = Parcel(spec.tracking_number, spec.carrier, shipped, origin, spec.transit_days, spec.service)
        state.add_parcel(parcel)
        return JSONResponse({"tracking_number": spec.tracking_number}, status_code=201)

    async def get_package(request: Request) -> Response:
        number = request.path_params["number"]
        journey = state.journey(number)
        if journey is None:
            raise ControlError(
                404, f"no journey for {number} at {state.clock.now().isoformat()} ({state.answer(number)})"
            )
        now = state.clock.now()
        steps = [
            {"at": s.at.isoformat(), "kind": s.kind, "city": s.place.city if s.place else None, "seen": s.at <= now}
            for s in journey.steps
        ]
        parcel = journey.parcel
        return JSONResponse(
            {
                "tracking_number": number,
                "carrier": parcel.carrier,
                "shipped_at": parcel.shipped_at.isoformat(),
                "outcome": journey.outcome,
                "destination": journey.destination.city,
                "steps": steps,
            }
        )

    async def add_script(request: Request) -> Response:
        spec = _validate(ScriptIn, await _body(request))
        steps = tuple(
            ScriptedStep(s.after_hours, s.kind, s.place.place() if s.place else None, s.estimate, s.note, s.signer)
            for s in spec.steps
        )
        state.set_script(spec.tracking_number, NumberScript(spec.outcome, steps, spec.answer))
        return JSONResponse({"tracking_number": spec.tracking_number}, status_code=201)

    async def get_mix(request: Request) -> Response:
        return JSONResponse({"mix": state.mix, "seed": state.seed})

    async def set_mix(request: Request) -> Response:
        data = await _body(request)
        mix = data.get("mix") if isinstance(data, dict) else None
        if not isinstance(mix, dict) or not all(isinstance(v, int | float) for v in mix.values()):
            raise ControlError(400, 'send {"mix": {"delivered": 0.7, ...}}')
        state.set_mix({str(k): float(v) for k, v in mix.items()})
        return JSONResponse({"mix": state.mix, "seed": state.seed})

    async def add_fault(request: Request) -> Response:
        spec = _validate(FaultIn, await _body(request))
        fault = state.faults.add(Fault(**spec.model_dump()))
        return JSONResponse(fault.to_json(), status_code=201)

    async def list_faults(request: Request) -> Response:
        return JSONResponse({"faults": [f.to_json() for f in state.faults.active()]})

    async def clear_faults(request: Request) -> Response:
        state.faults.clear()
        return JSONResponse({"cleared": True})

    async def set_limit(request: Request) -> Response:
        spec = _validate(LimitIn, await _body(request))
        if spec.limit is None:
            state.limits.limits.pop(spec.provider, None)
        elif spec.limit < 1 or spec.window_s <= 0:
            raise ControlError(400, "limit must be at least 1 and window_s positive")
        else:
            state.limits.limits[spec.provider] = (spec.limit, spec.window_s)
        return JSONResponse({"limits": {k: list(v) for k, v in state.limits.limits.items()}})

    async def revoke_tokens(request: Request) -> Response:
        provider = (await _body(request)).get("provider")
        books = [state.tokens[provider]] if provider in state.tokens else list(state.tokens.values())
        return JSONResponse({"revoked": sum(book.revoke_all() for book in books)})

    async def add_credential(request: Request) -> Response:
        spec = _validate(CredentialIn, await _body(request))
        if spec.provider == "easypost":
            if not spec.api_key:
                raise ControlError(400, "api_key is required for easypost")
            state.api_keys[spec.api_key] = ApiKey(spec.api_key, spec.mode)
        else:
            if not spec.client_id or not spec.client_secret:
                raise ControlError(400, f"client_id and client_secret are required for {spec.provider}")
            state.oauth_clients[spec.provider][spec.client_id] = OAuthClient(spec.client_id, spec.client_secret)
        return JSONResponse({"provider": spec.provider}, status_code=201)  # secrets are never echoed

    async def deliver(request: Request) -> Response:
        return JSONResponse({"attempted": await deliver_webhooks(state)})

    async def webhook_attempts(request: Request) -> Response:
        attempts = [
            {"url": a.url, "event_id": a.event_id, "attempt": a.attempts, "status": a.statuses[-1]}
            for a in state.webhooks.attempts
        ]
        return JSONResponse({"attempts": attempts, "queued": len(state.webhooks.outbox)})

    async def list_requests(request: Request) -> Response:
        return JSONResponse({"requests": [r.to_json() for r in list(state.requests)]})

    async def clear_requests(request: Request) -> Response:
        state.requests.clear()
        return JSONResponse({"cleared": True})

    return [
        Route("/reset", handled(reset), methods=["POST"]),
        Route("/clock", handled(get_clock), methods=["GET"]),
        Route("/clock/advance", handled(advance_clock), methods=["POST"]),
        Route("/packages", handled(add_package), methods=["POST"]),
        Route("/packages/{number}", handled(get_package), methods=["GET"]),
        Route("/journeys", handled(add_script), methods=["POST"]),
        Route("/mix", handled(get_mix), methods=["GET"]),
        Route("/mix", handled(set_mix), methods=["PUT"]),
        Route("/faults", handled(add_fault), methods=["POST"]),
        Route("/faults", handled(list_faults), methods=["GET"]),
        Route("/faults", handled(clear_faults), methods=["DELETE"]),
        Route("/limits", handled(set_limit), methods=["PUT"]),
        Route("/tokens/revoke", handled(revoke_tokens), methods=["POST"]),
        Route("/credentials", handled(add_credential), methods=["POST"]),
        Route("/webhooks/deliver", handled(deliver), methods=["POST"]),
        Route("/webhooks/attempts", handled(webhook_attempts), methods=["GET"]),
        Route("/requests", handled(list_requests), methods=["GET"]),
        Route("/requests", handled(clear_requests), methods=["DELETE"]),
    ]
