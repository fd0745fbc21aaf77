"""What the reach tests share: a real SMTP server and a real webhook on loopback, and a PO with context."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from world import World

from orderbridge.simulators.connectwise.context_seed import Person, add_customer_context

CUSTOMER = Person("Dana", "Reyes", "dana@acme.example")
REQUESTER = Person("Tom", "Ito", "tom@acme.example")
SALES_REP = Person("Sam", "Seller", "sam@msp.example")
MANAGER = Person("Pat", "Planner", "pat@msp.example")


@dataclass
class Mailbox:
    """Every message a real SMTP server (aiosmtpd, 127.0.0.1) accepted, with its envelope recipients."""

    messages: list[Message] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.messages.append(message_from_bytes(envelope.original_content or b""))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for m, rcpt in zip(self.messages, self.recipients, strict=True) if address in rcpt]


@asynccontextmanager
async def mailbox() -> AsyncIterator[tuple[Mailbox, int]]:
    box = Mailbox()
    server = await asyncio.get_running_loop().create_server(lambda: SMTP(box), "127.0.0.1", 0)
    try:
        yield box, server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


@dataclass
class Hook:
    bodies: list[dict[str, Any]] = field(default_factory=list)


@asynccontextmanager
async def webhook() -> AsyncIterator[tuple[Hook, int]]:
    """A minimal HTTP/1.1 endpoint answering 200 to every POST (the staff's Apprise json:// URL)."""
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


def reach_settings(smtp_port: int, **overrides: Any) -> dict[str, Any]:
    return {
        "enabled": True,
        "smtp": {
            "host": "127.0.0.1",
            "port": smtp_port,
            "security": "none",
            "from_address": "Acme IT <it@msp.example>",
        },
        **overrides,
    }


def with_context(w: World, po_number: str, **kwargs: Any) -> dict[str, int]:
    po = w.po(po_number)
    values: dict[str, Any] = {
        "company_name": "Acme Dental",
        "contact": CUSTOMER,
        "ticket_contact": REQUESTER,
        "sales_rep": SALES_REP,
        "project_manager": MANAGER,
        **kwargs,
    }
    return add_customer_context(w.cw, po["id"], **values)


def body_text(message: Message) -> str:
    parts = [part for part in message.walk() if part.get_content_type() == "text/plain"]
    payload = parts[0].get_payload(decode=True) if parts else b""
    return payload.decode() if isinstance(payload, bytes) else ""
