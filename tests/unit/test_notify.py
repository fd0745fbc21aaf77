"""Notifications: a real SMTP server (aiosmtpd on 127.0.0.1, port 0) and a real HTTP webhook receive
them; a broken destination is counted and logged by position and scheme only, and never raises."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email import message_from_bytes
from email.message import Message as EmailMessage
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from orderbridge.alerts.evaluate import AlertOutcome
from orderbridge.config import DisplaySettings, Settings
from orderbridge.core.domain import Stage
from orderbridge.notify import build_messages, notify
from orderbridge.store import EventRecord
from orderbridge.store.alerts import AlertRecord
from orderbridge.store.facts import FactsRow, TrackingLink

NOW = datetime(2026, 3, 9, 15, 0, tzinfo=UTC)
SMTP_PASSWORD = "smtp-Canary-7f3e9a"  # a canary that must never reach a log line


@dataclass
class Mailbox:
    """An SMTP server on a real loopback socket, in this test's event loop."""

    messages: list[EmailMessage] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.messages.append(message_from_bytes(envelope.original_content or b""))
        return "250 OK"

    def authenticate(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
        if isinstance(data, LoginPassword):
            self.logins.append((data.login.decode(), data.password.decode()))
            return AuthResult(success=data.password.decode() == SMTP_PASSWORD)
        return AuthResult(success=False)


@pytest.fixture
async def mailbox() -> AsyncIterator[tuple[Mailbox, int]]:
    box = Mailbox()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(box, authenticator=box.authenticate, auth_require_tls=False), "127.0.0.1", 0
    )
    try:
        yield box, server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


@dataclass
class Hook:
    bodies: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
async def webhook() -> AsyncIterator[tuple[Hook, int]]:
    """A minimal HTTP/1.1 endpoint answering 200 to every POST (Apprise's json:// target)."""
    hook = Hook()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            (int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")),
            0,
        )
        hook.bodies.append(json.loads(await reader.readexactly(length)))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        yield hook, server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


def settings(urls: list[str], **notifications: Any) -> Settings:
    return Settings(
        connectwise={"company": "c", "public_key": "p", "private_key": "k", "client_id": "x"},
        tdsynnex={"user_id": "u", "password": "pw", "customer_number": "1"},
        notifications={"urls": urls, "dashboard_url": "https://ops.example.com", **notifications},
    )


ALERT = AlertRecord(
    tenant="acme",
    po_id=42,
    po_number="PO-42",
    rule="ship_date_missed",
    message="PO-42: estimated ship date 2026-03-05 passed 4 day(s) ago, not shipped yet",
    opened_at=NOW,
    last_seen_at=NOW,
    id=5,
)
SHIPPED = EventRecord(
    tenant="acme",
    po_id=42,
    key="stage:SHIPPED",
    kind="stage_changed",
    summary="TDS Shipped: 1 of 2 lines shipped",
    occurred_at=NOW,
    stage=Stage.SHIPPED,
)
FACTS = FactsRow(
    "acme",
    42,
    "PO-42",
    NOW,
    NOW,
    stage=Stage.SHIPPED,
    tracking=(TrackingLink("541877002320", "FedEx", "https://www.fedex.com/fedextrack/?trknbr=541877002320"),),
    expected_delivery_date=date(2026, 3, 12),
)


def test_messages_for_alerts_resolutions_and_chosen_stages_only() -> None:
    accepted = EventRecord("acme", 42, "stage:ACCEPTED", "stage_changed", "TDS Accepted", NOW, Stage.ACCEPTED)
    messages = build_messages(
        opened=[ALERT],
        resolved=[ALERT],
        events=[accepted, SHIPPED],
        facts={42: FACTS},
        alert_rules=(),
        notify_resolved=True,
        stage_changes=("shipped",),
        dashboard_url="https://ops.example.com/",
    )
    assert [m.kind for m in messages] == ["alert", "resolved", "stage"]
    assert messages[0].title == "[orderbridge] Estimated ship date missed: PO-42"
    assert "Timeline: https://ops.example.com/po/acme/42" in messages[0].body
    assert "FedEx 541877002320: https://www.fedex.com/fedextrack/?trknbr=541877002320" in messages[2].body
    assert "Expected delivery: 2026-03-12" in messages[2].body
    only_not_found = build_messages(
        opened=[ALERT],
        resolved=[],
        events=[],
        facts={},
        alert_rules=("not_found",),
        notify_resolved=False,
        stage_changes=(),
        dashboard_url=None,
    )
    assert only_not_found == []


async def test_email_arrives_at_a_real_smtp_server_with_tracking_links(mailbox: tuple[Mailbox, int]) -> None:
    box, port = mailbox
    url = f"mailto://ops:{SMTP_PASSWORD}@127.0.0.1:{port}?from=orderbridge@example.com&to=buyer@example.com"
    result = await notify(settings([url]), AlertOutcome(opened=(ALERT,)), [SHIPPED], facts={42: FACTS})
    assert (result.sent, result.failed, result.messages) == (2, 0, 2)
    assert result.notified_alert_ids == [5]
    assert set(box.logins) == {("ops", SMTP_PASSWORD)}
    subjects = sorted(str(m["Subject"]) for m in box.messages)
    assert subjects == ["[orderbridge] Estimated ship date missed: PO-42", "[orderbridge] PO-42: Shipped"]
    shipped = next(m for m in box.messages if "Shipped" in str(m["Subject"]))
    body = b"".join(part.get_payload(decode=True) or b"" for part in shipped.walk() if not part.is_multipart())
    assert b"https://www.fedex.com/fedextrack/?trknbr=541877002320" in body
    assert str(shipped["To"]) == "buyer@example.com"


async def test_generic_webhook_receives_json(webhook: tuple[Hook, int]) -> None:
    hook, port = webhook
    result = await notify(settings([f"json://127.0.0.1:{port}/hooks"]), AlertOutcome(opened=(ALERT,)), [])
    assert (result.sent, result.failed) == (1, 0)
    assert hook.bodies[0]["title"] == "[orderbridge] Estimated ship date missed: PO-42"
    assert "not shipped yet" in hook.bodies[0]["message"]


async def test_times_in_a_message_are_in_the_display_zone_and_say_so(webhook: tuple[Hook, int]) -> None:
    hook, port = webhook
    berlin = settings([f"json://127.0.0.1:{port}/hooks"]).model_copy(
        update={"display": DisplaySettings(timezone="Europe/Berlin")}
    )
    await notify(berlin, AlertOutcome(opened=(ALERT,)), [])
    assert "Opened 2026-03-09 16:00 Europe/Berlin." in hook.bodies[0]["message"]  # 15:00 UTC
    assert "UTC" not in hook.bodies[0]["message"]


async def test_a_dead_destination_is_counted_and_logged_without_its_secret(
    mailbox: tuple[Mailbox, int], caplog: pytest.LogCaptureFixture
) -> None:
    box, port = mailbox
    caplog.set_level(logging.DEBUG)
    dead = f"mailto://ops:{SMTP_PASSWORD}@127.0.0.1:1?from=orderbridge@example.com&to=buyer@example.com"
    alive = f"mailto://ops:{SMTP_PASSWORD}@127.0.0.1:{port}?from=orderbridge@example.com&to=buyer@example.com"
    result = await notify(settings([dead, "nonsense://", alive]), AlertOutcome(opened=(ALERT,)), [])
    assert (result.sent, result.failed) == (1, 2)
    assert result.errors[0].startswith("#1 mailto:") and result.errors[1].startswith("#2 nonsense:")
    assert len(box.messages) == 1
    logged = "\n".join(r.getMessage() for r in caplog.records) + "\n".join(result.errors)
    assert SMTP_PASSWORD not in logged
    assert "notification failed: #1 mailto" in logged


async def test_nothing_configured_sends_nothing() -> None:
    result = await notify(settings([]), AlertOutcome(opened=(ALERT,)), [SHIPPED])
    assert (result.sent, result.failed, result.messages) == (0, 0, 0)
