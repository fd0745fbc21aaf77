"""Fixtures for the security tests: a loopback canary HTTP server that must never be reached, and
loopback servers for answers that must really cross a socket."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from loopback_server import Answer, LoopbackServer, ok_answer


@pytest.fixture
def canary() -> Iterator[LoopbackServer]:
    """A server that must record zero hits when the code under test behaves."""
    server = LoopbackServer(ok_answer)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def loopback() -> Iterator[Callable[[Answer], LoopbackServer]]:
    started: list[LoopbackServer] = []

    def start(answer: Answer) -> LoopbackServer:
        server = LoopbackServer(answer)
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.close()
