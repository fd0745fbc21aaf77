"""An httpx transport that counts every request the clients send, by the kind `model.py` names.

It sits below ServiceHTTP, so retries count as the extra calls they are. Real sockets underneath.
"""

from __future__ import annotations

import re
from collections import Counter

import httpx

from orderbridge.http import production_transport

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
    if "/SynnexXML/" in path:
        return "tds_status"
    if "/webservice/invoice/" in path:
        return "tds_invoice"
    lowered = path.lower()
    for rule_method, pattern, kind in _RULES:
        if method == rule_method and pattern.search(lowered):
            return kind
    return "cw_other" if "/apis/" in lowered else "other"


class CountingTransport(httpx.AsyncBaseTransport):
    def __init__(self, counts: Counter[str], *, connections: int) -> None:
        self.counts = counts
        # The transport production builds (ServiceHTTP without a transport), so the CPU is its own.
        self._inner = production_transport(connections=connections)
        self._kinds: dict[tuple[str, bytes], str] = {}  # a cycle sends the same few URLs again and again

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        method, url = request.method, request.url
        kind = self._kinds.get((method, url.raw_path))
        if kind is None:
            kind = self._kinds[(method, url.raw_path)] = kind_of(method, url.path)
        self.counts[kind] += 1
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()
