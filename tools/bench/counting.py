"""An httpx transport that counts every request the clients send, by the kind `model.py` names.

It sits below ServiceHTTP, so retries count as the extra calls they are. Real sockets underneath.
"""

from __future__ import annotations

import re
from collections import Counter

import httpx

from orderbridge.http.wire import WireRequest, WireTransport

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
        self._inner = WireTransport(connections)
        self._kinds: dict[tuple[str, str], str] = {}  # a cycle sends the same few URLs again and again

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.counts[kind_of(request.method, request.url.path)] += 1
        return await self._inner.handle_async_request(request)

    async def send_wire(self, request: WireRequest) -> httpx.Response:
        # ServiceHTTP hands plain calls over as bytes (http_request.py); they count the same.
        kind = self._kinds.get((request.method, request.url))
        if kind is None:
            kind = self._kinds[(request.method, request.url)] = kind_of(request.method, httpx.URL(request.url).path)
        self.counts[kind] += 1
        return await self._inner.send_wire(request)

    async def aclose(self) -> None:
        await self._inner.aclose()
