"""FedExClient against the simulated FedEx OAuth and Track APIs, in-process and over a socket.

What is protected: at most 30 numbers per request (65 numbers are 3 calls); per-number outcomes inside
HTTP 200 (found, NOTFOUND, refused) each reach their own package; the integer-expiry token is cached,
refreshed before it expires on the simulated clock, refreshed once on a 401; bad credentials stop the
run without leaking the secret; every journey state maps onto ParcelState (delivered elsewhere from the
actual delivery address); FedEx's throttling (429 with Retry-After) is waited out by the shared policy.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from carrier_world import START, Sleeps, World

from orderbridge.core.clock import SimClock
from orderbridge.core.delivery import ParcelQuery, ParcelState, ParcelStatus
from orderbridge.core.errors import AuthError, TransientApiError
from orderbridge.simulators.carriers.faults import Fault
from orderbridge.simulators.carriers.state import NumberScript

TRACK = "/track/v1/trackingnumbers"
NUMBER = "122816215025810"


def status(result: ParcelStatus | str) -> ParcelStatus:
    assert isinstance(result, ParcelStatus), result
    return result


def fedex_numbers(count: int) -> list[str]:
    return [f"7{index:011d}" for index in range(count)]


async def test_65_numbers_go_in_3_requests_of_at_most_30(world: World) -> None:
    numbers = fedex_numbers(65)
    for number in numbers:
        world.parcel(number, "FedEx", shipped_hours_ago=30)
    async with world.fedex() as client:
        found = await client.track([ParcelQuery(number, "FedEx") for number in numbers])
    assert sorted(found) == sorted(numbers)
    assert all(status(result).state is not ParcelState.UNKNOWN for result in found.values())
    calls = world.calls("fedex", TRACK)
    assert sorted(len(call.numbers) for call in calls) == [5, 30, 30]
    assert client.batch_size == 30 and client.token_fetches == 1


async def test_a_smaller_batch_size_is_honoured(world: World) -> None:
    numbers = fedex_numbers(25)
    async with world.fedex(batch_size=10) as client:
        await client.track([ParcelQuery(number, "FedEx") for number in numbers])
    assert sorted(len(call.numbers) for call in world.calls("fedex", TRACK)) == [5, 10, 10]


async def test_per_number_outcomes_inside_one_200(world: World) -> None:
    world.parcel(NUMBER, "FedEx")
    world.state.set_script("797615467620", NumberScript(answer="invalid"))
    world.parcel("1Z999AA10123456784", "UPS")
    async with world.fedex() as client:
        found = await client.track(
            [
                ParcelQuery(NUMBER, "FedEx"),
                ParcelQuery("039813852990618", "FedEx"),
                ParcelQuery("797615467620", "FedEx"),
                ParcelQuery("1Z999AA10123456784", "FedEx"),
            ]
        )
    assert status(found[NUMBER]).state is ParcelState.LABEL_CREATED
    for unknown in ("039813852990618", "1Z999AA10123456784"):
        assert (status(found[unknown]).state, status(found[unknown]).found) == (ParcelState.UNKNOWN, False)
    assert isinstance(found["797615467620"], str) and "TRACKING.TRACKINGNUMBER.INVALID" in found["797615467620"]
    assert [call.status for call in world.calls("fedex", TRACK)] == [200]


async def test_the_token_is_cached_and_refreshed_before_it_expires(world: World) -> None:
    world.parcel(NUMBER, "FedEx")
    async with world.fedex() as client:
        await client.track([ParcelQuery(NUMBER, "FedEx")])
        world.clock.advance(timedelta(seconds=3200))  # expires_in 3599: outside the margin still
        await client.track([ParcelQuery(NUMBER, "FedEx")])
        assert client.token_fetches == 1
        world.clock.advance(timedelta(seconds=200))  # 3400 s: inside the five-minute margin
        await client.track([ParcelQuery(NUMBER, "FedEx")])
    assert (client.token_fetches, world.state.tokens["fedex"].issued) == (2, 2)
    assert [call.status for call in world.calls("fedex", TRACK)] == [200, 200, 200]


async def test_a_token_expired_on_the_server_gets_one_refresh_and_one_retry(world: World) -> None:
    world.parcel(NUMBER, "FedEx")
    async with world.fedex(clock=SimClock(START)) as client:
        await client.track([ParcelQuery(NUMBER, "FedEx")])
        world.clock.advance(timedelta(hours=2))
        found = status((await client.track([ParcelQuery(NUMBER, "FedEx")]))[NUMBER])
    assert found.found and client.token_fetches == 2
    assert [(call.status, call.outcome) for call in world.calls("fedex", TRACK)] == [
        (200, "1 found"),
        (401, "NOT.AUTHORIZED.ERROR"),
        (200, "1 found"),
    ]


async def test_bad_credentials_stop_the_run_without_the_secret(world: World) -> None:
    wrong = "canary-Wrong-FedEx-Secret-77"
    async with world.fedex(wrong) as client:
        with pytest.raises(AuthError) as caught:
            await client.track([ParcelQuery(NUMBER, "FedEx")])
    assert (caught.value.status, caught.value.code) == (401, "NOT.AUTHORIZED.ERROR")
    for text in (str(caught.value), repr(caught.value), caught.value.body_excerpt):
        assert wrong not in text


@pytest.mark.parametrize(
    ("outcome", "kind", "expected"),
    [
        ("delivered", "label_created", ParcelState.LABEL_CREATED),
        ("delivered", "departed", ParcelState.IN_TRANSIT),
        ("delivered", "out_for_delivery", ParcelState.OUT_FOR_DELIVERY),
        ("delivered", "delivered", ParcelState.DELIVERED),
        ("failed_attempt", "failed_attempt", ParcelState.FAILED_ATTEMPT),
        ("exception", "exception", ParcelState.EXCEPTION),
        ("returned", "returning", ParcelState.RETURNED_TO_SENDER),
        ("elsewhere", "delivered_elsewhere", ParcelState.DELIVERED),
        ("slipped", "delayed", ParcelState.IN_TRANSIT),
    ],
)
async def test_each_journey_maps_onto_the_shared_vocabulary(
    world: World, outcome: str, kind: str, expected: ParcelState
) -> None:
    world.parcel(NUMBER, "FedEx", outcome)
    step = world.move_to(NUMBER, kind)
    async with world.fedex() as client:
        found = status((await client.track([ParcelQuery(NUMBER, "FedEx")]))[NUMBER])
    assert (found.state, found.provider) == (expected, "fedex")
    assert found.events[-1].at == step.at.replace(microsecond=0)
    assert found.delivered_elsewhere is (kind == "delivered_elsewhere")
    if kind.startswith("delivered"):
        assert found.delivered_at == step.at.replace(microsecond=0) and found.signed_by == step.signer
    if kind == "delayed":
        assert found.estimated_delivery == step.estimate
    if kind == "failed_attempt":
        assert "Customer not available" in found.events[-1].description


async def test_throttling_is_waited_out_with_the_retry_after_fedex_sends(world: World) -> None:
    world.parcel(NUMBER, "FedEx")
    world.state.faults.add(Fault("status_429", provider="fedex", endpoint="track", times=2, retry_after=4))
    async with world.fedex() as client:
        assert status((await client.track([ParcelQuery(NUMBER, "FedEx")]))[NUMBER]).found
    assert world.sleeps.waits == [4.0, 4.0]


class MovingSleeps(Sleeps):
    """Waits that move the simulator's rate-limit clock, as real waiting would."""

    def __init__(self, now: list[float]) -> None:
        super().__init__()
        self.now = now

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now[0] += seconds


async def test_the_rate_window_answers_429_until_it_ends(local_world: World) -> None:
    world = local_world
    now = [1000.0]
    world.state.limits.monotonic = lambda: now[0]
    world.state.limits.limits["fedex"] = (3, 10.0)  # the token and two track calls fit; the third waits
    world.sleeps = MovingSleeps(now)
    numbers = fedex_numbers(90)
    async with world.fedex() as client:
        found = await client.track([ParcelQuery(number, "FedEx") for number in numbers])
    assert len(found) == 90 and all(isinstance(result, ParcelStatus) for result in found.values())
    statuses = [call.status for call in world.calls("fedex")]
    assert statuses.count(429) == 1 and statuses.count(200) == 4
    assert world.sleeps.waits == [10.0]  # Retry-After: the rest of the window


async def test_a_refused_request_is_each_of_its_packages_problem(world: World) -> None:
    world.parcel(NUMBER, "FedEx")
    numbers = [NUMBER, *fedex_numbers(4)]
    async with world.fedex() as client:
        await client.track([ParcelQuery(NUMBER, "FedEx")])  # the token first, so the fault hits a track call
        world.state.faults.add(Fault("status", provider="fedex", endpoint="track", status=400, times=1))
        found = await client.track([ParcelQuery(number, "FedEx") for number in numbers])
        again = await client.track([ParcelQuery(NUMBER, "FedEx")])
    assert sorted(found) == sorted(numbers)
    assert all(isinstance(result, str) and "HTTP 400" in result for result in found.values())
    assert status(again[NUMBER]).found


async def test_an_outage_is_retriable(world: World) -> None:
    world.state.faults.add(Fault("status", provider="fedex", endpoint="track", status=503))
    async with world.fedex() as client:
        with pytest.raises(TransientApiError):
            await client.track([ParcelQuery(number, "FedEx") for number in fedex_numbers(40)])
    assert client.stats.gave_up == 2  # both batches, each after the policy's attempts


async def test_more_than_30_in_one_request_is_refused_by_the_simulator(world: World) -> None:
    async with world.raw() as raw:
        token = (
            await raw.post(
                "/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": "demo-fedex-api-key",
                    "client_secret": "demo-fedex-secret-key",
                },
            )
        ).json()
        assert isinstance(token["expires_in"], int)
        body = {"trackingInfo": [{"trackingNumberInfo": {"trackingNumber": n}} for n in fedex_numbers(31)]}
        reply = await raw.post(TRACK, json=body, headers={"Authorization": f"Bearer {token['access_token']}"})
        empty = await raw.post(
            TRACK, json={"trackingInfo": []}, headers={"Authorization": f"Bearer {token['access_token']}"}
        )
    assert reply.status_code == 400 and "transactionId" in reply.json()
    assert empty.json()["errors"][0]["code"] == "TRACKING.TRACKINGNUMBER.EMPTY"
