"""An httpx transport that counts every request the clients send, by the kind `model.py` names.

It sits below ServiceHTTP, so retries count as the extra calls they are. Real sockets underneath.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from yarl import URL

from orderbridge.http.transport import AiohttpTransport

from .carriers import carrier_kind

_PO = r"/procurement/purchaseorders"
_RULES = (
    ("GET", re.compile(_PO + r"/?$"), "cw_list"),
    ("GET", re.compile(_PO + r"/\d+/lineitems/?$"), "cw_line_get"),
    ("PATCH", re.compile(_PO + r"/\d+/?$"), "cw_po_patch"),
    ("PATCH", re.compile(_PO + r"/\d+/lineitems/\d+/?$"), "cw_line_patch"),
    ("GET", re.compile(_PO + r"/\d+/notes/?$"), "cw_note_list"),
    ("POST", re.compile(_PO + r"/\d+/notes/?$"), "cw_note_post"),
    ("GET", re.compile(r"/procurement/(purchaseorderstatuses|shipmentmethods)/?$"), "cw_meta"),
)


def kind_of(method: str, path: str) -> str:
    carrier = carrier_kind(path)
    if carrier is not None:
        return carrier
    if "/SynnexXML/" in path:
        return "tds_status"
    if "/webservice/invoice/" in path:
        return "tds_invoice"
    lowered = path.lower()
    for rule_method, pattern, kind in _RULES:
        if method == rule_method and pattern.search(lowered):
            return kind
    return "cw_other" if "/apis/" in lowered else "other"


class CountingTransport(AiohttpTransport):
    """The production transport (so the CPU measured is its own, the direct path included), counting."""

    def __init__(self, counts: Counter[str], *, connections: int) -> None:
        super().__init__(connections=connections)
        self.counts = counts
        self._kinds: dict[tuple[str, str], str] = {}  # a cycle sends the same few URLs again and again

    async def _send(
        self,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        data: Any,
        timeouts: dict[str, Any],
        proxy: URL | None,
    ) -> aiohttp.ClientResponse:
        kind = self._kinds.get((method, url))
        if kind is None:
            kind = self._kinds[(method, url)] = kind_of(method, urlsplit(url).path)
        self.counts[kind] += 1
        return await super()._send(method, url, headers, data, timeouts, proxy)
