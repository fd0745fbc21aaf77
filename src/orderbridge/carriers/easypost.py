"""The EasyPost Trackers client: create a tracker once per package, then re-read it by its id.

EasyPost documents HTTP Basic with the API key as user name and no password (its curl examples); its
official Python client sends `Authorization: Bearer <key>` instead, and the API takes both. We send
Basic, as documented. `POST /v2/trackers` de-duplicates by (account, tracking code, carrier) for three
months and answers a repeat with the existing tracker (carriers.md §1.3), so creating is safe to repeat
and ServiceHTTP may retry it after a 5xx or a timeout. The tracker id (`trk_...`) comes back as
`ParcelStatus.provider_ref`; the caller keeps it and passes it in `ParcelQuery.provider_ref`, so later
polls are a GET. A tracker that is gone (404: deleted, or another account's) is simply created again.

Errors use `{"error": {"code", "message", "errors": [...]}}` (carriers.md §1.7): 401 and 402 (billing)
stop the run; 404/422 for one number are that package's problem; 429/5xx were retried by the policy.
The tracker JSON is mapped in `easypost_map.py`, where the mapping table is.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from orderbridge.carriers.easypost_map import PROVIDER, TrackerError, parcel_status
from orderbridge.carriers.provider import TrackResult, distinct, track_each
from orderbridge.carriers.replies import decode, refusal, text
from orderbridge.config import EasyPostSettings, HttpSettings
from orderbridge.core.delivery import ParcelQuery
from orderbridge.core.errors import ConfigError
from orderbridge.core.redaction import register_secret
from orderbridge.http import Reply, ServiceClient, ServiceHTTP, ServicePolicy

SERVICE = "easypost"
# Our carrier names (rules/carriers.py) as EasyPost spells them; "DHLExpress" is UNCONFIRMED (§1.4).
EASYPOST_CARRIERS = {"DHL": "DHLExpress"}
AUTH_HINT = "check [carriers.easypost] api_key (a production key tracks real numbers; a test key only EZ... codes)"


def _summary(body: Any) -> tuple[str | None, str | None]:
    error = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(error, Mapping):
        return None, None
    message = text(error.get("message"), 300)
    fields = []
    errors = error.get("errors")
    for item in errors if isinstance(errors, list) else ():
        if isinstance(item, Mapping):  # FieldError {field, message, suggestion}
            fields.append(" ".join(filter(None, (text(item.get("field")), text(item.get("message"))))))
        elif text(item):  # or a plain string
            fields.append(text(item) or "")
    if fields:
        message = f"{message or 'invalid request'} ({'; '.join(f for f in fields if f)})"
    return text(error.get("code")), message


class EasyPostClient(ServiceClient):
    """Follows packages of any carrier EasyPost supports. Pass `transport=` to mount the simulator."""

    name = PROVIDER
    batch_size = 1

    def __init__(
        self,
        settings: EasyPostSettings,
        http: HttpSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        key = settings.api_key.get_secret_value()
        if not key:
            raise ConfigError("carriers.easypost.api_key", "is empty; EasyPost needs an API key")
        register_secret(key)
        policy = ServicePolicy.from_settings(
            SERVICE, http, concurrency=settings.concurrency, requests_per_minute=settings.requests_per_minute
        )
        self._http = ServiceHTTP(
            policy,
            base_url=settings.base_url,
            headers={"Accept": "application/json"},
            auth=(key, ""),
            transport=transport,
            sleep=sleep,
            monotonic=monotonic,
        )

    async def track(self, queries: Sequence[ParcelQuery]) -> dict[str, TrackResult]:
        return await track_each(distinct(queries), self._one)

    async def _one(self, query: ParcelQuery) -> TrackResult:
        if query.provider_ref:
            reply = await self._http.request("GET", f"/trackers/{quote(query.provider_ref, safe='')}")
            if reply.status != 404:
                return self._status(reply, query, "GET /trackers/{id}")
        tracker: dict[str, Any] = {"tracking_code": query.tracking_number}
        if query.carrier:
            tracker["carrier"] = EASYPOST_CARRIERS.get(query.carrier, query.carrier)
        # De-duplicated by EasyPost (module docstring), so a retry after a lost answer bills nothing twice.
        reply = await self._http.request("POST", "/trackers", json={"tracker": tracker}, idempotent=True)
        return self._status(reply, query, "POST /trackers")

    def _status(self, reply: Reply, query: ParcelQuery, what: str) -> TrackResult:
        if not 200 <= reply.status < 300:
            raise self._refusal(reply, f"EasyPost {what} for {query.tracking_number}")
        body = decode(reply, service=SERVICE, what=f"EasyPost {what}")
        try:
            return parcel_status(body, carrier=query.carrier, tracking_number=query.tracking_number)
        except TrackerError as problem:
            return str(problem)

    def _refusal(self, reply: Reply, what: str) -> Exception:
        # 402: the account cannot pay for trackers; nothing else will get through either.
        return refusal(
            reply, service=SERVICE, what=what, summary=_summary, auth_hint=AUTH_HINT, auth_statuses=(401, 402, 403)
        )

    async def create_webhook(self, url: str, secret: str) -> str:
        """Register `url` for every event of this account, signed with `secret`; returns the hook id."""
        body = {"webhook": {"url": url, "webhook_secret": secret}} if secret else {"webhook": {"url": url}}
        reply = await self._http.request("POST", "/webhooks", json=body, idempotent=False)
        if not 200 <= reply.status < 300:
            raise self._refusal(reply, "EasyPost POST /webhooks")
        hook = decode(reply, service=SERVICE, what="EasyPost POST /webhooks")
        return text(hook.get("id"), 64) or ""

    async def list_webhooks(self) -> list[dict[str, Any]]:
        """The account's webhooks (`GET /webhooks`), as EasyPost lists them: id, url, mode, disabled_at."""
        reply = await self._http.request("GET", "/webhooks")
        if not 200 <= reply.status < 300:
            raise self._refusal(reply, "EasyPost GET /webhooks")
        body = decode(reply, service=SERVICE, what="EasyPost GET /webhooks")
        hooks = body.get("webhooks") if isinstance(body, Mapping) else None
        return [dict(hook) for hook in hooks if isinstance(hook, Mapping)] if isinstance(hooks, list) else []

    async def enable_webhook(self, hook_id: str) -> None:
        """Re-enable a webhook EasyPost disabled after failed deliveries (`PATCH /webhooks/{id}`, §1.9)."""
        reply = await self._http.request("PATCH", f"/webhooks/{quote(hook_id, safe='')}", json={}, idempotent=True)
        if not 200 <= reply.status < 300:
            raise self._refusal(reply, "EasyPost PATCH /webhooks/{id}")
