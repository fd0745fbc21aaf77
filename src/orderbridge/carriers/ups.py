"""The UPS Tracking API client: OAuth client credentials, then one GET per tracking number.

Token (carriers.md §2.2): `POST {token_url}` with `Authorization: Basic base64(client_id:client_secret)`
and the form body `grant_type=client_credentials`; every field of the answer is a string, `expires_in`
too ("14399"). The token is cached and refreshed before expiry by the shared cache (http/oauth.py); a
401 on a track call gets one refresh and one retry. Track: `GET {base}/track/v1/details/{number}` with
the required `transId` (unique per request, at most 32 characters) and `transactionSrc` headers.

Answers: "not found" is HTTP 200 with `warnings` TW0001 on the shipment (a documented 404 is read the
same way); errors use `{"response": {"errors": [{"code", "message"}]}}`, e.g. 400 TV1002 "Invalid
inquiry number" (that package only), 401 250002/251004 (credentials). The package JSON is mapped in
`ups_map.py`, where the mapping table is.
"""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from orderbridge.carriers.provider import TrackResult, distinct, track_each
from orderbridge.carriers.replies import decode, records, refusal, text
from orderbridge.carriers.ups_map import PROVIDER, not_found, parcel_status
from orderbridge.config import HttpSettings, UPSSettings
from orderbridge.core.clock import Clock
from orderbridge.core.delivery import ParcelQuery
from orderbridge.core.errors import AuthError, ConfigError, MalformedResponse
from orderbridge.core.redaction import register_secret
from orderbridge.http import Reply, ServiceClient, ServiceHTTP, ServicePolicy
from orderbridge.http.oauth import BearerTokens, IssuedToken, lifetime_of

SERVICE = "ups"
NOT_FOUND_WARNINGS = frozenset({"TW0001"})
DEFAULT_LIFETIME_S = 14399.0  # the realistic expires_in (carriers.md §2.2), when an answer leaves it out
AUTH_HINT = "check [carriers.ups] client_id and client_secret, and that the app has the Tracking product"


def _summary(body: Any) -> tuple[str | None, str | None]:
    response = body.get("response") if isinstance(body, Mapping) else None
    errors = response.get("errors") if isinstance(response, Mapping) else None
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], Mapping) else None
    if first is None:
        return None, None
    return text(first.get("code")), text(first.get("message"), 300)


class UPSClient(ServiceClient):
    """Follows UPS packages. Pass `transport=` to mount the simulator; `clock` ages the token."""

    name = PROVIDER
    batch_size = 1

    def __init__(
        self,
        settings: UPSSettings,
        http: HttpSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        clock: Clock | None = None,
    ) -> None:
        if not settings.configured:
            raise ConfigError("carriers.ups", "needs client_id and client_secret")
        self._settings = settings
        secret = settings.client_secret.get_secret_value()
        register_secret(secret)
        credentials = base64.b64encode(f"{settings.client_id}:{secret}".encode()).decode("ascii")
        register_secret(credentials)
        self._basic = f"Basic {credentials}"
        policy = ServicePolicy.from_settings(
            SERVICE, http, concurrency=settings.concurrency, requests_per_minute=settings.requests_per_minute
        )
        self._http = ServiceHTTP(
            policy, headers={"Accept": "application/json"}, transport=transport, sleep=sleep, monotonic=monotonic
        )
        self._tokens = BearerTokens(self._fetch_token, clock=clock)

    @property
    def token_fetches(self) -> int:
        return self._tokens.fetches

    async def _fetch_token(self) -> IssuedToken:
        # Asking for a token twice is harmless, so ServiceHTTP may repeat it after a timeout or a 5xx.
        reply = await self._http.request(
            "POST",
            self._settings.token_url,
            data={"grant_type": "client_credentials"},
            headers={"Authorization": self._basic},
            idempotent=True,
        )
        if reply.status != 200:
            error = refusal(
                reply, service=SERVICE, what="UPS token request", summary=_summary, auth_hint=AUTH_HINT,
                auth_statuses=(400, 401, 403),
            )  # fmt: skip
            raise error
        body = decode(reply, service=SERVICE, what="UPS token request")
        token = text(body.get("access_token"), 4096)
        if token is None:
            raise AuthError("UPS token answer has no access_token", service=SERVICE, status=reply.status)
        return IssuedToken(token, lifetime_of(body.get("expires_in"), DEFAULT_LIFETIME_S))

    async def track(self, queries: Sequence[ParcelQuery]) -> dict[str, TrackResult]:
        return await track_each(distinct(queries), self._one)

    async def _one(self, query: ParcelQuery) -> TrackResult:
        number = query.tracking_number
        url = f"{self._settings.base_url}/track/v1/details/{quote(number, safe='')}"

        def call(token: str) -> Awaitable[Reply]:
            headers = {
                "Authorization": f"Bearer {token}",
                "transId": uuid.uuid4().hex,  # 32 characters, the documented maximum
                "transactionSrc": self._settings.transaction_src,
            }
            return self._http.request("GET", url, params={"locale": "en_US"}, headers=headers)

        reply = await self._tokens.send(call)
        what = f"UPS track {number}"
        if reply.status == 404:  # the spec's not-found; in practice it is a 200 with TW0001 (below)
            return not_found(number, query.carrier)
        if reply.status != 200:
            raise refusal(reply, service=SERVICE, what=what, summary=_summary, auth_hint=AUTH_HINT)
        body = decode(reply, service=SERVICE, what=what)
        track = body.get("trackResponse")
        shipments = track.get("shipment") if isinstance(track, Mapping) else None
        if not isinstance(shipments, list) or not shipments or not isinstance(shipments[0], Mapping):
            raise MalformedResponse(f"{what}: the answer has no trackResponse.shipment")
        shipment = shipments[0]
        warnings = records(shipment.get("warnings"))
        if any(text(w.get("code")) in NOT_FOUND_WARNINGS for w in warnings):
            return not_found(number, query.carrier)
        packages = records(shipment.get("package"))
        wanted = next((p for p in packages if text(p.get("trackingNumber")) == number), None)
        package = wanted or (packages[0] if packages else None)
        if package is None:
            said = "; ".join(f"{text(w.get('code'))} {text(w.get('message'))}" for w in warnings)
            return f"{what}: UPS returned no package ({said or 'and no warning'})"
        return parcel_status(package, tracking_number=number, carrier=query.carrier)
