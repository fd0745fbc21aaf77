"""The ConnectWise client against the ConnectWise simulator, mounted in-process with httpx.ASGITransport.

What is protected: forward-only paging (exact call counts, no untracked or closed POs), JSON Patch
round trips, ConnectWise's error JSON mapped onto our error tree without leaking keys, 429 retries.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from orderbridge.config import ConnectWiseSettings, HttpSettings
from orderbridge.connectwise import ConnectWiseClient
from orderbridge.core.clock import SimClock
from orderbridge.core.errors import (
    AuthError,
    AuthSuspected,
    Fatal,
    MalformedResponse,
    RequestRejected,
    Skippable,
    TransientApiError,
    WriteRejected,
)
from orderbridge.simulators.connectwise import seed
from orderbridge.simulators.connectwise.app import create_app
from orderbridge.simulators.connectwise.state import ConnectWiseState

BASE_URL = "https://cw.example.test/v4_6_release/apis/3.0"
CANARY_PRIVATE_KEY = "canary-Priv4te-Key-7f3e"
PO_LIST = "/procurement/purchaseorders"


class SleepRecorder:
    """A no-op sleep that remembers what it was asked to wait, so retries cost no wall-clock time."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def settings(**overrides: Any) -> ConnectWiseSettings:
    values: dict[str, Any] = {
        "base_url": BASE_URL,
        "company": "demo",
        "public_key": "demopublic",
        "private_key": "demoprivate",
        "client_id": "0f6c8d2a-5b8e-4d3c-9a51-3a7e2b1c4d5e",
    }
    values.update(overrides)
    return ConnectWiseSettings(**values)


@pytest.fixture
def clock() -> SimClock:
    return SimClock()


@pytest.fixture
def state(clock: SimClock) -> ConnectWiseState:
    state = ConnectWiseState(clock)
    seed.seed_defaults(state)
    return state


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


def make_client(state: ConnectWiseState, sleep: SleepRecorder, **overrides: Any) -> ConnectWiseClient:
    transport = httpx.ASGITransport(app=create_app(state))
    return ConnectWiseClient(settings(**overrides), HttpSettings(), transport=transport, sleep=sleep)


@pytest.fixture
async def client(state: ConnectWiseState, sleeps: SleepRecorder) -> AsyncIterator[ConnectWiseClient]:
    async with make_client(state, sleeps) as client:
        yield client


def po_list_calls(state: ConnectWiseState) -> list[Any]:
    return [r for r in state.request_log if r.method == "GET" and r.resource == PO_LIST]


async def collect(client: ConnectWiseClient, **kwargs: Any) -> list[Any]:
    return [po async for po in client.iter_tracked_purchase_orders(tracking_field="Send to TDS", **kwargs)]


async def test_2500_tracked_pos_page_in_exactly_three_forward_only_calls(
    state: ConnectWiseState, client: ConnectWiseClient
) -> None:
    tracked = {state.add_purchase_order(po_number=f"T-{n:05}")["id"] for n in range(2500)}
    untracked = {state.add_purchase_order(po_number=f"U-{n}", tracked=False)["id"] for n in range(5)}
    closed = {state.add_purchase_order(po_number=f"C-{n}", status_name="Cancelled")["id"] for n in range(5)}
    state.request_log.clear()

    found = await collect(client)

    calls = po_list_calls(state)
    assert len(calls) == 3
    assert all(
        {k.lower(): v for k, v in call.headers.items()}.get("pagination-type") == "forward-only" for call in calls
    )
    assert all(call.query.get("pageSize") == "1000" for call in calls)
    ids = [po.id for po in found]
    assert ids == sorted(ids)
    assert tracked <= set(ids)
    assert not (untracked | closed) & set(ids)
    assert all(po.lines is None and not po.closed_flag for po in found)


async def test_updated_since_narrows_to_recently_changed_pos(
    state: ConnectWiseState, clock: SimClock, client: ConnectWiseClient
) -> None:
    older = state.add_purchase_order(po_number="OLD-1")
    clock.advance(timedelta(hours=2))
    since = clock.now()
    clock.advance(timedelta(minutes=5))
    newer = state.add_purchase_order(po_number="NEW-1")

    ids = {po.id for po in await collect(client, updated_since=since)}

    assert newer["id"] in ids
    assert older["id"] not in ids


async def test_get_purchase_order_and_its_lines(state: ConnectWiseState, client: ConnectWiseClient) -> None:
    created = state.add_purchase_order(
        po_number="PO-77",
        vendor_order_number="SO-1",
        lines=[{"product": "NB-14-G5", "vendorSku": "7712345"}, {"product": "DOCK-2", "quantity": 3}],
    )

    po = await client.get_purchase_order(created["id"])
    lines = await client.list_line_items(created["id"])

    assert (po.id, po.po_number, po.vendor_order_number) == (created["id"], "PO-77", "SO-1")
    tracking = po.custom_field("Send to TDS")
    assert tracking is not None and tracking.value is True
    assert po.last_updated is not None and po.last_updated.tzinfo is not None
    assert [(line.line_number, line.product_identifier) for line in lines] == [(1, "NB-14-G5"), (2, "DOCK-2")]
    assert lines[0].vendor_sku == "7712345"
    assert lines[1].quantity == 3


async def test_missing_po_is_a_rejected_read(client: ConnectWiseClient) -> None:
    with pytest.raises(RequestRejected) as caught:
        await client.get_purchase_order(987654)

    assert caught.value.status == 404
    assert caught.value.code == "NotFound"


async def test_patch_round_trip_returns_and_stores_the_new_values(
    state: ConnectWiseState, client: ConnectWiseClient
) -> None:
    created = state.add_purchase_order(po_number="PO-88")
    shipped = next(s for s in await client.list_statuses() if not s.closed_flag and s.name != "New")
    ops = [
        {"op": "replace", "path": "trackingNumber", "value": "1Z999AA10123456784"},
        {"op": "replace", "path": "status", "value": {"id": shipped.id}},
    ]

    patched = await client.patch_purchase_order(created["id"], ops)
    again = await client.get_purchase_order(created["id"])

    assert patched.tracking_number == again.tracking_number == "1Z999AA10123456784"
    assert patched.status is not None and patched.status.id == shipped.id
    assert again == patched
    assert [w.method for w in state.request_log.writes()] == ["PATCH"]


async def test_patch_line_item_round_trip(state: ConnectWiseState, client: ConnectWiseClient) -> None:
    created = state.add_purchase_order(po_number="PO-89", lines=[{"product": "NB-14-G5"}])
    line = (await client.list_line_items(created["id"]))[0]

    patched = await client.patch_line_item(
        created["id"], line.id, [{"op": "replace", "path": "trackingNumber", "value": "1ZLINE"}]
    )

    assert patched.id == line.id
    assert patched.tracking_number == "1ZLINE"


async def test_51_char_tracking_number_is_a_write_rejected_naming_the_field(
    state: ConnectWiseState, client: ConnectWiseClient
) -> None:
    created = state.add_purchase_order(po_number="PO-90")

    with pytest.raises(WriteRejected) as caught:
        await client.patch_purchase_order(
            created["id"], [{"op": "replace", "path": "trackingNumber", "value": "9" * 51}]
        )

    assert caught.value.status == 400
    assert caught.value.code == "InvalidObject"
    assert f"PATCH of PO {created['id']}" in str(caught.value)
    assert "trackingNumber" in str(caught.value)


async def test_bad_credentials_are_an_auth_error_that_never_shows_the_key(
    state: ConnectWiseState, sleeps: SleepRecorder
) -> None:
    async with make_client(state, sleeps, private_key=CANARY_PRIVATE_KEY) as client:
        # A tenant-wide read speaks for the credentials; one PO's own record only raises a suspicion,
        # since a security role can forbid one record (sync/credentials.py weighs those).
        with pytest.raises(AuthError) as caught:
            await client.list_statuses()
        with pytest.raises(AuthSuspected) as suspected:
            await client.get_purchase_order(1)

    basic = base64.b64encode(f"demo+demopublic:{CANARY_PRIVATE_KEY}".encode()).decode()
    for error in (caught.value, suspected.value):
        for text in (str(error), repr(error), error.body_excerpt, repr(client)):
            assert CANARY_PRIVATE_KEY not in text
            assert basic not in text
        assert error.status == 401
    assert "private key" in str(caught.value) and "clientId" in str(caught.value)
    assert "security role" in str(caught.value) and "security role" in str(suspected.value)
    assert isinstance(suspected.value, Skippable) and not isinstance(suspected.value, Fatal)
    assert sleeps.waits == []  # a 401 is never retried


async def test_429_with_retry_after_is_waited_out_then_succeeds(
    state: ConnectWiseState, client: ConnectWiseClient, sleeps: SleepRecorder
) -> None:
    created = state.add_purchase_order(po_number="PO-91")
    state.faults.add(r"/procurement/purchaseorders/\d+$", method="GET", status=429, retry_after=7, times=1)

    po = await client.get_purchase_order(created["id"])

    assert po.id == created["id"]
    assert sleeps.waits == [7.0]
    assert client.stats.retries == 1


async def test_a_5xx_on_an_idempotent_patch_is_retried(
    state: ConnectWiseState, client: ConnectWiseClient, sleeps: SleepRecorder
) -> None:
    created = state.add_purchase_order(po_number="PO-92")
    state.faults.add(r"/procurement/purchaseorders/\d+$", method="PATCH", status=503, times=1)

    patched = await client.patch_purchase_order(
        created["id"], [{"op": "replace", "path": "trackingNumber", "value": "A"}]
    )

    assert patched.tracking_number == "A"
    assert len(sleeps.waits) == 1


async def test_a_note_post_is_not_repeated_after_a_timeout(state: ConnectWiseState, client: ConnectWiseClient) -> None:
    created = state.add_purchase_order(po_number="PO-93")
    state.faults.add(r"/notes$", method="POST", kind="timeout", times=1)

    with pytest.raises(TransientApiError):
        await client.add_note(created["id"], "shipped 1 of 2 lines")

    assert await client.list_notes(created["id"]) == []


async def test_html_with_200_is_a_malformed_response(state: ConnectWiseState, client: ConnectWiseClient) -> None:
    created = state.add_purchase_order(po_number="PO-94")
    state.faults.add(r"/procurement/purchaseorders/\d+$", method="GET", kind="malformed", raw_body="<html>hi</html>")

    with pytest.raises(MalformedResponse):
        await client.get_purchase_order(created["id"])


async def test_a_list_page_that_comes_back_malformed_once_is_asked_for_again(
    state: ConnectWiseState, client: ConnectWiseClient
) -> None:
    ids = {state.add_purchase_order(po_number=f"T-{n:04}")["id"] for n in range(1500)}
    state.request_log.clear()
    # The first page is a proxy's maintenance page once: the listing goes on rather than ending there.
    state.faults.add(PO_LIST + "$", method="GET", kind="malformed", raw_body="<html>maintenance</html>", times=1)

    found = await collect(client)

    assert {po.id for po in found} == ids
    assert len(po_list_calls(state)) == 3
    assert client.stats.retried["malformed"] == 1


async def test_a_list_page_malformed_twice_ends_the_listing_with_a_clear_error(
    state: ConnectWiseState, client: ConnectWiseClient
) -> None:
    state.add_purchase_order(po_number="T-1")
    state.faults.add(PO_LIST + "$", method="GET", kind="malformed", raw_body="<html>down</html>", times=2)

    with pytest.raises(MalformedResponse, match="purchase order list: expected a JSON list"):
        await collect(client)


async def test_statuses_list_and_create(client: ConnectWiseClient) -> None:
    before = {s.name for s in await client.list_statuses()}

    opened = await client.create_status("TDS Shipped-x")
    closed = await client.create_status("TDS Closed-x", closed=True)
    after = {s.name: s for s in await client.list_statuses()}

    assert "TDS Shipped-x" not in before
    assert after["TDS Shipped-x"] == opened and not opened.closed_flag
    assert after["TDS Closed-x"] == closed and closed.closed_flag


async def test_notes_add_and_list(state: ConnectWiseState, client: ConnectWiseClient) -> None:
    created = state.add_purchase_order(po_number="PO-95")

    note_id = await client.add_note(created["id"], "orderbridge: 2 of 5 lines shipped")
    notes = await client.list_notes(created["id"])

    assert [(n.id, n.text) for n in notes] == [(note_id, "orderbridge: 2 of 5 lines shipped")]


async def test_find_custom_field_by_caption(client: ConnectWiseClient) -> None:
    found = await client.find_custom_field("Send to TDS")

    assert found is not None
    assert found.caption == "Send to TDS"
    assert await client.find_custom_field('No such "field"') is None


async def test_shipment_methods_and_system_info(client: ConnectWiseClient) -> None:
    methods = await client.list_shipment_methods()
    info = await client.system_info()

    assert methods and all(m.id and m.name for m in methods)
    assert "version" in info


async def test_every_call_carries_client_id_and_versioned_accept(
    state: ConnectWiseState, client: ConnectWiseClient
) -> None:
    await client.list_statuses()

    (call,) = [r for r in state.request_log if r.resource == "/procurement/purchaseorderstatuses"]
    headers = {name.lower(): value for name, value in call.headers.items()}  # HTTP names are case-insensitive
    assert headers.get("clientid") == "0f6c8d2a-5b8e-4d3c-9a51-3a7e2b1c4d5e"
    assert headers.get("accept") == "application/vnd.connectwise.com+json; version=2025.1"
