"""`POST /callbacks/connectwise/{tenant}`: ConnectWise tells us a PO changed; we check it soon.

Order matters (reliability-security.md §4.4): cap the body, refuse a missing signature before any
lookup, find the tenant, allow-list the key URL, check the HMAC over the raw bytes with the signing
key, and only then spend the tenant's rate limit and read the payload. Spending it any earlier let a
flood of forged requests use up the budget of genuine ones. What fails verification is limited per
source address instead (budgets.py), and so are signing-key fetches for key URLs not yet cached, the
one costly step a forger can cause; a callback whose key is cached is verified whatever its source's
budget, so a flood from a shared address (a reverse proxy) cannot stop it either.

A verified callback is a hint: it lands in the inbox (deduplicated by MessageId) and makes its PO due
now; the record itself is always re-read from ConnectWise by the next cycle, so a forged or stale
`Entity` can never be written anywhere. The answer is 2xx and fast; the work happens in the tenant's
next job.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from orderbridge.callbacks.body import TooLarge, read_body
from orderbridge.callbacks.budgets import Budgets, source_of
from orderbridge.callbacks.easypost import EasyPostReceiver
from orderbridge.callbacks.keys import Resolve, SigningKeys, system_resolve
from orderbridge.callbacks.payload import BadCallback, po_callback, read_envelope
from orderbridge.callbacks.verify import CallbackRejected, KeyUrlPolicy
from orderbridge.config import CallbacksSettings, HttpSettings
from orderbridge.config.directory import TenantDirectory
from orderbridge.connectwise.signatures import signature_matches
from orderbridge.core.clock import Clock, SystemClock
from orderbridge.store import Store
from orderbridge.store.inbox import record_callback

PATH = "/callbacks/connectwise/{tenant}"
SIGNATURE_HEADER = "x-content-signature"
# base64 of a 32-byte HMAC-SHA256: any other length is refused before the body is even parsed.
SIGNATURE_LENGTH = 44
_log = logging.getLogger(__name__)


def _unauthorized(reason: str) -> Response:
    # One answer for every failure, so a caller cannot tell a missing tenant from a bad signature.
    return JSONResponse({"error": "unauthorized", "reason": reason}, status_code=401)


def _too_many(error: str, retry_after: int) -> Response:
    return JSONResponse({"error": error}, status_code=429, headers={"Retry-After": str(retry_after)})


class CallbackReceiver:
    """Holds what the route needs across requests: the key cache and the rate budgets."""

    def __init__(
        self,
        store: Store,
        tenants: TenantDirectory,
        *,
        limits: CallbacksSettings | None = None,
        clock: Clock | None = None,
        key_transport: httpx.AsyncBaseTransport | None = None,
        resolve: Resolve = system_resolve,
        http: HttpSettings | None = None,
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
            http=http,
        )
        self.verified_budget = Budgets(self.limits.per_tenant_per_minute, self.clock)
        self.unverified_budget = Budgets(self.limits.unverified_per_source_per_minute, self.clock)
        self.accepted = 0
        self.duplicates = 0

    def routes(self) -> list[BaseRoute]:
        return [Route(PATH, self.receive, methods=["POST"])]

    async def aclose(self) -> None:
        await self.keys.aclose()

    async def _body(self, request: Request) -> bytes:
        return await read_body(request, self.limits.max_body_bytes)

    def _refuse(self, tenant: str, source: str, reason: str, *, charged: bool = False) -> Response:
        """401 while the source has budget for failures, 429 once it has spent it."""
        if charged or self.unverified_budget.take(source):
            _log.debug("callback for tenant %s from %s rejected: %s", tenant, source, reason)
            return _unauthorized("not signed by this tenant's ConnectWise")
        if self.unverified_budget.first_refusal(source):
            _log.warning("callbacks from %s failed verification too often; answering 429 for now", source)
        return _too_many("too many unverified callbacks", self.unverified_budget.retry_after(source))

    async def receive(self, request: Request) -> Response:
        tenant = str(request.path_params["tenant"])
        source = source_of(request.client.host if request.client else None)
        try:
            body = await self._body(request)
        except TooLarge:
            return JSONResponse({"error": "body too large"}, status_code=413)
        signature = request.headers.get(SIGNATURE_HEADER, "").strip()
        if len(signature) != SIGNATURE_LENGTH:
            reason = "missing x-content-signature" if not signature else "x-content-signature is not an HMAC"
            return self._refuse(tenant, source, reason)
        settings = self.tenants.settings_for(tenant)
        if settings is None:
            return self._refuse(tenant, source, "unknown tenant")
        charged = False
        try:
            envelope = read_envelope(body)
            policy = KeyUrlPolicy.from_settings(settings)
            key_url = policy.check(envelope.key_url)
            key = self.keys.cached(tenant, key_url)
            if key is None:
                # The costly step: only a source with budget left may make us fetch a key.
                if not self.unverified_budget.take(source):
                    return self._refuse(tenant, source, "key fetch over budget")
                charged = True
                key = await self.keys.get(tenant, key_url, policy, client_id=settings.connectwise.client_id)
            if not signature_matches(key, body, signature):
                raise CallbackRejected("signature does not match the body")
        except CallbackRejected as rejected:
            return self._refuse(tenant, source, rejected.reason, charged=charged)
        # Genuine from here on: only now does the callback count against its tenant's limit.
        if not self.verified_budget.take(tenant):
            return _too_many("too many callbacks", self.verified_budget.retry_after(tenant))
        try:
            callback = po_callback(envelope, company=settings.connectwise.company)
        except CallbackRejected as rejected:
            _log.warning("callback for tenant %s rejected: %s", tenant, rejected.reason)
            return _unauthorized("not signed by this tenant's ConnectWise")
        except BadCallback as bad:
            _log.warning("callback for tenant %s refused: %s", tenant, bad.reason)
            return JSONResponse({"error": "bad callback", "reason": bad.reason}, status_code=400)
        if callback is None:
            return Response(status_code=204)  # genuine, but not a PO callback: nothing to do
        fresh = await run_in_threadpool(
            record_callback,
            self.store,
            tenant,
            callback.message_id,
            callback.po_id,
            callback.action,
            self.clock.now(),
        )
        if fresh:
            self.accepted += 1
        else:
            self.duplicates += 1
        return Response(status_code=204)


def callback_routes(
    store: Store,
    tenants: TenantDirectory,
    *,
    limits: CallbacksSettings | None = None,
    clock: Clock | None = None,
    key_transport: httpx.AsyncBaseTransport | None = None,
    resolve: Resolve = system_resolve,
    http: HttpSettings | None = None,
) -> list[BaseRoute]:
    """The routes `web/app.py` mounts with `create_app(..., extra_routes=callback_routes(...))`: ConnectWise's
    PO callbacks and EasyPost's tracker webhooks (callbacks/easypost.py)."""
    receiver = CallbackReceiver(
        store, tenants, limits=limits, clock=clock, key_transport=key_transport, resolve=resolve, http=http
    )
    # EasyPost's tracker webhooks share the budgets: one flood cannot get a second allowance by switching route.
    easypost = EasyPostReceiver(store, tenants, receiver.limits, receiver.clock, budgets=receiver)
    return [*receiver.routes(), *easypost.routes()]
