"""Carry out decided messages: email over SMTP, a note on the linked ticket, a staff Apprise message.

Each message is claimed ("sending", a conditional UPDATE) before anything leaves, and finished ("sent",
or back to "decided" with the error until MAX_ATTEMPTS) after. What a row left in "sending" by a crash
means, per channel:
- ticket note: nothing is lost or doubled. The note's text ends with the message key's marker, and the
  ticket's notes are read for it before any POST (as PO notes are, sync/apply.py), under the writer lease.
- email: SMTP has no way to ask "did you get this one?", so a crash after the server accepted the message
  and before "sent" was recorded (a window of one local UPDATE) leaves it unknowable. We err on sending
  again, with the same Message-ID (derived from the message key): a customer's shipping notice that never
  arrives is worse than a rare duplicate, and mail systems that de-duplicate on Message-ID (Gmail,
  Exchange's duplicate detection) drop the copy. A crash anywhere before the SMTP DATA is accepted, which
  includes every crash between "decided" and "sending", sends it exactly once.
- staff Apprise: the same choice as email (re-sent after an ambiguous crash); it is the MSP's own channel.
A row left "sending" is taken over only after STALE_SENDING (store/outbox.py), longer than any send may
take, so a slow sender is never overtaken; and only the tenant's writer (the lease) delivers at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from typing import Any
from urllib.parse import urlsplit

import aiosmtplib
import apprise
from pydantic import BaseModel, ConfigDict

from orderbridge.config import Settings, SmtpSettings, register_url_secrets
from orderbridge.connectwise.client import ConnectWiseClient
from orderbridge.core.errors import Fatal, OrderbridgeError
from orderbridge.core.redaction import redact
from orderbridge.rules.notes import find_marker
from orderbridge.store import ActivityEntry, Store
from orderbridge.store.outbox import OutboxMessage, claim, finish, note_problem, open_messages
from orderbridge.sync.apply import Fence

ACTOR = "orderbridge-reach"
NO_SMTP = "waiting: reach.smtp.host is not set"
SEND_TIMEOUT_S = 60.0


class _Note(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    id: int
    text: str | None = None


@dataclass
class Delivered:
    sent: int = 0
    failed: int = 0
    found: int = 0  # ticket notes already written before a crash, recognised by their marker
    errors: list[str] = field(default_factory=list)


def message_id(message: OutboxMessage, from_address: str) -> str:
    domain = parseaddr(from_address)[1].rpartition("@")[2] or "orderbridge.invalid"
    return f"<reach.{message.key[:40]}@{domain}>"


def build_email(message: OutboxMessage, smtp: SmtpSettings, now: datetime) -> EmailMessage:
    email = EmailMessage()
    email["From"] = smtp.from_address
    email["To"] = formataddr((message.recipient_name or "", message.recipient))
    if smtp.reply_to:
        email["Reply-To"] = smtp.reply_to
    email["Subject"] = message.subject
    email["Date"] = format_datetime(now)
    email["Message-ID"] = message_id(message, smtp.from_address)
    email["X-Orderbridge-PO"] = message.po_number or str(message.po_id)
    email.set_content(str(message.content.get("text") or ""))
    if message.content.get("html"):
        email.add_alternative(str(message.content["html"]), subtype="html")
    return email


SmtpSend = Callable[[EmailMessage, SmtpSettings], Awaitable[Any]]


async def smtp_send(email: EmailMessage, smtp: SmtpSettings) -> Any:
    """One SMTP conversation per message: a connection left open between cycles would only time out."""
    password = smtp.password.get_secret_value()
    return await aiosmtplib.send(
        email,
        hostname=smtp.host,
        port=smtp.port,
        username=smtp.username or None,
        password=password if smtp.username else None,
        use_tls=smtp.security == "ssl",
        start_tls=smtp.security == "starttls",
        timeout=smtp.timeout_s,
    )


def staff_destinations(settings: Settings) -> list[str]:
    """The staff Apprise URLs as reach names them: by position and scheme, never by URL (it holds tokens)."""
    return [
        f"#{index + 1} {urlsplit(url.get_secret_value()).scheme or 'unknown'}"
        for index, url in enumerate(settings.notifications.urls)
    ]


class Deliverer:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        tenant: str,
        cw: ConnectWiseClient,
        *,
        fence: Fence | None = None,
        send_email: SmtpSend = smtp_send,
    ) -> None:
        self.settings, self.store, self.tenant, self.cw = settings, store, tenant, cw
        self.fence = fence
        self.send_email = send_email

    async def deliver_open(self, now: datetime, *, limit: int = 200) -> Delivered:
        result = Delivered()
        entries: list[ActivityEntry] = []
        for message in open_messages(self.store, self.tenant, now, limit=limit):
            if message.channel == "email" and not self.settings.reach.smtp.host:
                # Waits, attempts untouched, until an SMTP server is configured; the PO page says why.
                if message.error != NO_SMTP:
                    note_problem(self.store, message, now, NO_SMTP)
                continue
            if not claim(self.store, message, now):
                continue  # someone else moved it since we read it
            try:
                external, found = await self._send(message, now)
            except Fatal:
                raise  # the lease is lost or credentials refused: stop; the row stays "sending" for the next writer
            except (OrderbridgeError, OSError, aiosmtplib.SMTPException, TimeoutError) as exc:
                error = redact(f"{type(exc).__name__}: {exc}")[:500]
                finish(self.store, message, now, state="failed", error=error)
                result.failed += 1
                result.errors.append(f"{message.channel} to {message.audience} for PO {message.po_number}: {error}")
                entries.append(self.entry(message, now, "notify_failed", error))
                continue
            finish(self.store, message, now, state="sent", external_id=external)
            result.sent += 1
            result.found += found
            entries.append(self.entry(message, now, "notified", message.subject))
        if entries:
            self.store.append_activity(entries)
        return result

    def entry(self, message: OutboxMessage, now: datetime, action: str, reason: str) -> ActivityEntry:
        # The recipient's address and the subject only: bodies stay in the outbox, never in the log.
        return ActivityEntry(
            at=now,
            tenant=self.tenant,
            actor=ACTOR,
            action=action,
            po_id=message.po_id,
            po_number=message.po_number,
            field=f"{message.event} -> {message.audience} by {message.channel}",
            new_value=message.recipient,
            reason=reason,
        )

    async def _send(self, message: OutboxMessage, now: datetime) -> tuple[str | None, int]:
        if message.channel == "email":
            smtp = self.settings.reach.smtp
            if not smtp.host:
                raise _NotConfigured("reach.smtp.host is not set")
            email = build_email(message, smtp, now)
            await asyncio.wait_for(self.send_email(email, smtp), timeout=smtp.timeout_s + 5)
            return str(email["Message-ID"]), 0
        if message.channel == "ticket_note":
            return await self._ticket_note(message)
        if message.channel == "apprise":
            await self._apprise(message)
            return None, 0
        raise _NotConfigured(f"unknown channel {message.channel!r}")

    async def _ticket_note(self, message: OutboxMessage) -> tuple[str | None, int]:
        ticket = message.recipient.removeprefix("ticket:")
        path = f"/service/tickets/{ticket}/notes"
        text = str(message.content.get("text") or "")
        wanted = find_marker(text)
        for note in await self.cw.list_records(_Note, path, what=f"ticket {ticket} notes"):
            if wanted is not None and find_marker(note.text or "") == wanted:
                return str(note.id), 1  # written before a crash: never twice
        if self.fence is not None:
            self.fence.check()  # between the read above and this POST, nobody else may have written
        reach = self.settings.reach
        body = {
            "text": text,
            "detailDescriptionFlag": reach.customer_facing_notes,
            "internalAnalysisFlag": not reach.customer_facing_notes,
            "resolutionFlag": False,
            "customerUpdatedFlag": False,
            "processNotifications": reach.process_notifications,
        }
        note = await self.cw.create_record(_Note, path, body, what=f"note on ticket {ticket}")
        return str(note.id), 0

    async def _apprise(self, message: OutboxMessage) -> None:
        urls = [url.get_secret_value() for url in self.settings.notifications.urls]
        index = int(message.recipient.split()[0].lstrip("#")) - 1
        if not 0 <= index < len(urls):
            raise _NotConfigured(f"staff destination {message.recipient} is no longer configured")
        register_url_secrets(urls[index])
        sender = apprise.Apprise()
        if not sender.add(urls[index]):
            raise _NotConfigured(f"{message.recipient}: not a valid Apprise URL")
        text = str(message.content.get("text") or "")
        ok = await asyncio.wait_for(
            sender.async_notify(body=text, title=message.subject, body_format=apprise.NotifyFormat.TEXT),
            timeout=SEND_TIMEOUT_S,
        )
        if not ok:
            raise _NotConfigured(f"{message.recipient}: delivery failed (see the Apprise log)")


class _NotConfigured(OrderbridgeError):
    """A message that cannot go out as configured; retried next cycle, in case the config is fixed."""


def summarise(messages: Sequence[OutboxMessage]) -> list[str]:
    return [f"{m.event} -> {m.audience} by {m.channel} to {m.recipient}: {m.state}" for m in messages]
