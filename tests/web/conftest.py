"""Fixtures for the dashboard tests: a store full of real engine history, and the app over it.

The history is made once per module by running the real engine over the simulated demo book
(`tools.screenshots.demo_data`); the world of the end-to-end tests is reused from tests/integration.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from tools.screenshots.demo_data import build_demo_history
from web_fixtures import Demo, Webhook

from orderbridge.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('web') / 'demo.db'}")
    try:
        yield Demo(store, asyncio.run(build_demo_history(store)))
    finally:
        store.close()


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
