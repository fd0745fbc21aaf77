"""`POST /callbacks/easypost/{tenant}`: EasyPost pushes a tracker update; the parcel is updated and its PO
checked soon.

Order, as for ConnectWise's callbacks (receiver.py, reliability-security.md §4.4): cap the body, refuse
a missing or malformed `X-Hmac-Signature` before any lookup, find the tenant and its `[carriers.easypost]
webhook_secret`, check the HMAC over the raw bytes (carriers/easypost_webhook.py), and only then spend
the tenant's rate limit and read the event. What fails verification spends the sender's own budget (the
same budgets as ConnectWise's callbacks), so a flood of forged posts cannot starve genuine ones.

A verified `tracker.updated` is applied to every PO's row of that tracking number that EasyPost follows
for us, through the same merge as a poll (rules/parcel_schedule.py, which never moves a story back, so
an event delivered late or twice is harmless); each PO whose parcels changed for the planner is queued
in the callback inbox, keyed by the event id, so a re-delivered event is queued once. EasyPost expects a
2xx; anything else is retried by EasyPost.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from typing import Protocol

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from orderbridge.callbacks.body import TooLarge, read_body
from orderbridge.callbacks.budgets import Budgets, source_of
from orderbridge.carriers.easypost_webhook import (
    PREFIX,
    SIGNATURE_HEADER,
    TrackerEvent,
    read_tracker_event,
    signature_is_valid,
)
from orderbridge.config import CallbacksSettings, CarrierSettings
from orderbridge.config.directory import TenantDirectory
from orderbridge.core.clock import Clock
from orderbridge.core.delivery import ParcelStatus
from orderbridge.core.errors import MalformedResponse
from orderbridge.rules.parcel_schedule import apply_answer, parcels_digest
from orderbridge.store import Store
from orderbridge.store.inbox import record_callback
from orderbridge.store.parcels import parcels_by_number, save_parcels

PATH = "/callbacks/easypost/{tenant}"
SIGNATURE_LENGTH = len(PREFIX) + 64  # "hmac-sha256-hex=" + a lower-case hex SHA-256
PROVIDER = "easypost"
_log = logging.getLogger(__name__)


class SharedBudgets(Protocol):
    """What the EasyPost receiver borrows from the ConnectWise one: its two allowances."""

    verified_budget: Budgets
    unverified_budget: Budgets


def apply_tracker_event(
    store: Store, tenant: str, settings: CarrierSettings, event: TrackerEvent, now: datetime
) -> int:
    """Apply one verified tracker event; returns how many POs were queued for a check."""
    status = event.status
    if not isinstance(status, ParcelStatus):
        return 0  # the tracker is in error: the next poll reports it
    rows = [p for p in parcels_by_number(store, tenant, status.tracking_number) if p.provider == PROVIDER]
    updated = [apply_answer(parcel, status, now, settings, polled=False) for parcel in rows]
    save_parcels(store, updated)
    event_id = event.event_id or hashlib.sha256(repr(status).encode()).hexdigest()[:32]
    queued = 0
    for old, new in zip(rows, updated, strict=True):
        if parcels_digest([old]) != parcels_digest([new]):
            queued += record_callback(store, tenant, f"easypost:{event_id}:{new.po_id}", new.po_id, "carrier", now)
    return queued


class EasyPostReceiver:
    def __init__(
        self, store: Store, tenants: TenantDirectory, limits: CallbacksSettings, clock: Clock, *, budgets: SharedBudgets
    ) -> None:
        self.store = store
        self.tenants = tenants
        self.limits = limits
        self.clock = clock
        self.verified_budget = budgets.verified_budget
        self.unverified_budget = budgets.unverified_budget
        self.accepted = 0

    def routes(self) -> list[BaseRoute]:
        return [Route(PATH, self.receive, methods=["POST"])]

    def _refuse(self, tenant: str, source: str, reason: str) -> Response:
        """401 while the source has budget for failures, 429 once it has spent it."""
        if self.unverified_budget.take(source):
            _log.debug("EasyPost webhook for tenant %s from %s rejected: %s", tenant, source, reason)
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        if self.unverified_budget.first_refusal(source):
            _log.warning("EasyPost webhooks from %s failed verification too often; answering 429 for now", source)
        retry = str(self.unverified_budget.retry_after(source))
        return JSONResponse({"error": "too many unverified webhooks"}, status_code=429, headers={"Retry-After": retry})

    async def receive(self, request: Request) -> Response:
        tenant = str(request.path_params["tenant"])
        source = source_of(request.client.host if request.client else None)
        try:
            body = await read_body(request, self.limits.max_body_bytes)
        except TooLarge:
            return JSONResponse({"error": "body too large"}, status_code=413)
        signature = request.headers.get(SIGNATURE_HEADER, "").strip()
        if len(signature) != SIGNATURE_LENGTH or not signature.startswith(PREFIX):
            return self._refuse(tenant, source, "missing or malformed X-Hmac-Signature")
        settings = self.tenants.settings_for(tenant)
        secret = settings.carriers.easypost.webhook_secret.get_secret_value() if settings is not None else ""
        if settings is None or not settings.carriers.enabled or not secret:
            return self._refuse(tenant, source, "unknown tenant, or no [carriers.easypost] webhook_secret")
        if not signature_is_valid(secret, body, signature):
            return self._refuse(tenant, source, "signature does not match the body")
        # Genuine from here on: only now does the webhook count against its tenant's limit.
        if not self.verified_budget.take(tenant):
            retry = str(self.verified_budget.retry_after(tenant))
            return JSONResponse({"error": "too many webhooks"}, status_code=429, headers={"Retry-After": retry})
        try:
            event = read_tracker_event(body)
        except MalformedResponse as bad:
            _log.warning("EasyPost webhook for tenant %s refused: %s", tenant, bad.message)
            return JSONResponse({"error": "bad webhook"}, status_code=400)
        if event is not None:
            now = self.clock.now()
            self.accepted += await run_in_threadpool(
                apply_tracker_event, self.store, tenant, settings.carriers, event, now
            )
        return JSONResponse({}, status_code=200)
