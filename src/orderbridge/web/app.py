"""The dashboard's app factory: `create_app(settings, store, token=...)` -> a Starlette app.

Server-rendered pages (orders, PO timeline, activity, alerts, reports), CSV/JSON exports and
`/healthz`. Other modules mount their routes beside these through `extra_routes` (ConnectWise
callbacks, /metrics); they are not wrapped by the dashboard's login and CSRF rules, which would
reject a machine caller, and keep their own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from orderbridge.config import Settings
from orderbridge.core.clock import Clock, SystemClock
from orderbridge.store import Store
from orderbridge.web.activity import ActivityViews
from orderbridge.web.alerts import AlertViews
from orderbridge.web.orders import OrderViews
from orderbridge.web.rendering import STATIC, Renderer, make_environment
from orderbridge.web.reports import ReportViews
from orderbridge.web.security import (
    SESSION_COOKIE,
    Access,
    Guard,
    SecurityHeaders,
    clear_session_cookie,
    client_host,
    safe_next,
    set_session_cookie,
)

# Forms here are a few hundred bytes; callbacks mounted beside them are small JSON documents.
MAX_BODY_BYTES = 1024 * 1024


def create_app(
    settings: Settings,
    store: Store,
    *,
    token: str | None = None,
    extra_routes: Sequence[BaseRoute] = (),
    clock: Clock | None = None,
    tenant_settings: Mapping[str, Settings] | None = None,
) -> Starlette:
    """`token=None` means no login (loopback only: `orderbridge web` enforces that)."""
    clock = clock or SystemClock()
    guard = Guard(token, settings.web, clock)
    zone = settings.display.zone
    renderer = Renderer(make_environment(zone), clock, token_required=token is not None, zone=zone)
    orders = OrderViews(store, renderer, settings, dict(tenant_settings or {}))
    activity = ActivityViews(store, renderer)
    alerts = AlertViews(store, renderer, clock)
    reports = ReportViews(store, renderer, clock)

    async def home(request: Request) -> Response:
        return RedirectResponse("/orders", status_code=303)

    async def healthz(request: Request) -> Response:
        try:
            with store.reading() as connection:
                connection.execute(text("SELECT 1"))
        except Exception:  # the reason goes to the log of whoever runs the store, not to a prober
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok", "schema": store.schema_version()})

    async def login(request: Request) -> Response:
        if token is None:
            return RedirectResponse("/orders", status_code=303)
        target = safe_next(request.query_params.get("next"))
        if request.method == "GET":
            context = {"tab": "", "next": target, "failed": False, "retry_after": 0}
            return renderer.page(request, "login.html", context)
        form = await request.form()
        candidate = form.get("token")
        target = safe_next(str(form.get("next") or ""))
        access = guard.check_token(request, candidate.strip() if isinstance(candidate, str) else "")
        if access is not Access.ALLOWED:
            wait = guard.throttle.retry_after(client_host(request))
            context = {"tab": "", "next": target, "failed": True, "retry_after": wait}
            response = renderer.page(request, "login.html", context, status_code=429 if wait else 401)
            if wait:
                response.headers["Retry-After"] = str(wait)
            return response
        # A new id at every sign-in (no session fixation); the one this browser had, if any, ends.
        guard.sessions.end(request.cookies.get(SESSION_COOKIE, ""))
        response = RedirectResponse(target, status_code=303)
        set_session_cookie(response, request, guard.sessions.start(), max_age=guard.sessions.lifetime_seconds)
        return response

    async def logout(request: Request) -> Response:
        guard.sessions.end(request.cookies.get(SESSION_COOKIE, ""))
        response = RedirectResponse("/login" if token else "/orders", status_code=303)
        clear_session_cookie(response, request)
        return response

    p = guard.protect
    routes: list[BaseRoute] = [
        Route("/", p(home)),
        Route("/healthz", healthz),
        Route("/login", p(login, login_required=False), methods=["GET", "POST"]),
        Route("/logout", p(logout, login_required=False), methods=["POST"]),
        Route("/orders", p(orders.orders)),
        Route("/orders.csv", p(orders.orders_csv)),
        Route("/po/{tenant}/{po_id:int}", p(orders.timeline)),
        Route("/activity", p(activity.activity)),
        Route("/activity.csv", p(activity.activity_csv)),
        Route("/alerts", p(alerts.alerts)),
        Route("/alerts/{alert_id:int}/ack", p(alerts.acknowledge), methods=["POST"]),
        Route("/reports", p(reports.reports)),
        Route("/reports.{fmt:str}", p(reports.download)),
        Mount("/static", app=StaticFiles(directory=str(STATIC)), name="static"),
        *extra_routes,
    ]
    app = Starlette(routes=routes, middleware=[Middleware(SecurityHeaders)], max_body_size=MAX_BODY_BYTES)
    app.state.settings = settings
    app.state.store = store
    return app
