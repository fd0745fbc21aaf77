"""Fixtures for the dashboard tests: a store full of real engine history, and the app over it.

The history is made once per module by running the real engine over the simulated demo book
(`orderbridge.web.demo_data`); the world of the end-to-end tests is reused from tests/integration.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from starlette.applications import Starlette

from orderbridge.store import Store
from orderbridge.web.app import create_app
from orderbridge.web.demo_data import DemoHistory, build_demo_history

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))


@dataclass
class Demo:
    store: Store
    history: DemoHistory

    def app(self, *, token: str | None = None, **kwargs: object) -> Starlette:
        return create_app(self.history.settings, self.store, token=token, clock=self.history.clock, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('web') / 'demo.db'}")
    try:
        yield Demo(store, asyncio.run(build_demo_history(store)))
    finally:
        store.close()


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


@pytest.fixture
async def webhook() -> AsyncIterator[Webhook]:
    hook = Webhook()
    server = await asyncio.start_server(hook.serve, "127.0.0.1", 0)
    hook.port = server.sockets[0].getsockname()[1]
    try:
        yield hook
    finally:
        server.close()
        await server.wait_closed()
