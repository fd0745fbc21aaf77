"""The FedEx Track API client: OAuth client credentials, then up to 30 tracking numbers per POST.

Token (carriers.md §3.2): `POST /oauth/token`, form fields `grant_type=client_credentials`,
`client_id` (the API key), `client_secret` (the secret key); `expires_in` is an integer (3600). Cached
and refreshed before expiry by the shared cache (http/oauth.py); a 401 gets one refresh and one retry.
Track: `POST /track/v1/trackingnumbers` with `includeDetailedScans` and at most 30 `trackingInfo`
entries (§3.3), so 65 numbers are 3 calls. Per-number outcomes come back inside HTTP 200: a number
FedEx does not know carries `error` TRACKING.TRACKINGNUMBER.NOTFOUND in its own result (§3.4). Errors
of a whole request use `{"transactionId", "errors": [{"code", "message"}]}` (§3.6); a 4xx other than
401/403 is the problem of that batch's packages only. 429 is retried by the policy (FedEx throttles
1,400 transactions per 10 seconds per project, §3.7). The mapping table is in `fedex_map.py`.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import httpx

from orderbridge.carriers.fedex_map import PROVIDER, parcel_status
from orderbridge.carriers.provider import TrackResult, chunks, distinct, track_batches
from orderbridge.carriers.replies import decode, records, refusal, text
from orderbridge.config import FedExSettings, HttpSettings
from orderbridge.core.clock import Clock
from orderbridge.core.delivery import ParcelQuery
from orderbridge.core.errors import AuthError, ConfigError, MalformedResponse
from orderbridge.core.redaction import register_secret
from orderbridge.http import Reply, ServiceClient, ServiceHTTP, ServicePolicy
from orderbridge.http.oauth import BearerTokens, IssuedToken, lifetime_of

SERVICE = "fedex"
TRACK_PATH = "/track/v1/trackingnumbers"
DEFAULT_LIFETIME_S = 3600.0  # "regenerate every 60 minutes" (FDX-AUTH), when an answer leaves it out
AUTH_HINT = "check [carriers.fedex] client_id (API key) and client_secret (secret key), and the Track API project"


def _summary(body: Any) -> tuple[str | None, str | None]:
    errors = body.get("errors") if isinstance(body, Mapping) else None
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], Mapping) else None
    if first is None:
        return None, None
    return text(first.get("code")), text(first.get("message"), 300)


class FedExClient(ServiceClient):
    """Follows FedEx packages, 30 to a request. Pass `transport=` to mount the simulator; `clock` ages the
    token."""

    name = PROVIDER

    def __init__(
        self,
        settings: FedExSettings,
        http: HttpSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        clock: Clock | None = None,
    ) -> None:
        if not settings.configured:
            raise ConfigError("carriers.fedex", "needs client_id and client_secret")
        self._settings = settings
        self.batch_size = settings.batch_size
        register_secret(settings.client_secret.get_secret_value())
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
        settings = self._settings
        form = {
            "grant_type": "client_credentials",
            "client_id": settings.client_id,
            "client_secret": settings.client_secret.get_secret_value(),
        }
        # Asking for a token twice is harmless, so ServiceHTTP may repeat it after a timeout or a 5xx.
        reply = await self._http.request("POST", settings.token_url, data=form, idempotent=True)
        if reply.status != 200:
            raise refusal(
                reply, service=SERVICE, what="FedEx token request", summary=_summary, auth_hint=AUTH_HINT,
                auth_statuses=(400, 401, 403),
            )  # fmt: skip
        body = decode(reply, service=SERVICE, what="FedEx token request")
        token = text(body.get("access_token"), 8192)
        if token is None:
            raise AuthError("FedEx token answer has no access_token", service=SERVICE, status=reply.status)
        return IssuedToken(token, lifetime_of(body.get("expires_in"), DEFAULT_LIFETIME_S))

    async def track(self, queries: Sequence[ParcelQuery]) -> dict[str, TrackResult]:
        return await track_batches(chunks(distinct(queries), self.batch_size), self._batch)

    async def _batch(self, batch: Sequence[ParcelQuery]) -> dict[str, TrackResult]:
        info = []
        for query in batch:
            number: dict[str, str] = {"trackingNumber": query.tracking_number}
            if query.provider_ref:  # FedEx's id for one of several packages sharing a recycled number
                number["trackingNumberUniqueId"] = query.provider_ref
            info.append({"trackingNumberInfo": number})
        body = {"includeDetailedScans": True, "trackingInfo": info}
        url = self._settings.base_url + TRACK_PATH

        def call(token: str) -> Awaitable[Reply]:
            headers = {
                "Authorization": f"Bearer {token}",
                "x-locale": "en_US",
                "x-customer-transaction-id": uuid.uuid4().hex,
            }
            # A read sent as POST: repeating it changes nothing, so 5xx and timeouts are retried too.
            return self._http.request("POST", url, json=body, headers=headers, idempotent=True)

        reply = await self._tokens.send(call)
        what = f"FedEx track ({len(batch)} numbers from {batch[0].tracking_number})"
        if reply.status != 200:
            raise refusal(reply, service=SERVICE, what=what, summary=_summary, auth_hint=AUTH_HINT)
        answer = decode(reply, service=SERVICE, what=what)
        output = answer.get("output")
        complete = output.get("completeTrackResults") if isinstance(output, Mapping) else None
        if not isinstance(complete, list):
            raise MalformedResponse(f"{what}: the answer has no output.completeTrackResults")
        by_number: dict[str, list[Mapping[str, Any]]] = {}
        for entry in complete:
            if isinstance(entry, Mapping) and text(entry.get("trackingNumber")):
                results = records(entry.get("trackResults"))
                by_number.setdefault(text(entry.get("trackingNumber")) or "", []).extend(results)
        found: dict[str, TrackResult] = {}
        for query in batch:
            listed = by_number.get(query.tracking_number)
            if listed is None:
                found[query.tracking_number] = f"FedEx answered nothing about {query.tracking_number}"
            else:
                found[query.tracking_number] = parcel_status(
                    listed, tracking_number=query.tracking_number, carrier=query.carrier
                )
        return found
