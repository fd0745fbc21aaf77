"""The receiver end to end: the ConnectWise simulator registers a callback, signs and delivers it
after a PO write, and the receiver verifies it, dedupes it and makes the PO due (SQLite and PostgreSQL).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from callback_world import RECEIVER_HOST, Fleet, Site

from orderbridge.connectwise.client import ConnectWiseClient
from orderbridge.connectwise.signatures import signature_for
from orderbridge.core.clock import SimClock
from orderbridge.core.errors import WriteRejected
from orderbridge.runners.callbacks import register_callbacks
from orderbridge.store import Store
from orderbridge.store.inbox import pending_callbacks


@pytest.fixture
async def fleet(store: Store) -> AsyncIterator[Fleet]:
    fleet = Fleet(SimClock(), store)
    fleet.add_site("acme")
    fleet.add_site("beta")
    receiver = fleet.start_receiver()
    yield fleet
    await receiver.aclose()


def client_for(site: Site) -> ConnectWiseClient:
    return ConnectWiseClient(
        site.settings.connectwise, site.settings.http, transport=httpx.ASGITransport(app=site.cw_app)
    )


async def register(fleet: Fleet, name: str) -> None:
    site = fleet.sites[name]
    async with client_for(site) as cw:
        await register_callbacks(site.settings, cw, f"https://{RECEIVER_HOST}/callbacks/connectwise/{name}")


async def touch(site: Site, po_id: int, number: str = "TRK-1") -> None:
    async with client_for(site) as cw:
        await cw.patch_purchase_order(po_id, [{"op": "replace", "path": "trackingNumber", "value": number}])


async def post(fleet: Fleet, tenant: str, body: bytes, signature: str | None) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if signature is not None:
        headers["x-content-signature"] = signature
    async with httpx.AsyncClient(transport=fleet.router) as client:
        return await client.post(fleet.callback_url(tenant), content=body, headers=headers)


def key_fetches(site: Site) -> int:
    return sum(1 for entry in site.cw.request_log if "callbackkey" in entry.path.lower())


def last_delivery(site: Site) -> tuple[bytes, str]:
    attempt = site.cw.callbacks.attempts[-1]
    return attempt.body, attempt.signature


async def test_a_signed_callback_after_a_po_write_makes_that_po_due(fleet: Fleet) -> None:
    acme = fleet.sites["acme"]
    po = acme.add("PO-1", fleet.clock)
    await register(fleet, "acme")
    await touch(acme, po["id"])

    assert [a.last_status for a in acme.cw.callbacks.attempts] == [204]
    assert [p.po_id for p in pending_callbacks(fleet.store, "acme")] == [po["id"]]
    tracked = fleet.store.load_tracked("acme", [po["id"]])[po["id"]]
    assert tracked.next_check_at == fleet.clock.now()
    assert pending_callbacks(fleet.store, "beta") == []
    body = json.loads(acme.cw.callbacks.attempts[-1].body)
    assert body["Type"] == "purchaseorder" and body["ID"] == po["id"] and body["Action"] == "updated"
    assert json.loads(body["Entity"])["trackingNumber"] == "TRK-1"


async def test_a_replayed_body_is_answered_2xx_and_handled_once(fleet: Fleet) -> None:
    acme = fleet.sites["acme"]
    po = acme.add("PO-1", fleet.clock)
    await register(fleet, "acme")
    await touch(acme, po["id"])
    body, signature = last_delivery(acme)

    replay = await post(fleet, "acme", body, signature)
    assert replay.status_code == 204
    assert fleet.receiver is not None
    assert (fleet.receiver.accepted, fleet.receiver.duplicates) == (1, 1)
    assert len(pending_callbacks(fleet.store, "acme")) == 1
    assert key_fetches(acme) == 1  # the key was cached for the replay


async def test_a_tampered_body_gets_401_and_schedules_nothing(fleet: Fleet) -> None:
    acme = fleet.sites["acme"]
    po = acme.add("PO-1", fleet.clock)
    await register(fleet, "acme")
    acme.cw.callbacks.auto_deliver = False
    await touch(acme, po["id"])
    delivery = acme.cw.callbacks.outbox[0]
    forged = delivery.body.replace(str(po["id"]).encode(), b"999999", 1)
    assert forged != delivery.body

    answer = await post(fleet, "acme", forged, delivery.signature)
    assert answer.status_code == 401
    assert pending_callbacks(fleet.store, "acme") == []
    assert fleet.store.load_tracked("acme", [999999]) == {}


@pytest.mark.parametrize("signature", [None, "", "   "])
async def test_a_missing_signature_gets_401_before_any_key_fetch(fleet: Fleet, signature: str | None) -> None:
    acme = fleet.sites["acme"]
    po = acme.add("PO-1", fleet.clock)
    await register(fleet, "acme")
    acme.cw.callbacks.auto_deliver = False
    await touch(acme, po["id"])
    body = acme.cw.callbacks.outbox[0].body

    answer = await post(fleet, "acme", body, signature)
    assert answer.status_code == 401
    assert key_fetches(acme) == 0
    assert pending_callbacks(fleet.store, "acme") == []


async def test_a_key_url_on_a_foreign_host_is_refused_without_fetching_it(fleet: Fleet) -> None:
    acme = fleet.sites["acme"]
    po = acme.add("PO-1", fleet.clock)
    # The attacker's own server, reachable and happy to serve a key it chose.
    hits: list[str] = []

    def attacker(request: httpx.Request) -> httpx.Response:
        hits.append(str(request.url))
        return httpx.Response(200, json={"signing_key": "attacker-key"})

    fleet.router.apps["evil.test"] = httpx.MockTransport(attacker)  # type: ignore[assignment]
    for key_url in ("https://evil.test/key?id=1", "https://cw-acme.sim.evil.test/key", "https://cw-beta.sim/key"):
        payload = {
            "MessageId": "m-evil",
            "CompanyId": "demo",
            "Type": "purchaseorder",
            "Action": "updated",
            "ID": po["id"],
            "Metadata": {"key_url": key_url},
        }
        body = json.dumps(payload).encode()
        answer = await post(fleet, "acme", body, signature_for("attacker-key", body))
        assert answer.status_code == 401, key_url
    assert hits == []
    assert key_fetches(fleet.sites["beta"]) == 0
    assert pending_callbacks(fleet.store, "acme") == []


async def test_one_tenants_callback_never_schedules_work_for_another(fleet: Fleet) -> None:
    acme, beta = fleet.sites["acme"], fleet.sites["beta"]
    po = acme.add("PO-1", fleet.clock)
    await register(fleet, "acme")
    acme.cw.callbacks.auto_deliver = False
    await touch(acme, po["id"])
    delivery = acme.cw.callbacks.outbox[0]

    # A genuine acme message sent to beta's endpoint: its key URL is not beta's ConnectWise.
    answer = await post(fleet, "beta", delivery.body, delivery.signature)
    assert answer.status_code == 401
    assert pending_callbacks(fleet.store, "beta") == []
    assert key_fetches(beta) == 0 and key_fetches(acme) == 0


async def test_unknown_tenant_and_oversized_body_are_refused(fleet: Fleet) -> None:
    assert (await post(fleet, "nobody", b"{}", "sig")).status_code == 401
    big = b"{" + b" " * (2 * 1024 * 1024) + b"}"
    assert (await post(fleet, "acme", big, "sig")).status_code == 413


async def test_registration_is_idempotent_and_survives_object_exists(fleet: Fleet) -> None:
    acme = fleet.sites["acme"]
    url = f"https://{RECEIVER_HOST}/callbacks/connectwise/acme"
    async with client_for(acme) as cw:
        first = await register_callbacks(acme.settings, cw, url)
        second = await register_callbacks(acme.settings, cw, url)
        assert first.created and not second.created
        assert first.entry_id == second.entry_id
        assert first.url == url + "?recordId="
        entries = await cw.list_callbacks()
        with pytest.raises(WriteRejected) as refused:
            await cw.create_callback({"url": first.url, "objectId": 1, "type": "purchaseorder", "level": "owner"})
    assert len(entries) == 1
    assert (entries[0]["type"], entries[0]["level"], entries[0]["objectId"]) == ("purchaseorder", "owner", 1)
    assert "ObjectExists" in refused.value.body_excerpt


async def test_the_simulator_refuses_a_level_the_type_does_not_have(fleet: Fleet) -> None:
    async with client_for(fleet.sites["acme"]) as cw:
        with pytest.raises(WriteRejected) as refused:
            await cw.create_callback({"url": "https://x.test/cb", "objectId": 1, "type": "purchaseorder", "level": "x"})
    assert "Unrecognized level" in refused.value.body_excerpt


async def test_failed_deliveries_are_retried_at_two_then_four_seconds_of_simulated_time(fleet: Fleet) -> None:
    acme = fleet.sites["acme"]
    po = acme.add("PO-1", fleet.clock)
    await register(fleet, "acme")
    statuses = iter([429, 409, 204])

    async def flaky(url: str, body: bytes, headers: dict[str, str]) -> int:
        return next(statuses)

    acme.cw.callbacks.sender = flaky
    acme.cw.callbacks.auto_deliver = False
    start = fleet.clock.now()
    await touch(acme, po["id"])
    hub = acme.cw.callbacks
    assert await hub.deliver_due() == 1
    fleet.advance(1)
    assert await hub.deliver_due() == 0  # the retry is 2 s after the first attempt, not sooner
    fleet.advance(1)
    assert await hub.deliver_due() == 1
    fleet.advance(4)
    assert await hub.deliver_due() == 1
    assert [(a.last_status, a.attempts) for a in hub.attempts] == [(429, 1), (409, 2), (204, 3)]
    assert hub.outbox == []
    assert fleet.clock.now() - start == timedelta(seconds=6)


async def test_a_500_is_not_retried_and_three_days_of_failures_disable_the_entry(fleet: Fleet) -> None:
    acme = fleet.sites["acme"]
    po = acme.add("PO-1", fleet.clock)
    await register(fleet, "acme")

    async def down(url: str, body: bytes, headers: dict[str, str]) -> int:
        return 500

    hub = acme.cw.callbacks
    hub.sender = down
    await touch(acme, po["id"])
    assert hub.outbox == []  # 500 is not in the retried set (404, 409, 419, 429)
    fleet.advance(3 * 24 * 3600)
    await touch(acme, po["id"], "TRK-2")
    entry = next(iter(hub.entries.scan()))
    assert entry["inactiveFlag"] is True


def signed_by_acme(fleet: Fleet, record_id: object, **fields: object) -> tuple[bytes, str]:
    """A body ConnectWise could have signed (the simulator's key), with any `ID` we like."""
    acme = fleet.sites["acme"]
    key_id = next(iter(acme.cw.callbacks.key_ids.values()))
    payload = {
        "MessageId": f"m-{record_id!r}",
        "CompanyId": "demo",
        "Type": "purchaseorder",
        "Action": "updated",
        "ID": record_id,
        "Metadata": {"key_url": f"https://{acme.host}/v4_6_release/system/callbackkey/index.rails?id={key_id}"},
        **fields,
    }
    body = json.dumps(payload, ensure_ascii=False).encode()
    return body, signature_for(acme.cw.callbacks.keys[key_id], body)


@pytest.mark.parametrize(
    "record_id",
    [2**63 + 5, 2**31, "\uff11\uff12\uff13", "١٢٣", "12 ", "-5", 0, -1, 12.0, "1e3", True, None, "", [1]],
)
async def test_a_signed_callback_with_an_id_outside_connectwise_ids_gets_400_and_stores_nothing(
    fleet: Fleet, record_id: object
) -> None:
    await register(fleet, "acme")
    body, signature = signed_by_acme(fleet, record_id)

    answer = await post(fleet, "acme", body, signature)
    assert answer.status_code == 400
    assert "ID" in answer.json()["reason"]
    assert pending_callbacks(fleet.store, "acme") == []
    assert fleet.store.load_tracked("acme", [2**31 - 1, 123, 12, 1]) == {}


@pytest.mark.parametrize("record_id", [1, "123", 2**31 - 1])
async def test_a_signed_callback_with_an_int32_id_is_accepted(fleet: Fleet, record_id: object) -> None:
    await register(fleet, "acme")
    body, signature = signed_by_acme(fleet, record_id)

    answer = await post(fleet, "acme", body, signature)
    assert answer.status_code == 204
    assert [p.po_id for p in pending_callbacks(fleet.store, "acme")] == [int(str(record_id))]
