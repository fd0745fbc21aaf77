"""Hostile responses through the real HTTP path (reliability-security.md §4.1 tests 1, 2, 6) and the
expat start-up check (test 10). The entity, XXE, external-DTD, nesting and grep tests live in
tests/unit/test_tdsynnex_xml_hostile.py; these add what needs a socket or a memory bound.
"""

from __future__ import annotations

import http.server
import tracemalloc
import zlib
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from loopback_server import LoopbackServer
from pydantic import SecretStr

from orderbridge.config import HttpSettings, TDSynnexSettings
from orderbridge.core.errors import MalformedResponse, ResponseTooLarge
from orderbridge.core.xmlguard import MINIMUM_EXPAT, expat_is_current, expat_version, expat_warning
from orderbridge.tdsynnex import TDSynnexClient
from orderbridge.tdsynnex.xml import parse_status_response

CAP = 1 << 20


def gzip_bomb(decoded_bytes: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"<a>" + b"\0" * ((1 << 20) - 3)
    parts = [packer.compress(block) for _ in range(decoded_bytes >> 20)]
    return b"".join([*parts, packer.flush()])


def serve_bytes(body: bytes, headers: dict[str, str]) -> Callable[[http.server.BaseHTTPRequestHandler], None]:
    def answer(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)

    return answer


def client_for(server: LoopbackServer) -> TDSynnexClient:
    settings = TDSynnexSettings(
        url=server.url + "/SynnexXML/POStatus",
        user_id="u@example.com",
        password=SecretStr("pw"),
        customer_number="1",
    )
    return TDSynnexClient(settings, HttpSettings(max_response_bytes=CAP, allow_insecure_loopback=True))


async def test_gzip_bomb_over_a_socket_is_aborted_at_the_cap(loopback: Callable[..., LoopbackServer]) -> None:
    bomb = gzip_bomb(512 << 20)  # 512 MiB decoded, about half a megabyte on the wire
    server = loopback(serve_bytes(bomb, {"Content-Type": "text/xml", "Content-Encoding": "gzip"}))
    tracemalloc.start()
    try:
        async with client_for(server) as client:
            with pytest.raises(ResponseTooLarge, match="after decompression") as caught:
                await client.get_status("PO-1")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert f"{CAP}-byte cap" in str(caught.value)
    assert peak < 16 * CAP, f"peak {peak:,} bytes while refusing a bomb"


async def test_a_large_plain_body_is_refused_by_its_length(loopback: Callable[..., LoopbackServer]) -> None:
    server = loopback(serve_bytes(b"<x>" + b"a" * (2 * CAP), {"Content-Type": "text/xml"}))
    async with client_for(server) as client:
        with pytest.raises(ResponseTooLarge, match="as sent"):
            await client.get_status("PO-1")


def _laughs(levels: int) -> bytes:
    entities = ['<!ENTITY l0 "lol">'] + [f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, levels)]
    return (
        f'<?xml version="1.0"?><!DOCTYPE r [{"".join(entities)}]>'
        f"<SynnexB2B><OrderStatusResponse><PONumber>&l{levels - 1};</PONumber></OrderStatusResponse></SynnexB2B>"
    ).encode()


@pytest.mark.parametrize(
    "body",
    [
        _laughs(12),
        b'<!DOCTYPE r [<!ENTITY a "'
        + b"x" * 200_000
        + b'">]><SynnexB2B><PONumber>'
        + b"&a;" * 50_000
        + b"</PONumber></SynnexB2B>",
    ],
    ids=["billion-laughs", "quadratic-blowup"],
)
def test_entity_bombs_are_refused_without_growing_memory(body: bytes) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(MalformedResponse):
            parse_status_response(body, tz=ZoneInfo("UTC"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * len(body) + (2 << 20)


def test_old_expat_gets_a_warning_naming_the_mitigations() -> None:
    warning = expat_warning((2, 5, 0), max_response_bytes=10_485_760)
    assert warning is not None
    assert "2.5.0" in warning and "2.6.0" in warning
    assert "defusedxml" in warning and "10,485,760-byte" in warning


def test_current_expat_needs_no_warning() -> None:
    assert expat_warning((2, 6, 0)) is None and expat_warning((2, 7, 1)) is None
    assert expat_is_current((3, 0, 0)) and not expat_is_current((2, 5, 9))


def test_this_interpreter_is_checked_against_the_minimum() -> None:
    version = expat_version()
    assert (expat_warning() is None) == (version >= MINIMUM_EXPAT)
