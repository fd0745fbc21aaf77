"""UPSClient against the simulated UPS OAuth and Tracking APIs, in-process and over a socket.

What is protected: one token (all-string answer) serves many calls and is refreshed before it expires
on the simulated clock; a 401 gets exactly one refresh and one retry; bad credentials stop the run
without leaking the secret; every journey state maps onto ParcelState; "not found" is HTTP 200 with
TW0001; TV1002 stays with its package; the required transId/transactionSrc headers are sent; 429 is
retried (with Retry-After when one is sent, with backoff when not: UPS sends none).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from carrier_world import START, World

from orderbridge.core.clock import SimClock
from orderbridge.core.delivery import ParcelQuery, ParcelState, ParcelStatus
from orderbridge.core.errors import AuthError
from orderbridge.simulators.carriers.faults import Fault
from orderbridge.simulators.carriers.journeys import Parcel
from orderbridge.simulators.carriers.state import NumberScript

UPS = "1Z999AA10123456784"
OTHER = "1Z999AA10123456795"
TRACK = "/api/track/v1/details/"


def status(result: ParcelStatus | str) -> ParcelStatus:
    assert isinstance(result, ParcelStatus), result
    return result


async def test_one_token_serves_many_calls_and_is_refreshed_before_it_expires(world: World) -> None:
    world.parcel(UPS, "UPS")
    async with world.ups() as client:
        for _ in range(3):
            await client.track([ParcelQuery(UPS, "UPS")])
        assert (client.token_fetches, world.state.tokens["ups"].issued) == (1, 1)
        world.clock.advance(timedelta(seconds=14000))  # expires_in "14399": still outside the margin
        await client.track([ParcelQuery(UPS, "UPS")])
        assert client.token_fetches == 1
        world.clock.advance(timedelta(seconds=200))  # 14200 s: inside the five-minute margin
        await client.track([ParcelQuery(UPS, "UPS")])
    assert (client.token_fetches, world.state.tokens["ups"].issued) == (2, 2)
    assert [r.status for r in world.calls("ups", TRACK)] == [200] * 5


async def test_a_token_expired_on_the_server_gets_one_refresh_and_one_retry(world: World) -> None:
    world.parcel(UPS, "UPS")
    lagging = SimClock(START)  # the client's clock lags the server's, so it trusts a dead token
    async with world.ups(clock=lagging) as client:
        await client.track([ParcelQuery(UPS, "UPS")])
        world.clock.advance(timedelta(hours=5))
        found = status((await client.track([ParcelQuery(UPS, "UPS")]))[UPS])
    assert found.state is not ParcelState.UNKNOWN
    assert client.token_fetches == 2
    track_calls = [(r.status, r.outcome) for r in world.calls("ups", TRACK)]
    assert track_calls == [(200, "found"), (401, "251004"), (200, "found")]


async def test_a_revoked_token_is_replaced(world: World) -> None:
    world.parcel(UPS, "UPS")
    async with world.ups() as client:
        await client.track([ParcelQuery(UPS, "UPS")])
        world.state.tokens["ups"].revoke_all()
        await client.track([ParcelQuery(UPS, "UPS")])
    assert client.token_fetches == 2
    assert [r.outcome for r in world.calls("ups", TRACK)] == ["found", "250002", "found"]


async def test_bad_client_credentials_stop_the_run_without_the_secret(world: World) -> None:
    wrong = "canary-Wrong-UPS-Secret-42"
    async with world.ups(wrong) as client:
        with pytest.raises(AuthError) as caught:
            await client.track([ParcelQuery(UPS, "UPS")])
    assert caught.value.status == 401 and caught.value.code == "10401"
    for text in (str(caught.value), repr(caught.value), caught.value.body_excerpt):
        assert wrong not in text


@pytest.mark.parametrize(
    ("outcome", "kind", "expected"),
    [
        ("delivered", "label_created", ParcelState.LABEL_CREATED),
        ("delivered", "arrived", ParcelState.IN_TRANSIT),
        ("delivered", "out_for_delivery", ParcelState.OUT_FOR_DELIVERY),
        ("delivered", "delivered", ParcelState.DELIVERED),
        ("failed_attempt", "failed_attempt", ParcelState.FAILED_ATTEMPT),
        ("exception", "exception", ParcelState.EXCEPTION),
        ("returned", "returned", ParcelState.RETURNED_TO_SENDER),
        ("elsewhere", "delivered_elsewhere", ParcelState.DELIVERED),
        ("slipped", "delayed", ParcelState.IN_TRANSIT),
    ],
)
async def test_each_journey_maps_onto_the_shared_vocabulary(
    world: World, outcome: str, kind: str, expected: ParcelState
) -> None:
    world.parcel(UPS, "UPS", outcome)
    step = world.move_to(UPS, kind)
    async with world.ups() as client:
        found = status((await client.track([ParcelQuery(UPS, "UPS")]))[UPS])
    assert (found.state, found.provider, found.found) == (expected, "ups", True)
    assert found.events[-1].at == step.at.replace(microsecond=0)
    if kind in ("delivered", "delivered_elsewhere"):
        assert found.delivered_at == step.at.replace(microsecond=0) and found.signed_by == step.signer
        assert found.delivered_elsewhere is (kind == "delivered_elsewhere")
    if kind == "delayed":
        assert found.estimated_delivery == step.estimate  # RDD over SDD
    if kind == "failed_attempt":
        assert found.events[-1].code == "X/022/48"


async def test_not_found_is_a_200_with_tw0001_also_for_another_carriers_number(world: World) -> None:
    world.parcel("122816215025810", "FedEx")
    async with world.ups() as client:
        found = await client.track([ParcelQuery("1Z999AA19999999999", "UPS"), ParcelQuery("122816215025810", "UPS")])
    for number in found:
        unknown = status(found[number])
        assert (unknown.state, unknown.found) == (ParcelState.UNKNOWN, False)
    assert {r.status for r in world.calls("ups", TRACK)} == {200}


async def test_a_package_before_its_label_is_not_found(world: World) -> None:
    world.state.add_parcel(Parcel(UPS, "UPS", world.clock.now() + timedelta(days=1)))  # ships tomorrow
    async with world.ups() as client:
        found = status((await client.track([ParcelQuery(UPS, "UPS")]))[UPS])
    assert found.found is False


async def test_an_invalid_number_is_that_packages_problem(world: World) -> None:
    world.parcel(UPS, "UPS")
    world.state.set_script(OTHER, NumberScript(answer="invalid"))
    async with world.ups() as client:
        found = await client.track([ParcelQuery(UPS, "UPS"), ParcelQuery(OTHER, "UPS"), ParcelQuery("1Z12", "UPS")])
    assert status(found[UPS]).state is ParcelState.LABEL_CREATED
    for number in (OTHER, "1Z12"):
        assert isinstance(found[number], str) and "TV1002" in found[number]


async def test_the_required_headers_are_checked_by_the_simulator(world: World) -> None:
    world.parcel(UPS, "UPS")
    async with world.ups() as client:
        await client.track([ParcelQuery(UPS, "UPS")])  # the client sends them (else this would be a 400)
    assert [r.status for r in world.calls("ups", TRACK)] == [200]
    async with world.raw() as raw:
        issued = await raw.post(
            "/security/v1/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=("demo-ups-client", "demo-ups-secret"),
        )
        token = issued.json()["access_token"]
        bare = await raw.get(TRACK + UPS, headers={"Authorization": f"Bearer {token}"})
        long_id = await raw.get(
            TRACK + UPS, headers={"Authorization": f"Bearer {token}", "transId": "x" * 33, "transactionSrc": "t"}
        )
    assert bare.status_code == long_id.status_code == 400
    assert bare.json()["response"]["errors"][0]["message"].startswith("Missing or invalid transId")


async def test_the_token_answer_is_all_strings(world: World) -> None:
    async with world.raw() as raw:
        reply = await raw.post(
            "/security/v1/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=("demo-ups-client", "demo-ups-secret"),
        )
    assert reply.status_code == 200
    assert all(isinstance(value, str) for value in reply.json().values())
    assert reply.json()["expires_in"] == "14399" and reply.json()["token_type"] == "Bearer"


async def test_429_without_retry_after_backs_off_and_with_it_waits_as_told(world: World) -> None:
    world.parcel(UPS, "UPS")
    world.state.faults.add(Fault("status_429", provider="ups", endpoint="track", times=1))
    async with world.ups() as client:
        assert status((await client.track([ParcelQuery(UPS, "UPS")]))[UPS]).found
        assert len(world.sleeps.waits) == 1 and world.sleeps.waits[0] <= 0.5  # full-jitter backoff, base 0.5 s
        world.state.faults.add(Fault("status_429", provider="ups", endpoint="track", times=1, retry_after=3))
        assert status((await client.track([ParcelQuery(UPS, "UPS")]))[UPS]).found
    assert world.sleeps.waits[1:] == [3.0]


async def test_a_malformed_answer_is_that_packages_problem(world: World) -> None:
    world.parcel(UPS, "UPS")
    world.parcel(OTHER, "UPS")
    async with world.ups() as client:
        await client.track([ParcelQuery(UPS, "UPS")])  # the token first, so the fault hits a track call
        world.state.faults.add(Fault("malformed", provider="ups", endpoint="track", times=1))
        found = await client.track([ParcelQuery(UPS, "UPS")])
    assert isinstance(found[UPS], str) and "not a JSON object" in found[UPS]
