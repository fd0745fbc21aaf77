"""Simulated EasyPost webhooks: `/v2/webhooks` registrations, `tracker.*` events, signed delivery.

When a tracker's journey moves on (a new scan, a new status or estimate on the simulated clock), the
next `deliver_webhooks(state)` (easypost_api.py, which renders trackers) queues one `tracker.updated`
Event (carriers.md §1.9) per active webhook of the tracker's mode, with `previous_attributes` holding
the old status, and POSTs it signed as EasyPost signs: `X-Hmac-Signature: hmac-sha256-hex=...` over
the exact body, keyed by the NFKD-normalised secret. A 2xx completes it; anything else is retried 1, 5
and 30 minutes later in simulated time (the real schedule is UNCONFIRMED). Sending goes through an
injectable httpx transport or `sender`, so in-process tests route it straight into a receiver app.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import httpx

from orderbridge.carriers.easypost_webhook import SIGNATURE_HEADER, signature_for
from orderbridge.core.clock import Clock

RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30))
TIMEOUT_S = 10.0
Sender = Callable[[str, bytes, dict[str, str]], Awaitable[int]]


@dataclass
class Hook:
    id: str
    url: str
    secret: str
    mode: str
    created_at: datetime
    disabled_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        # The secret is accepted and never shown again, as with the real API.
        return {
            "id": self.id,
            "object": "Webhook",
            "mode": self.mode,
            "url": self.url,
            "created_at": self.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "disabled_at": self.disabled_at.strftime("%Y-%m-%dT%H:%M:%SZ") if self.disabled_at else None,
            "custom_headers": [],
        }


@dataclass
class Delivery:
    hook_id: str
    event_id: str
    url: str
    body: bytes
    signature: str | None
    due_at: datetime
    attempts: int = 0
    statuses: list[int | str] = field(default_factory=list)


class WebhookHub:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.hooks: dict[str, Hook] = {}
        self.outbox: list[Delivery] = []
        self.attempts: list[Delivery] = []  # a copy per attempt, for assertions
        self.transport: httpx.AsyncBaseTransport | None = None
        self.sender: Sender | None = None

    def clear(self) -> None:
        self.hooks.clear()
        self.outbox.clear()
        self.attempts.clear()

    def create(self, url: str, secret: str, mode: str) -> Hook:
        hook = Hook("hook_" + secrets.token_hex(16), url, secret, mode, self.clock.now())
        self.hooks[hook.id] = hook
        return hook

    def queue(self, event: dict[str, Any], mode: str) -> int:
        queued = 0
        for hook in self.hooks.values():
            if hook.disabled_at is not None or hook.mode != mode:
                continue
            body = json.dumps({**event, "pending_urls": [hook.url]}, separators=(",", ":")).encode()
            signature = signature_for(hook.secret, body) if hook.secret else None
            self.outbox.append(Delivery(hook.id, event["id"], hook.url, body, signature, self.clock.now()))
            queued += 1
        return queued

    async def deliver_due(self) -> int:
        now = self.clock.now()
        due = [d for d in self.outbox if d.due_at <= now]
        self.outbox = [d for d in self.outbox if d.due_at > now]
        for delivery in due:
            headers = {"Content-Type": "application/json", "User-Agent": "EasyPost WebHook Agent 1.0"}
            if delivery.signature:
                headers[SIGNATURE_HEADER] = delivery.signature
            delivery.attempts += 1
            try:
                status: int | str = await (self.sender or self._post)(delivery.url, delivery.body, headers)
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            delivery.statuses.append(status)
            self.attempts.append(replace(delivery, statuses=list(delivery.statuses)))  # as it was at this attempt
            ok = isinstance(status, int) and 200 <= status < 300
            if not ok and delivery.attempts <= len(RETRY_DELAYS):
                delivery.due_at = now + RETRY_DELAYS[delivery.attempts - 1]
                self.outbox.append(delivery)
        return len(due)

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        async with httpx.AsyncClient(transport=self.transport, timeout=TIMEOUT_S, trust_env=False) as client:
            response = await client.post(url, content=body, headers=headers)
            return response.status_code


def tracker_event(
    description: str, tracker_body: dict[str, Any], previous: dict[str, Any], now: datetime
) -> dict[str, Any]:
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {
        "id": "evt_" + secrets.token_hex(16),
        "object": "Event",
        "mode": tracker_body["mode"],
        "user_id": "user_demo",
        "description": description,
        "status": "pending",
        "previous_attributes": previous,
        "pending_urls": [],
        "completed_urls": [],
        "created_at": stamp,
        "updated_at": stamp,
        "result": tracker_body,
    }
