"""`notify`: send one cycle's messages through Apprise (email, Teams, Slack, generic webhooks...).

It never raises into the engine: a destination that is down or misconfigured is logged and counted,
and the sync goes on. Apprise URLs carry passwords and tokens, so a destination is only ever named by
its position and scheme ("#2 mailto"), never by its URL, in logs and in the result.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

import apprise

from orderbridge.alerts.evaluate import AlertOutcome
from orderbridge.config import NotificationSettings, Settings, register_url_secrets
from orderbridge.core.redaction import redact
from orderbridge.notify.messages import Message, build_messages
from orderbridge.store import Store
from orderbridge.store.alerts import mark_notified
from orderbridge.store.facts import FactsRow
from orderbridge.store.records import EventRecord

log = logging.getLogger("orderbridge.notify")
# Apprise's own timeouts are per connection attempt; this bounds one destination's whole delivery.
SEND_TIMEOUT_S = 60.0


@dataclass
class NotifyResult:
    """Deliveries attempted (messages x destinations), how many failed, and why (scheme-level only)."""

    sent: int = 0
    failed: int = 0
    messages: int = 0
    errors: list[str] = field(default_factory=list)
    notified_alert_ids: list[int] = field(default_factory=list)


def destination_name(index: int, url: str) -> str:
    scheme = urlsplit(url).scheme or "unknown"
    return f"#{index + 1} {scheme}"


async def _deliver(url: str, name: str, message: Message) -> str | None:
    """None on success, else a message that names the destination without its URL."""
    sender = apprise.Apprise()
    if not sender.add(url):
        return f"{name}: not a valid Apprise URL (check the scheme and the parts after it)"
    try:
        ok = await asyncio.wait_for(
            sender.async_notify(body=message.body, title=message.title, body_format=apprise.NotifyFormat.TEXT),
            timeout=SEND_TIMEOUT_S,
        )
    except TimeoutError:
        return f"{name}: no answer within {SEND_TIMEOUT_S:.0f}s"
    except Exception as exc:  # a plugin bug must not reach the engine
        return f"{name}: {type(exc).__name__}: {redact(str(exc))}"
    return None if ok else f"{name}: delivery failed (see the Apprise log for the service's answer)"


async def send_messages(config: NotificationSettings, messages: Sequence[Message]) -> NotifyResult:
    result = NotifyResult(messages=len(messages))
    urls = [secret.get_secret_value() for secret in config.urls]
    for url in urls:
        register_url_secrets(url)
    for message in messages:
        delivered = False
        for index, url in enumerate(urls):
            name = destination_name(index, url)
            problem = await _deliver(url, name, message)
            if problem is None:
                result.sent += 1
                delivered = True
                continue
            result.failed += 1
            text = redact(f"{problem} ({message.kind} for PO id {message.po_id})")
            result.errors.append(text)
            log.warning("notification failed: %s", text)
        if delivered and message.kind == "alert" and message.alert_id is not None:
            result.notified_alert_ids.append(message.alert_id)
    return result


async def notify(
    settings: Settings,
    outcome: AlertOutcome,
    events: Sequence[EventRecord],
    *,
    facts: Mapping[int, FactsRow] | None = None,
    store: Store | None = None,
    now: datetime | None = None,
) -> NotifyResult:
    """Send what this cycle calls for: new alerts, resolutions (when configured) and the chosen stage
    changes. Never raises; failures are logged and counted in the result."""
    config = settings.notifications
    try:
        if not config.urls:
            return NotifyResult()
        messages = build_messages(
            opened=outcome.opened,
            resolved=outcome.resolved,
            events=events,
            facts=facts or {},
            alert_rules=config.alert_rules,
            notify_resolved=config.notify_resolved,
            stage_changes=config.stage_changes,
            dashboard_url=config.dashboard_url,
            zone=settings.display.zone,
        )
        result = await send_messages(config, messages)
        if store is not None and now is not None and result.notified_alert_ids:
            mark_notified(store, result.notified_alert_ids, now)
        return result
    except Exception as exc:  # best effort: the sync must go on
        text = redact(f"notifications skipped: {type(exc).__name__}: {exc}")
        log.error("%s", text)
        return NotifyResult(failed=1, errors=[text])
