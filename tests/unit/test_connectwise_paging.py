"""Paging tolerates every reading of ConnectWise's Link header, against a tiny scripted server.

The forward-only end-of-data signal (empty Link vs no Link) and the link's URL form are UNCONFIRMED
(connectwise-psa.md §2.5, §10 item 6), so each variant is served here by an `httpx.MockTransport`
handler standing in for the remote server; none of our own code is replaced.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from orderbridge.config import ConnectWiseSettings, HttpSettings
from orderbridge.connectwise import ConnectWiseClient
from orderbridge.core.errors import MalformedResponse

BASE = "https://cw.example.test/v4_6_release/apis/3.0"
SETTINGS = ConnectWiseSettings(
    base_url=BASE, company="demo", public_key="demopublic", private_key="demoprivate", client_id="cid", page_size=2
)
LinkStyle = Callable[[int, bool], str | None]


def po(po_id: int) -> dict[str, Any]:
    return {"id": po_id, "poNumber": f"PO-{po_id}"}


def serve(total: int, link: LinkStyle, seen: list[httpx.Request]) -> httpx.MockTransport:
    """`total` POs with ids 1..total, two per page, `id > pageId`, Link header shaped by `link`."""

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        after = int(request.url.params.get("pageId", "0"))
        size = int(request.url.params["pageSize"])
        ids = [i for i in range(1, total + 1) if i > after][:size]
        last = not ids or ids[-1] == total
        header = link(ids[-1] if ids else after, last)
        headers = {} if header is None else {"Link": header}
        return httpx.Response(200, json=[po(i) for i in ids], headers=headers)

    return httpx.MockTransport(handle)


async def walk(link: LinkStyle, total: int) -> tuple[list[int], list[httpx.Request]]:
    seen: list[httpx.Request] = []
    client = ConnectWiseClient(SETTINGS, HttpSettings(), transport=serve(total, link, seen))
    async with client:
        ids = [p.id async for p in client.iter_tracked_purchase_orders(tracking_field="Send to TDS")]
    return ids, seen


def rel_next(last_id: int, last: bool) -> str:
    return "" if last else f'<{BASE}/procurement/purchaseorders?pageSize=2&pageId={last_id}>; rel="next"'


def bare_url(last_id: int, last: bool) -> str:
    return "" if last else f"<{BASE}/procurement/purchaseorders?pageSize=2&pageId={last_id}>"


def absent_at_end(last_id: int, last: bool) -> str | None:
    return None if last else rel_next(last_id, last)


@pytest.mark.parametrize("style", [rel_next, bare_url, absent_at_end])
@pytest.mark.parametrize("total", [5, 6])
async def test_every_link_reading_walks_all_pos_once(style: LinkStyle, total: int) -> None:
    ids, seen = await walk(style, total)

    assert ids == list(range(1, total + 1))
    assert len(seen) == 3  # 2+2+1, or 2+2+2 with the last page ending the walk
    assert all(r.headers["pagination-type"] == "forward-only" for r in seen)


async def test_a_full_last_page_then_an_empty_page_ends_the_walk() -> None:
    def never_says_last(last_id: int, last: bool) -> str:
        return rel_next(last_id, False)

    ids, seen = await walk(never_says_last, 4)

    assert ids == [1, 2, 3, 4]
    assert len(seen) == 3  # the third page is empty


async def test_filters_are_resent_and_the_link_host_is_never_called() -> None:
    def elsewhere(last_id: int, last: bool) -> str:
        return "" if last else f'<https://evil.example/steal?pageId={last_id}>; rel="next"'

    ids, seen = await walk(elsewhere, 3)

    assert ids == [1, 2, 3]
    assert {r.url.host for r in seen} == {"cw.example.test"}
    assert all("closedFlag=false" in r.url.params["conditions"] for r in seen)
    assert all('caption="Send to TDS"' in r.url.params["customFieldConditions"] for r in seen)


async def test_no_link_header_at_all_continues_from_the_last_id() -> None:
    ids, seen = await walk(lambda last_id, last: None, 5)

    assert ids == [1, 2, 3, 4, 5]
    assert [r.url.params.get("pageId") for r in seen] == [None, "2", "4"]


async def test_a_link_that_does_not_advance_is_malformed_not_an_endless_loop() -> None:
    def stuck(last_id: int, last: bool) -> str:
        return f'<{BASE}/procurement/purchaseorders?pageId=1>; rel="next"'

    with pytest.raises(MalformedResponse, match="did not advance"):
        await walk(stuck, 10)


async def test_one_unreadable_po_is_skipped_and_the_rest_still_arrive() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[po(1), {"id": "not-a-number"}], headers={"Link": ""})

    client = ConnectWiseClient(SETTINGS, HttpSettings(), transport=httpx.MockTransport(handle))
    async with client:
        ids = [p.id async for p in client.iter_tracked_purchase_orders(tracking_field="x")]

    assert ids == [1]


async def test_a_lone_surrogate_escape_in_one_po_does_not_cost_the_page() -> None:
    # pydantic-core's JSON parser refuses "\ud800"; the standard library's takes it, and has the last word.
    body = b'[{"id": 1, "poNumber": "PO-1"}, {"id": 2, "poNumber": "PO-\\ud800"}]'

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"Link": "", "Content-Type": "application/json"})

    client = ConnectWiseClient(SETTINGS, HttpSettings(), transport=httpx.MockTransport(handle))
    async with client:
        found = [(p.id, p.po_number) async for p in client.iter_tracked_purchase_orders(tracking_field="x")]

    assert found == [(1, "PO-1"), (2, "PO-\ud800")]


async def test_a_page_that_is_not_json_is_malformed() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"<html>maintenance</html>", headers={"Content-Type": "text/html"})

    client = ConnectWiseClient(SETTINGS, HttpSettings(), transport=httpx.MockTransport(handle))
    async with client:
        with pytest.raises(MalformedResponse, match="expected a JSON list, got text/html"):
            _ = [p async for p in client.iter_tracked_purchase_orders(tracking_field="x")]
