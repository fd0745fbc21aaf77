"""Hostile XML against the one parser wrapper (reliability-security.md §4.1 tests 1-5, 7, 10).

A loopback canary HTTP server proves that no external DTD or parameter entity is ever fetched.
"""

from __future__ import annotations

import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from orderbridge.core.errors import MalformedResponse
from orderbridge.tdsynnex.xml import parse_status_request, parse_status_response
from orderbridge.tdsynnex.xmlfields import safe_fromstring

SRC = Path(__file__).resolve().parents[2] / "src" / "orderbridge"
PACIFIC = ZoneInfo("America/Los_Angeles")


class Canary:
    def __init__(self) -> None:
        self.hits: list[str] = []
        canary = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                canary.hits.append(self.path)
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"<!ENTITY % all \"<!ENTITY send SYSTEM 'http://127.0.0.1/leak'>\">")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def canary() -> Iterator[Canary]:
    server = Canary()
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode() for i in range(1, 10)
    )
    + b"]><SynnexB2B><OrderStatusResponse><PONumber>&lol9;</PONumber></OrderStatusResponse></SynnexB2B>"
)
QUADRATIC = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "'
    + b"a" * 100_000
    + b'">]><SynnexB2B><OrderStatusResponse><PONumber>'
    + b"&a;" * 10_000
    + b"</PONumber></OrderStatusResponse></SynnexB2B>"
)
XXE_FILE = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b"<SynnexB2B><OrderStatusResponse><PONumber>&x;</PONumber><Code>accepted</Code>"
    b"</OrderStatusResponse></SynnexB2B>"
)


@pytest.mark.parametrize("body", [BILLION_LAUGHS, QUADRATIC, XXE_FILE], ids=["billion-laughs", "quadratic", "xxe"])
def test_entity_attacks_are_refused(body: bytes) -> None:
    for parse in (safe_fromstring, parse_status_request, lambda b: parse_status_response(b, tz=PACIFIC)):
        with pytest.raises(MalformedResponse) as caught:
            parse(body)
        assert "root:" not in str(caught.value)  # nothing of /etc/passwd


def test_external_dtd_is_never_fetched(canary: Canary) -> None:
    body = f'<?xml version="1.0"?><!DOCTYPE r SYSTEM "{canary.url}/x.dtd"><SynnexB2B/>'.encode()
    with pytest.raises(MalformedResponse, match="DTD"):
        parse_status_response(body, tz=PACIFIC)
    assert canary.hits == []


def test_parameter_entity_exfiltration_is_never_fetched(canary: Canary) -> None:
    body = (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % remote SYSTEM "{canary.url}/evil.dtd"> %remote; %all;]>'
        "<SynnexB2B><OrderStatusResponse><PONumber>&send;</PONumber></OrderStatusResponse></SynnexB2B>"
    ).encode()
    for parse in (safe_fromstring, parse_status_request):
        with pytest.raises(MalformedResponse):
            parse(body)
    assert canary.hits == []


def test_external_entity_inside_element_without_doctype_is_malformed(canary: Canary) -> None:
    with pytest.raises(MalformedResponse):
        safe_fromstring(b"<SynnexB2B>&undeclared;</SynnexB2B>")
    assert canary.hits == []


def test_deep_nesting_is_bounded() -> None:
    depth = 100_000
    body = b"<SynnexB2B><OrderStatusResponse><PONumber>P</PONumber><Items>" + b"<x>" * depth + b"</x>" * depth
    body += b"</Items></OrderStatusResponse></SynnexB2B>"
    order = parse_status_response(body, tz=PACIFIC)
    assert order.lines == ()


# Parse entry points of the stdlib and lxml; building with xml.etree.ElementTree is fine anywhere.
_PARSE_CALL = re.compile(
    r"(?:ElementTree|ET|etree|minidom|pulldom|expat|sax)\.(?:fromstring|parse|iterparse|XML|XMLParser|"
    r"XMLPullParser|parseString|ParserCreate|make_parser)\b"
    r"|^\s*(?:from|import)\s+(?:xml\.dom|xml\.sax|xml\.parsers|lxml|defusedxml)\b"
    r"|^\s*from\s+xml\.etree(?:\.c?ElementTree)?\s+import\s+[^\n]*\b(?:fromstring|parse|iterparse|XML|XMLParser)\b",
    re.MULTILINE,
)


def test_only_the_codec_module_parses_xml() -> None:
    wrapper = SRC / "tdsynnex" / "xmlfields.py"
    offenders = [
        f"{path.relative_to(SRC)}: {match.group(0).strip()}"
        for path in sorted(SRC.rglob("*.py"))
        if path != wrapper
        for match in _PARSE_CALL.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], "parse XML through orderbridge.tdsynnex.xmlfields.safe_fromstring only"
