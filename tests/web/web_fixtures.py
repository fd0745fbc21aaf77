"""The dashboard tests' helper types, in a module of their own: test files import it by name, which
works whatever order pytest collects the directories in (importing `conftest` by name does not)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

from starlette.applications import Starlette
from tools.screenshots.demo_data import DemoHistory

from orderbridge.store import Store
from orderbridge.web.app import create_app


@dataclass
class Demo:
    store: Store
    history: DemoHistory

    def app(self, *, token: str | None = None, **kwargs: object) -> Starlette:
        return create_app(self.history.settings, self.store, token=token, clock=self.history.clock, **kwargs)  # type: ignore[arg-type]


@dataclass
class Webhook:
    """A minimal HTTP endpoint on a real loopback socket that keeps every JSON body posted to it."""

    port: int = 0
    bodies: list[dict[str, object]] = field(default_factory=list)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        sizes = [int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")]
        self.bodies.append(json.loads(await reader.readexactly(sizes[0] if sizes else 0)))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()
