"""A flood of forged callbacks never starves genuine ones: verification comes before the per-tenant
rate limit, and what fails verification is limited per source address, key fetches included.

ConnectWise's deliveries reach the receiver from 127.0.0.1 (the router); the flood comes from
other addresses through `Fleet.client_from`. Everything runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from callback_world import Fleet, Site
from test_callback_receiver import key_fetches, register, touch

from orderbridge.connectwise.signatures import signature_for
from orderbridge.core.clock import SimClock
from orderbridge.store import Store
from orderbridge.store.inbox import pending_callbacks

ATTACKER = "203.0.113.66"
TENANT_LIMIT = 30
SOURCE_LIMIT = 20


@pytest.fixture
async def fleet(store: Store) -> AsyncIterator[Fleet]:
    fleet = Fleet(SimClock(), store)
    fleet.add_site("acme")
    receiver = fleet.start_receiver(per_tenant_per_minute=TENANT_LIMIT, unverified_per_source_per_minute=SOURCE_LIMIT)
    yield fleet
    await receiver.aclose()


def forged_bodies(site: Site, po_id: int, genuine_key_url: str, n: int) -> list[tuple[bytes, dict[str, str]]]:
    """Every kind of garbage: unsigned, not JSON, badly signed with the real key URL, and signed with
    the attacker's own key under key URLs the receiver has never seen (each would cost a key fetch)."""
    unknown_key_url = f"https://{site.host}/v4_6_release/system/callbackkey/index.rails?id="
    requests = []
    for i in range(n):
        payload = {
            "MessageId": f"forged-{i}",
            "CompanyId": "demo",
            "Type": "purchaseorder",
            "Action": "updated",
            "ID": po_id,
            "Metadata": {"key_url": genuine_key_url if i % 4 == 2 else unknown_key_url + str(uuid.uuid4())},
        }
        body = json.dumps(payload).encode()
        headers = {"content-type": "application/json", "x-content-signature": signature_for("attacker", body)}
        if i % 4 == 0:
            del headers["x-content-signature"]
        elif i % 4 == 1:
            body = b"\x00garbage" * 10
        requests.append((body, headers))
    return requests


async def flood(client: httpx.AsyncClient, tenant: str, requests: list[tuple[bytes, dict[str, str]]]) -> list[int]:
    path = f"/callbacks/connectwise/{tenant}"
    replies = await asyncio.gather(*(client.post(path, content=body, headers=h) for body, h in requests))
    return [reply.status_code for reply in replies]


async def test_genuine_callbacks_are_all_accepted_while_a_forged_flood_is_in_progress(fleet: Fleet) -> None:
    acme = fleet.sites["acme"]
    po = acme.add("PO-1", fleet.clock)
    await register(fleet, "acme")
    entry_id = next(iter(acme.cw.callbacks.key_ids))
    key_url = (
        f"https://{acme.host}/v4_6_release/system/callbackkey/index.rails?id={acme.cw.callbacks.key_ids[entry_id]}"
    )
    garbage = forged_bodies(acme, po["id"], key_url, 400)
    flood_statuses: list[int] = []
    async with fleet.client_from(ATTACKER) as attacker:
        for round_ in range(10):
            batch = garbage[round_ * 40 : (round_ + 1) * 40]
            statuses, _ = await asyncio.gather(flood(attacker, "acme", batch), touch(acme, po["id"], f"TRK-{round_}"))
            flood_statuses += statuses

    genuine = [attempt.last_status for attempt in acme.cw.callbacks.attempts]
    assert len(genuine) == 10
    assert all(isinstance(s, int) and 200 <= s < 300 for s in genuine), genuine
    assert set(flood_statuses) <= {401, 429} and 429 in flood_statuses
    assert len(pending_callbacks(fleet.store, "acme")) == 10
    # The flood's unknown key URLs could make the receiver fetch at most its source's budget of keys.
    assert key_fetches(acme) <= 1 + SOURCE_LIMIT


async def test_a_flood_from_connectwises_own_address_does_not_stop_callbacks_with_a_cached_key(fleet: Fleet) -> None:
    """Behind a reverse proxy every caller has one address: genuine callbacks still verify against the
    cached key, while the forged ones from that address get 401 and then 429."""
    acme = fleet.sites["acme"]
    po = acme.add("PO-1", fleet.clock)
    await register(fleet, "acme")
    await touch(acme, po["id"], "TRK-first")  # ConnectWise's first callback: the key is fetched and cached
    entry_id = next(iter(acme.cw.callbacks.key_ids))
    key_url = (
        f"https://{acme.host}/v4_6_release/system/callbackkey/index.rails?id={acme.cw.callbacks.key_ids[entry_id]}"
    )
    flood_statuses: list[int] = []
    async with fleet.client_from("127.0.0.1") as proxy:
        for round_ in range(5):
            batch = forged_bodies(acme, po["id"], key_url, 40)
            statuses, _ = await asyncio.gather(flood(proxy, "acme", batch), touch(acme, po["id"], f"TRK-{round_}"))
            flood_statuses += statuses

    assert [a.last_status for a in acme.cw.callbacks.attempts] == [204] * 6
    assert set(flood_statuses) <= {401, 429} and 429 in flood_statuses
    assert key_fetches(acme) <= 1 + SOURCE_LIMIT


async def test_verified_callbacks_over_the_tenant_limit_get_429_until_the_minute_has_passed(fleet: Fleet) -> None:
    acme = fleet.sites["acme"]
    po = acme.add("PO-1", fleet.clock)
    await register(fleet, "acme")
    for i in range(TENANT_LIMIT + 3):
        await touch(acme, po["id"], f"TRK-{i}")
    statuses = [a.last_status for a in acme.cw.callbacks.attempts]
    assert statuses[:TENANT_LIMIT] == [204] * TENANT_LIMIT
    assert statuses[TENANT_LIMIT:] == [429] * 3  # ConnectWise retries 429 after 2 s and 4 s
    fleet.advance(60)
    await touch(acme, po["id"], "TRK-later")
    assert acme.cw.callbacks.attempts[-1].last_status == 204


async def test_a_source_over_its_budget_drives_no_more_key_fetches(fleet: Fleet) -> None:
    acme = fleet.sites["acme"]
    po = acme.add("PO-1", fleet.clock)
    forged = forged_bodies(acme, po["id"], "unused", 200)
    unknown = [(body, h) for body, h in forged if "x-content-signature" in h and b"callbackkey" in body]
    async with fleet.client_from(ATTACKER) as attacker:
        statuses = await flood(attacker, "acme", unknown)
    assert key_fetches(acme) <= SOURCE_LIMIT
    assert statuses.count(429) >= len(unknown) - SOURCE_LIMIT
    fleet.advance(60)  # a minute later the source has a fresh budget
    async with fleet.client_from(ATTACKER) as attacker:
        assert (await flood(attacker, "acme", unknown[:1])) == [401]
