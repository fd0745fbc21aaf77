"""The reach outbox: every message to a person about a PO, from "decided" to "sent", exactly once.

One row per (tenant, PO, event, audience, channel, recipient), keyed by `message_key` (a digest of those
six, also the email's Message-ID and the ticket note's marker). A row is inserted ("decided") with the
rendered message in it, so a later cycle can send exactly what was decided even after a crash lost the
event from memory; inserting again is a no-op, so a replayed cycle or a second writer decides nothing
twice. Sending claims the row with a conditional UPDATE on the state and attempt count it read ("sending"),
so two senders can never both claim one message; `finish` records the outcome. reach/deliver.py says what
a row left in "sending" by a crash means for each channel; the event cursor is in reach_events.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
    and_,
    or_,
    select,
    update,
)

from orderbridge.store.reach_events import advance_in
from orderbridge.store.store import Store, upsert
from orderbridge.store.tables import JSONText, UTCDateTime, metadata

OPEN_STATES = ("decided", "sending")
MAX_ATTEMPTS = 5  # then the row stays "failed" and the dashboard shows why
# A row "sending" for longer than this was left by a sender that is gone (crashed, or lost its lease):
# longer than any one send may take (SMTP and Apprise are bounded well below it), so a sender still at
# work is never overtaken by a second one.
STALE_SENDING = timedelta(minutes=5)

reach_messages = Table(
    "reach_messages",
    metadata,
    Column("tenant", String(100), primary_key=True),
    Column("message_key", String(64), primary_key=True),
    Column("po_id", BigInteger, nullable=False),
    Column("po_number", String(100), nullable=True),
    Column("event_key", Text, nullable=False),
    Column("event", String(30), nullable=False),
    Column("audience", String(30), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("recipient_name", String(200), nullable=True),
    Column("subject", Text, nullable=False),
    Column("content", JSONText, nullable=False),  # what to send: text, html, note text, addresses
    Column("state", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("external_id", String(200), nullable=True),  # the ticket note id, or the Message-ID
    Column("error", Text, nullable=True),
    Column("decided_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime, nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    Index(None, "tenant", "state"),
    Index(None, "tenant", "po_id"),
)


def message_key(tenant: str, po_id: int, event_key: str, audience: str, channel: str, recipient: str) -> str:
    raw = "\x1f".join((tenant, str(po_id), event_key, audience, channel, recipient.casefold()))
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    tenant: str
    po_id: int
    po_number: str | None
    event_key: str
    event: str
    audience: str
    channel: str
    recipient: str
    recipient_name: str | None
    subject: str
    content: dict[str, Any]
    state: str = "decided"
    attempts: int = 0
    external_id: str | None = None
    error: str | None = None
    decided_at: datetime | None = None
    sent_at: datetime | None = None

    @property
    def key(self) -> str:
        return message_key(self.tenant, self.po_id, self.event_key, self.audience, self.channel, self.recipient)


_COLUMNS = (
    "tenant",
    "po_id",
    "po_number",
    "event_key",
    "event",
    "audience",
    "channel",
    "recipient",
    "recipient_name",
    "subject",
    "content",
    "state",
    "attempts",
    "external_id",
    "error",
    "decided_at",
    "sent_at",
)


def _message(row: Any) -> OutboxMessage:
    return OutboxMessage(**{name: getattr(row, name) for name in _COLUMNS})


def decide(
    store: Store, tenant: str, messages: Sequence[OutboxMessage], now: datetime, *, cursor: int | None = None
) -> list[OutboxMessage]:
    """Record messages as decided, and move the event cursor to `cursor` in the same transaction, so a
    crash either decides an event's messages and passes it, or does neither. Messages already recorded (any
    state) are left alone. Returns the new ones."""
    with store.transaction() as connection:
        keys = {m.key for m in messages}
        known = (
            set(
                connection.scalars(
                    select(reach_messages.c.message_key).where(
                        reach_messages.c.tenant == tenant, reach_messages.c.message_key.in_(keys)
                    )
                )
            )
            if keys
            else set()
        )
        rows, new = [], []
        for m in messages:
            if m.key in known:
                continue
            known.add(m.key)
            new.append(m)
            values = {name: getattr(m, name) for name in _COLUMNS}
            state = "skipped" if m.state == "skipped" else "decided"
            values.update(message_key=m.key, state=state, attempts=0, decided_at=now, updated_at=now)
            rows.append(values)
        if rows:
            connection.execute(upsert(connection, reach_messages).on_conflict_do_nothing(), rows)
        if cursor is not None:
            advance_in(connection, tenant, cursor, now)
        return new


def open_messages(store: Store, tenant: str, now: datetime, *, limit: int = 200) -> list[OutboxMessage]:
    """Decided messages, and ones a gone sender left "sending" (STALE_SENDING), oldest first."""
    query = (
        select(reach_messages)
        .where(
            reach_messages.c.tenant == tenant,
            or_(
                reach_messages.c.state == "decided",
                and_(reach_messages.c.state == "sending", reach_messages.c.updated_at <= now - STALE_SENDING),
            ),
            reach_messages.c.attempts < MAX_ATTEMPTS,
        )
        .order_by(reach_messages.c.decided_at, reach_messages.c.message_key)
        .limit(limit)
    )
    with store.reading() as connection:
        return [_message(row) for row in connection.execute(query)]


def claim(store: Store, message: OutboxMessage, now: datetime) -> bool:
    """Mark "sending" (attempts + 1) if the row is still as `message` read it; False if someone else moved it."""
    with store.transaction() as connection:
        result = connection.execute(
            update(reach_messages)
            .where(
                reach_messages.c.tenant == message.tenant,
                reach_messages.c.message_key == message.key,
                reach_messages.c.state == message.state,
                reach_messages.c.attempts == message.attempts,
            )
            .values(state="sending", attempts=message.attempts + 1, updated_at=now)
        )
        return bool(result.rowcount == 1)


def finish(
    store: Store,
    message: OutboxMessage,
    now: datetime,
    *,
    state: str,
    external_id: str | None = None,
    error: str | None = None,
) -> None:
    """Record the outcome: "sent", "failed" (retried next cycle below MAX_ATTEMPTS) or "skipped"."""
    values: dict[str, Any] = {"state": state, "error": error, "updated_at": now}
    if external_id is not None:
        values["external_id"] = external_id
    if state == "sent":
        values["sent_at"] = now
    if state == "failed":
        values["state"] = "decided" if message.attempts + 1 < MAX_ATTEMPTS else "failed"
    with store.transaction() as connection:
        connection.execute(
            update(reach_messages)
            .where(reach_messages.c.tenant == message.tenant, reach_messages.c.message_key == message.key)
            .values(**values)
        )


def note_problem(store: Store, message: OutboxMessage, now: datetime, error: str) -> None:
    """Say why a decided message waits (no SMTP server configured) without spending one of its attempts."""
    with store.transaction() as connection:
        connection.execute(
            update(reach_messages)
            .where(
                reach_messages.c.tenant == message.tenant,
                reach_messages.c.message_key == message.key,
                reach_messages.c.state == "decided",
            )
            .values(error=error, updated_at=now)
        )


def messages_for(store: Store, tenant: str, po_id: int) -> list[OutboxMessage]:
    """Who was told what about one PO, newest decision first (dashboard, `orderbridge reach show`)."""
    query = (
        select(reach_messages)
        .where(reach_messages.c.tenant == tenant, reach_messages.c.po_id == po_id)
        .order_by(reach_messages.c.decided_at.desc(), reach_messages.c.message_key)
    )
    with store.reading() as connection:
        return [_message(row) for row in connection.execute(query)]
