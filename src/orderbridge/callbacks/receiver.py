"""`POST /callbacks/connectwise/{tenant}`: ConnectWise tells us a PO changed; we check it soon.

Order matters (reliability-security.md §4.4): cap the body, refuse a missing signature before any
lookup, find the tenant, allow-list and fetch the signing key, check the HMAC over the raw bytes, and
only then read the payload. A verified callback is a hint: it lands in the inbox (deduplicated by
MessageId) and makes its PO due now; the record itself is always re-read from ConnectWise by the next
cycle, so a forged or stale `Entity` can never be written anywhere. The answer is 2xx and fast; the
work happens in the tenant's next job.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import httpx
from aiolimiter import AsyncLimiter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from orderbridge.callbacks.keys import Resolve, SigningKeys, system_resolve
from orderbridge.callbacks.verify import CallbackRejected, KeyUrlPolicy, read_key_url
from orderbridge.config import CallbacksSettings
from orderbridge.config.directory import TenantDirectory
from orderbridge.connectwise.signatures import signature_matches
from orderbridge.core.clock import Clock, SystemClock
from orderbridge.store import Store
from orderbridge.store.inbox import record_callback

PATH = "/callbacks/connectwise/{tenant}"
SIGNATURE_HEADER = "x-content-signature"
PO_TYPE = "purchaseorder"
_log = logging.getLogger(__name__)


class _TooLarge(Exception):
    pass


def _unauthorized(reason: str) -> Response:
    # One answer for every failure, so a caller cannot tell a missing tenant from a bad signature.
    return JSONResponse({"error": "unauthorized", "reason": reason}, status_code=401)


class CallbackReceiver:
    """Holds what the route needs across requests: the key cache and the per-tenant rate limits."""

    def __init__(
        self,
        store: Store,
        tenants: TenantDirectory,
        *,
        limits: CallbacksSettings | None = None,
        clock: Clock | None = None,
        key_transport: httpx.AsyncBaseTransport | None = None,
        resolve: Resolve = system_resolve,
    ) -> None:
        self.store = store
        self.tenants = tenants
        self.limits = limits or CallbacksSettings()
        self.clock = clock or SystemClock()
        self.keys = SigningKeys(
            ttl=timedelta(seconds=self.limits.key_cache_seconds),
            clock=self.clock,
            transport=key_transport,
            resolve=resolve,
        )
        self._limiters: dict[str, AsyncLimiter] = {}
        self.accepted = 0
        self.duplicates = 0

    def routes(self) -> list[BaseRoute]:
        return [Route(PATH, self.receive, methods=["POST"])]

    async def aclose(self) -> None:
        await self.keys.aclose()

    async def _body(self, request: Request) -> bytes:
        cap = self.limits.max_body_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise _TooLarge
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > cap:
                raise _TooLarge
            chunks.append(chunk)
        return b"".join(chunks)

    def _limiter(self, tenant: str) -> AsyncLimiter:
        limiter = self._limiters.get(tenant)
        if limiter is None:
            limiter = self._limiters[tenant] = AsyncLimiter(self.limits.per_tenant_per_minute, 60)
        return limiter

    async def receive(self, request: Request) -> Response:
        tenant = str(request.path_params["tenant"])
        try:
            body = await self._body(request)
        except _TooLarge:
            return JSONResponse({"error": "body too large"}, status_code=413)
        signature = request.headers.get(SIGNATURE_HEADER, "").strip()
        if not signature:
            return _unauthorized("missing x-content-signature")
        settings = self.tenants.settings_for(tenant)
        if settings is None:
            return _unauthorized("not signed by this tenant's ConnectWise")
        limiter = self._limiter(tenant)
        if not limiter.has_capacity():
            return JSONResponse({"error": "too many callbacks"}, status_code=429, headers={"Retry-After": "2"})
        await limiter.acquire()
        try:
            policy = KeyUrlPolicy.from_settings(settings)
            key_url = policy.check(read_key_url(body))
            key = await self.keys.get(tenant, key_url, policy, client_id=settings.connectwise.client_id)
            if not signature_matches(key, body, signature):
                raise CallbackRejected("signature does not match the body")
            payload = _verified_payload(body, company=settings.connectwise.company)
        except CallbackRejected as rejected:
            _log.warning("callback for tenant %s rejected: %s", tenant, rejected.reason)
            return _unauthorized("not signed by this tenant's ConnectWise")
        if payload is None:
            return Response(status_code=204)  # genuine, but not a PO callback: nothing to do
        message_id, po_id, action = payload
        fresh = await run_in_threadpool(
            record_callback, self.store, tenant, message_id, po_id, action, self.clock.now()
        )
        if fresh:
            self.accepted += 1
        else:
            self.duplicates += 1
        return Response(status_code=204)


def _verified_payload(body: bytes, *, company: str) -> tuple[str, int, str] | None:
    """(MessageId, PO id, Action) from a body whose signature has been checked; None for other types."""
    data: Any = json.loads(body)
    if not isinstance(data, dict):
        raise CallbackRejected("payload is not an object")
    sender = data.get("CompanyId")
    # ConnectWise names the company in every message (§7.3); one tenant's endpoint never acts on
    # another company's callback, however it is signed.
    if isinstance(sender, str) and sender.casefold() != company.casefold():
        raise CallbackRejected("callback is for another company")
    if str(data.get("Type", "")).lower() != PO_TYPE:
        return None
    message_id, record_id, action = data.get("MessageId"), data.get("ID"), data.get("Action")
    if not isinstance(message_id, str) or not message_id.strip():
        raise CallbackRejected("payload has no MessageId")
    if isinstance(record_id, bool) or not isinstance(record_id, int | str) or not str(record_id).isdigit():
        raise CallbackRejected("payload has no numeric ID")
    return message_id.strip(), int(record_id), str(action or "updated").lower()


def callback_routes(
    store: Store,
    tenants: TenantDirectory,
    *,
    limits: CallbacksSettings | None = None,
    clock: Clock | None = None,
    key_transport: httpx.AsyncBaseTransport | None = None,
    resolve: Resolve = system_resolve,
) -> list[BaseRoute]:
    """The routes `web/app.py` mounts with `create_app(..., extra_routes=callback_routes(...))`."""
    receiver = CallbackReceiver(
        store, tenants, limits=limits, clock=clock, key_transport=key_transport, resolve=resolve
    )
    return receiver.routes()
