"""The simulated carrier-tracking providers as one Starlette app: EasyPost, UPS and FedEx on one port.

Their paths do not collide (`/v2/...`; `/security/v1/oauth/token` and `/api/track/v1/...`; `/oauth/token`
and `/track/v1/...`), so one server serves all three, like the real hosts would with a base URL each.
Order of checks per call: injected fault, rate limit, then the route (auth first inside it). Every call
is recorded (provider, path, status, numbers, outcome), never a key, secret or token.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from orderbridge.simulators.carriers import easypost_api, fedex_api, ups_api
from orderbridge.simulators.carriers.control import control_routes
from orderbridge.simulators.carriers.errors import Provider, ProviderError, too_many_requests
from orderbridge.simulators.carriers.faults import faulty_response
from orderbridge.simulators.carriers.state import CarrierState, Handled

Handler = Callable[[CarrierState, Request], Awaitable[Handled]]


def _guarded(
    state: CarrierState, provider: Provider, endpoint: str, handler: Handler
) -> Callable[..., Awaitable[Response]]:
    async def answer(request: Request) -> Response:
        method, path = request.method, request.url.path
        fault = state.faults.take(provider, endpoint)
        if fault is not None and fault.kind == "slow":
            await state.sleep(fault.seconds)
        elif fault is not None:
            # Recorded before the fault is applied: `timeout` and `reset` raise instead of answering.
            state.record(provider, method, path, 0, (), f"fault:{fault.kind}")
            faulty = faulty_response(fault, provider)
            if faulty is not None:
                return faulty
        wait = state.limits.over(provider)
        try:
            if wait is not None:
                raise too_many_requests(provider, math.ceil(wait) if provider != "ups" else None)
            response, numbers, outcome = await handler(state, request)
        except ProviderError as refusal:
            response, numbers, outcome = refusal.response(), (), refusal.code
        state.record(provider, method, path, response.status_code, numbers, outcome)
        return response

    return answer


def create_app(state: CarrierState) -> Starlette:
    def route(path: str, provider: Provider, endpoint: str, handler: Handler, method: str) -> Route:
        return Route(path, _guarded(state, provider, endpoint, handler), methods=[method])

    easypost, ups, fedex = easypost_api, ups_api, fedex_api
    routes = [
        route("/v2/trackers", "easypost", "track", easypost.create_tracker, "POST"),
        route("/v2/trackers", "easypost", "track", easypost.list_trackers, "GET"),
        route("/v2/trackers/{tracker_id}", "easypost", "track", easypost.get_tracker, "GET"),
        route("/v2/trackers/{tracker_id}", "easypost", "track", easypost.delete_tracker, "DELETE"),
        route("/v2/webhooks", "easypost", "webhooks", easypost.create_webhook, "POST"),
        route("/v2/webhooks", "easypost", "webhooks", easypost.list_webhooks, "GET"),
        route("/v2/webhooks/{hook_id}", "easypost", "webhooks", easypost.enable_webhook, "PATCH"),
        route("/v2/webhooks/{hook_id}", "easypost", "webhooks", easypost.delete_webhook, "DELETE"),
        route("/security/v1/oauth/token", "ups", "token", ups.token, "POST"),
        route("/api/track/v1/details/{inquiry_number}", "ups", "track", ups.track, "GET"),
        route("/oauth/token", "fedex", "token", fedex.token, "POST"),
        route("/track/v1/trackingnumbers", "fedex", "track", fedex.track, "POST"),
        Mount("/_sim", routes=control_routes(state)),
    ]
    app = Starlette(routes=routes)
    app.state.carriers = state
    return app
