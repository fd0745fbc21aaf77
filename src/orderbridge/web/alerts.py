"""The alerts page (open, resolved or all, by rule) and the one write a person can make: acknowledge.

Acknowledging only records that someone has seen the alert; it stays open until its condition clears,
because only the data can say the problem is gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from orderbridge.alerts.rules import RULE_LABELS
from orderbridge.core.clock import Clock
from orderbridge.store import Store
from orderbridge.store.alerts import AlertState, acknowledge_alert, get_alert, list_alerts
from orderbridge.store.facts import known_tenants
from orderbridge.web import params
from orderbridge.web.rendering import Renderer
from orderbridge.web.security import safe_next

STATES: tuple[AlertState, ...] = ("open", "resolved", "all")


@dataclass
class AlertViews:
    store: Store
    renderer: Renderer
    clock: Clock

    async def alerts(self, request: Request) -> Response:
        wanted = params.text(request, "state") or "open"
        state: AlertState = next((s for s in STATES if s == wanted), "open")
        rule = params.text(request, "rule")
        chosen: dict[str, Any] = {
            "tenant": params.text(request, "tenant"),
            "state": state,
            "rule": rule if rule in RULE_LABELS else None,
        }
        alerts = list_alerts(self.store, tenant=chosen["tenant"], state=state, rule=chosen["rule"])
        context = {
            "tab": "alerts",
            "alerts": alerts,
            "chosen": chosen,
            "states": STATES,
            "tenants": known_tenants(self.store),
            "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        }
        return self.renderer.page(request, "alerts.html", context)

    async def acknowledge(self, request: Request) -> Response:
        alert_id = int(request.path_params["alert_id"])
        form = await request.form()
        if get_alert(self.store, alert_id) is None:
            return PlainTextResponse(f"no alert {alert_id}", status_code=404)
        # Acknowledging twice is harmless: the first time a person saw it is the one kept.
        acknowledge_alert(self.store, alert_id, self.clock.now())
        target = form.get("next")
        return RedirectResponse(safe_next(target if isinstance(target, str) else None), status_code=303)
