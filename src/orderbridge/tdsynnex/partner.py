"""The TD SYNNEX Partner REST API client: OAuth2 client credentials and the order lookups by sales order.

Used for POs a person marked by hand, which carry only a TD SYNNEX sales-order number (DESIGN.md §1.2).
The token is cached and refreshed before it expires by an injected clock, so tests age it in simulated
time; a 401 gets one refresh and one retry. Token and secret are registered for redaction on sight.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx

from orderbridge.config import HttpSettings, PartnerSettings
from orderbridge.core.clock import Clock, SystemClock
from orderbridge.core.domain import DistributorOrder
from orderbridge.core.errors import AuthError, InvalidPurchaseOrder, MalformedResponse, RequestRejected
from orderbridge.core.redaction import register_secret
from orderbridge.http import Reply, ServiceClient, ServiceHTTP, ServicePolicy
from orderbridge.http.oauth import BearerTokens, IssuedToken, lifetime_of
from orderbridge.tdsynnex.client import check_reply
from orderbridge.tdsynnex.partner_models import NOT_FOUND_WORDS, error_message, normalise_order, not_found_order

SERVICE = "tdsynnex-partner"
DEFAULT_LIFETIME_S = 7200  # expires_in per td-synnex.md §3.1, used when the answer leaves it out
_ORDER_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,29}")
PACIFIC = ZoneInfo("America/Los_Angeles")


class PartnerClient(ServiceClient):
    """Looks up TD SYNNEX sales orders. Pass `transport=` to mount the simulator in-process; token and API
    hosts may differ (sso.* vs api.*), and one transport serves both."""

    def __init__(
        self,
        settings: PartnerSettings,
        http: HttpSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Clock | None = None,
        tz: ZoneInfo = PACIFIC,
    ) -> None:
        self._settings = settings
        self._base = settings.base_url.rstrip("/")
        self._clock = clock or SystemClock()
        self._tz = tz
        register_secret(settings.client_secret.get_secret_value())
        policy = ServicePolicy.from_settings(
            SERVICE, http, concurrency=settings.concurrency, requests_per_minute=settings.requests_per_minute
        )
        self._http = ServiceHTTP(policy, headers={"Accept": "application/json"}, transport=transport, sleep=sleep)
        # The token is cached and refreshed by the shared cache (http/oauth.py), on this client's clock.
        self._tokens = BearerTokens(self._fetch_token, clock=self._clock)

    @property
    def token_fetches(self) -> int:
        return self._tokens.fetches

    # --- token -------------------------------------------------------------------------------------------

    async def _fetch_token(self) -> IssuedToken:
        settings = self._settings
        form = {
            "grant_type": "client_credentials",
            "client_id": settings.client_id,
            "client_secret": settings.client_secret.get_secret_value(),
        }
        # Asking for a token twice is harmless, so ServiceHTTP may repeat it after a timeout or a 5xx.
        reply = await self._http.request("POST", settings.token_url, data=form, idempotent=True)
        if reply.status in (400, 401, 403):
            raise AuthError(
                "TD SYNNEX Partner API refused the client credentials",
                service=SERVICE,
                status=reply.status,
                body_excerpt=reply.text,
                request_id=reply.request_id,
            )
        check_reply(reply, service=SERVICE, what="the token request")
        body = _json(reply, "token")
        token = body.get("access_token") if isinstance(body, Mapping) else None
        if not isinstance(token, str) or not token.strip():
            raise AuthError("TD SYNNEX Partner API token answer has no access_token", service=SERVICE)
        register_secret(token)
        token_type = body.get("token_type", "Bearer")
        if not isinstance(token_type, str) or token_type.lower() != "bearer":
            kind = str(token_type)[:20]
            raise AuthError(f"TD SYNNEX Partner API issued a {kind!r} token, not Bearer", service=SERVICE)
        return IssuedToken(token, lifetime_of(body.get("expires_in"), DEFAULT_LIFETIME_S))

    # --- calls -------------------------------------------------------------------------------------------

    async def _get(self, path: str) -> Reply:
        reply = await self._tokens.send(lambda token: self._send(path, token))
        if reply.status == 401:
            raise AuthError(
                "TD SYNNEX Partner API refused a fresh token",
                service=SERVICE,
                status=401,
                body_excerpt=reply.text,
                request_id=reply.request_id,
            )
        return reply

    async def _send(self, path: str, token: str) -> Reply:
        return await self._http.request("GET", self._base + path, headers={"Authorization": f"Bearer {token}"})

    async def _lookup(self, path: str, what: str) -> Any | None:
        """The JSON body, or None when the API says the order is not there (404, or a not-found message)."""
        reply = await self._get(path)
        if reply.status == 404:
            return None
        if reply.status != 200:
            check_reply(reply, service=SERVICE, what=what)
        body = _json(reply, what)
        message = error_message(body)
        if message is not None:
            if NOT_FOUND_WORDS.search(message):
                return None
            raise RequestRejected(
                f"TD SYNNEX Partner API refused {what}: {message}",
                service=SERVICE,
                status=reply.status,
                request_id=reply.request_id,
            )
        return body

    async def get_order(self, order_number: str) -> DistributorOrder:
        """The sales order as a DistributorOrder (NOT_FOUND when unknown): header from the order lookup,
        lines, quantities, dates and tracking from the shipment details."""
        wanted = (order_number or "").strip()
        if not _ORDER_NUMBER.fullmatch(wanted):
            raise InvalidPurchaseOrder("the TD SYNNEX sales-order number is empty or not a plain order number")
        key = quote(wanted, safe="")
        orders = await self._lookup(f"/api/v1/orders/orderNo/{key}", "the order lookup")
        if orders is None:
            return not_found_order(wanted, "not found at the Partner API")
        if isinstance(orders, Mapping):
            orders = [orders]  # singleton vs list drift (td-synnex.md §7.7)
        if not isinstance(orders, list) or not all(isinstance(o, Mapping) for o in orders):
            raise MalformedResponse("TD SYNNEX Partner API order lookup is not a list of orders")
        if not orders:
            return not_found_order(wanted, "the order lookup returned no orders")
        shipment = await self._lookup(f"/api/v1/orders/shipment/details/orderNo/{key}", "the shipment details")
        if shipment is not None and not isinstance(shipment, Mapping):
            raise MalformedResponse("TD SYNNEX Partner API shipment details are not an object")
        return normalise_order(wanted, list(orders), shipment, tz=self._tz)


def _json(reply: Reply, what: str) -> Any:
    try:
        return json.loads(reply.content)
    except (ValueError, UnicodeDecodeError):
        raise MalformedResponse(f"TD SYNNEX Partner API {what}: the answer is not JSON") from None
