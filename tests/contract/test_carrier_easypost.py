"""EasyPostClient against the simulated EasyPost API, in-process and over a socket (same assertions).

What is protected: a tracker is created once and re-read by its id; a repeated create returns the same
tracker (200, not a second 201); every journey state maps onto ParcelState; an unknown number is
"not found"; a refusal for one number stays with that package; 401 stops the run without leaking the key;
429 with Retry-After is honoured by the shared policy; EasyPost's test codes mean what the docs say.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from carrier_world import World

from orderbridge.core.delivery import ParcelQuery, ParcelState, ParcelStatus
from orderbridge.core.errors import AuthError, TransientApiError
from orderbridge.simulators.carriers import auth
from orderbridge.simulators.carriers.faults import Fault
from orderbridge.simulators.carriers.state import NumberScript

USPS = "9400110898825022579493"


def status(result: ParcelStatus | str) -> ParcelStatus:
    assert isinstance(result, ParcelStatus), result
    return result


async def test_a_tracker_is_created_once_then_read_by_id_along_its_journey(world: World) -> None:
    world.parcel(USPS, "USPS", "delivered")
    async with world.easypost() as client:
        first = status((await client.track([ParcelQuery(USPS, "USPS")]))[USPS])
        assert (first.state, first.provider, first.carrier, first.found) == (
            ParcelState.LABEL_CREATED,
            "easypost",
            "USPS",
            True,
        )
        assert first.provider_ref is not None and first.provider_ref.startswith("trk_")
        assert first.estimated_delivery == world.step(USPS, "label_created").estimate
        query = ParcelQuery(USPS, "USPS", first.provider_ref)

        world.move_to(USPS, "arrived")
        assert status((await client.track([query]))[USPS]).state is ParcelState.IN_TRANSIT
        world.move_to(USPS, "out_for_delivery")
        assert status((await client.track([query]))[USPS]).state is ParcelState.OUT_FOR_DELIVERY
        delivered = world.move_to(USPS, "delivered")
        final = status((await client.track([query]))[USPS])
    assert (final.state, final.delivered_at, final.signed_by) == (
        ParcelState.DELIVERED,
        delivered.at.replace(microsecond=0),
        delivered.signer,
    )
    assert not final.delivered_elsewhere and final.events[-1].state is ParcelState.DELIVERED
    assert [e.at for e in final.events] == sorted(e.at for e in final.events)
    calls = [(r.method, r.path.split("/trk_")[0], r.status) for r in world.calls("easypost")]
    assert calls == [("POST", "/v2/trackers", 201)] + [("GET", "/v2/trackers", 200)] * 3


async def test_a_repeated_create_returns_the_existing_tracker(world: World) -> None:
    world.parcel(USPS, "USPS")
    async with world.easypost() as client:
        one = status((await client.track([ParcelQuery(USPS, "USPS")]))[USPS])
        two = status((await client.track([ParcelQuery(USPS, "USPS")]))[USPS])
    assert one.provider_ref == two.provider_ref
    assert [(r.status, r.outcome) for r in world.calls("easypost")] == [(201, "created"), (200, "existing")]
    assert len(world.state.trackers) == 1


@pytest.mark.parametrize(
    ("outcome", "kind", "expected"),
    [
        ("failed_attempt", "failed_attempt", ParcelState.FAILED_ATTEMPT),
        ("exception", "exception", ParcelState.EXCEPTION),
        ("returned", "returning", ParcelState.RETURNED_TO_SENDER),
        ("returned", "returned", ParcelState.RETURNED_TO_SENDER),
        ("elsewhere", "delivered_elsewhere", ParcelState.DELIVERED),
        ("failed_attempt", "delivered", ParcelState.DELIVERED),
    ],
)
async def test_each_journey_maps_onto_the_shared_vocabulary(
    world: World, outcome: str, kind: str, expected: ParcelState
) -> None:
    world.parcel(USPS, "USPS", outcome)
    world.move_to(USPS, kind)
    async with world.easypost() as client:
        found = status((await client.track([ParcelQuery(USPS, "USPS")]))[USPS])
    assert found.state is expected
    assert found.delivered_elsewhere is (kind == "delivered_elsewhere")
    if found.delivered_elsewhere:
        assert found.delivered_to is not None and "Delivered to" in found.delivered_to


async def test_a_slipped_estimate_is_the_new_date(world: World) -> None:
    world.parcel(USPS, "USPS", "slipped")
    async with world.easypost() as client:
        before = status((await client.track([ParcelQuery(USPS, "USPS")]))[USPS]).estimated_delivery
        delay = world.move_to(USPS, "delayed")
        after = status((await client.track([ParcelQuery(USPS, "USPS")]))[USPS])
    assert before is not None and after.estimated_delivery == delay.estimate and delay.estimate > before
    assert after.state is ParcelState.IN_TRANSIT


async def test_an_unknown_number_is_not_found_and_a_refused_one_stays_with_its_package(world: World) -> None:
    world.parcel(USPS, "USPS")
    world.state.set_script("BADNUMBER1", NumberScript(answer="invalid"))
    async with world.easypost() as client:
        found = await client.track(
            [
                ParcelQuery(USPS, "USPS"),
                ParcelQuery("9400100000000000000000", "USPS"),
                ParcelQuery("BADNUMBER1", "USPS"),
            ]
        )
    assert status(found[USPS]).state is ParcelState.LABEL_CREATED
    unknown = status(found["9400100000000000000000"])
    assert (unknown.state, unknown.found, unknown.events) == (ParcelState.UNKNOWN, False, ())
    assert isinstance(found["BADNUMBER1"], str) and "TRACKER.CREATE.ERROR" in found["BADNUMBER1"]


async def test_a_carrier_that_is_not_the_packages_is_that_packages_problem(world: World) -> None:
    world.parcel(USPS, "USPS")
    async with world.easypost() as client:
        found = await client.track([ParcelQuery(USPS, "UPS")])
    assert isinstance(found[USPS], str) and "does not belong to the carrier" in found[USPS]


async def test_a_deleted_tracker_is_created_again(world: World) -> None:
    world.parcel(USPS, "USPS")
    async with world.easypost() as client:
        ref = status((await client.track([ParcelQuery(USPS, "USPS")]))[USPS]).provider_ref
        world.state.trackers.clear()
        again = status((await client.track([ParcelQuery(USPS, "USPS", ref)]))[USPS])
    assert again.provider_ref != ref
    assert [r.status for r in world.calls("easypost")] == [201, 404, 201]


async def test_a_wrong_key_stops_the_run_without_showing_the_key(world: World) -> None:
    wrong = "EZAKcanary0000wrong0000key"
    async with world.easypost(wrong) as client:
        with pytest.raises(AuthError) as caught:
            await client.track([ParcelQuery(USPS, "USPS")])
    assert caught.value.status == 401
    for text in (str(caught.value), repr(caught.value), caught.value.body_excerpt):
        assert wrong not in text


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("EZ1000000001", ParcelState.LABEL_CREATED),
        ("EZ2000000002", ParcelState.IN_TRANSIT),
        ("EZ3000000003", ParcelState.OUT_FOR_DELIVERY),
        ("EZ4000000004", ParcelState.DELIVERED),
        ("EZ5000000005", ParcelState.RETURNED_TO_SENDER),
        ("EZ6000000006", ParcelState.EXCEPTION),
        ("EZ7000000007", ParcelState.UNKNOWN),
    ],
)
async def test_test_mode_codes_mean_what_easypost_documents(world: World, code: str, expected: ParcelState) -> None:
    async with world.easypost(auth.DEMO_EASYPOST_TEST_KEY.key) as client:
        found = status((await client.track([ParcelQuery(code, "USPS")]))[code])
    assert found.state is expected and found.events
    assert found.signed_by == ("John Tester" if code == "EZ4000000004" else None)


async def test_a_real_number_on_a_test_key_is_a_problem_message(world: World) -> None:
    world.parcel(USPS, "USPS")
    async with world.easypost(auth.DEMO_EASYPOST_TEST_KEY.key) as client:
        found = await client.track([ParcelQuery(USPS, "USPS")])
    assert isinstance(found[USPS], str) and "only test tracking numbers" in found[USPS]


async def test_429_with_retry_after_is_waited_out_by_the_policy(world: World) -> None:
    world.parcel(USPS, "USPS")
    world.state.faults.add(Fault("status_429", provider="easypost", times=1, retry_after=7))
    async with world.easypost() as client:
        found = status((await client.track([ParcelQuery(USPS, "USPS")]))[USPS])
    assert found.state is ParcelState.LABEL_CREATED
    assert world.sleeps.waits == [7.0]
    assert [r.outcome for r in world.calls("easypost")] == ["fault:status_429", "created"]


async def test_an_outage_of_every_call_is_retriable(world: World) -> None:
    world.parcel(USPS, "USPS")
    world.state.faults.add(Fault("status", provider="easypost", status=503))
    async with world.easypost() as client:
        with pytest.raises(TransientApiError):
            await client.track([ParcelQuery(USPS, "USPS"), ParcelQuery("9400100000000000000000", "USPS")])
    assert client.stats.gave_up == 2


async def test_webhook_registration_through_the_client(world: World) -> None:
    async with world.easypost() as client:
        hook = await client.create_webhook("https://orderbridge.example/webhooks/easypost", "s3cret-for-hooks")
    assert hook.startswith("hook_")
    (registered,) = world.state.webhooks.hooks.values()
    assert (registered.url, registered.secret, registered.mode) == (
        "https://orderbridge.example/webhooks/easypost",
        "s3cret-for-hooks",
        "production",
    )


async def test_the_clock_moves_packages_forward_not_back(world: World) -> None:
    world.parcel(USPS, "USPS", "delivered")
    world.move_to(USPS, "delivered")
    world.clock.advance(timedelta(days=30))
    async with world.easypost() as client:
        assert status((await client.track([ParcelQuery(USPS, "USPS")]))[USPS]).state is ParcelState.DELIVERED


async def test_the_simulator_takes_basic_as_documented_and_bearer_as_the_official_client_sends(world: World) -> None:
    key = auth.DEMO_EASYPOST_KEY.key
    async with world.raw() as raw:
        basic = await raw.get("/v2/trackers", auth=(key, ""))
        bearer = await raw.get("/v2/trackers", headers={"Authorization": f"Bearer {key}"})
        refused = await raw.get("/v2/trackers", headers={"Authorization": "Bearer EZAKnot-a-key"})
        missing = await raw.post("/v2/trackers", json={"tracker": {"carrier": "USPS"}}, auth=(key, ""))
    assert (basic.status_code, bearer.status_code) == (200, 200)
    assert basic.json() == {"trackers": [], "has_more": False}
    assert refused.status_code == 401 and set(refused.json()["error"]) == {"code", "message", "errors"}
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "PARAMETER.REQUIRED"
    assert missing.json()["error"]["errors"] == [{"field": "tracker.tracking_code", "message": "cannot be blank"}]
