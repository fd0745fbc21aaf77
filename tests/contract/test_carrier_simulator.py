"""The carrier simulators themselves: they follow the TD SYNNEX simulator's packages, journeys are
deterministic and scriptable, EasyPost pushes signed tracker.updated webhooks as simulated time passes,
and the /_sim/ control API drives all of it over a socket without a credential reaching the log."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from carrier_world import START, World
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from orderbridge.carriers import (
    SIGNATURE_HEADER,
    CarrierRoutes,
    ShippedPackage,
    open_providers,
    read_tracker_event,
    signature_is_valid,
)
from orderbridge.config import Settings
from orderbridge.core.clock import SimClock
from orderbridge.core.delivery import ParcelQuery, ParcelState, ParcelStatus
from orderbridge.core.domain import Package
from orderbridge.rules.carriers import claimed_carrier, number_evidence
from orderbridge.runners.demo import demo_settings
from orderbridge.simulators.book import seed_demo_book
from orderbridge.simulators.carriers import auth
from orderbridge.simulators.carriers.app import create_app
from orderbridge.simulators.carriers.easypost_api import deliver_webhooks
from orderbridge.simulators.carriers.journeys import DEFAULT_MIX, OUTCOMES, Parcel, plan_journey
from orderbridge.simulators.carriers.state import CarrierState
from orderbridge.simulators.connectwise.seed import seed_defaults
from orderbridge.simulators.connectwise.state import ConnectWiseState
from orderbridge.simulators.serve import running_simulators
from orderbridge.simulators.tdsynnex.lifecycle import LineEvent, LineScript, OrderScript
from orderbridge.simulators.tdsynnex.state import TDSynnexState

UPS_NUMBER, FEDEX_NUMBER = "1Z999AA10123456784", "812085413736309"
SECRET = "canary-Webhook-Secret-s\u00e9cret"
CARTON = Decimal("2.4")  # pounds


def shipped_order(at: datetime) -> OrderScript:
    """Line 1 ships by UPS Ground from Romeoville (warehouse 6) a day after the order; line 2 by FedEx
    Ground from Ontario, CA (warehouse 12) two days after."""
    line1 = LineScript(
        1, "3925587", "920-002565", "KEYBOARD", 2, Decimal("22.49"),
        [
            LineEvent(at, "accept", "41000001", "SO", 2, "6", "UP"),
            LineEvent(at + timedelta(days=1), "ship", "41000001", quantity=2, packages=(Package(UPS_NUMBER, CARTON),)),
        ],
    )  # fmt: skip
    line2 = LineScript(
        2, "7011452", "DELL-P2422H", "MONITOR", 1, Decimal("189.99"),
        [
            LineEvent(at, "accept", "41000002", "SO", 1, "12", "FG"),
            LineEvent(at + timedelta(days=2), "ship", "41000002", quantity=1, packages=(Package(FEDEX_NUMBER),)),
        ],
    )  # fmt: skip
    return OrderScript("100001", "PO-CARRIERS-1", at, [line1, line2])


async def test_carriers_follow_the_td_synnex_simulators_packages_from_their_ship_time() -> None:
    clock = SimClock(START)
    tdsynnex = TDSynnexState(clock)
    tdsynnex.add_order(shipped_order(START))
    state = CarrierState(clock, packages=tdsynnex.shipped_parcel)
    transport = httpx.ASGITransport(app=create_app(state))
    world = World("in-process", clock, state, "https://carriers.sim.test", transport)
    queries = [ParcelQuery(UPS_NUMBER, "UPS")]
    async with world.ups() as ups, world.fedex() as fedex:
        assert isinstance(before := (await ups.track(queries))[UPS_NUMBER], ParcelStatus) and not before.found
        clock.advance(timedelta(days=1, hours=3))
        shipped = (await ups.track(queries))[UPS_NUMBER]
        assert isinstance(shipped, ParcelStatus) and shipped.found
        assert shipped.events[0].location is not None and shipped.events[0].location.startswith("ROMEOVILLE, IL")
        # The UPS package is unknown to FedEx; FedEx's own one only from its own ship time.
        assert not (await fedex.track([ParcelQuery(UPS_NUMBER, "FedEx")]))[UPS_NUMBER].found  # type: ignore[union-attr]
        assert not (await fedex.track([ParcelQuery(FEDEX_NUMBER, "FedEx")]))[FEDEX_NUMBER].found  # type: ignore[union-attr]
        clock.advance(timedelta(days=1))
        later = (await fedex.track([ParcelQuery(FEDEX_NUMBER, "FedEx")]))[FEDEX_NUMBER]
    assert isinstance(later, ParcelStatus) and later.found and later.carrier == "FedEx"
    parcel = state.parcel(UPS_NUMBER)
    assert parcel is not None and (parcel.carrier, parcel.origin.city, parcel.transit_days) == ("UPS", "ROMEOVILLE", 4)
    assert parcel.weight_oz == pytest.approx(2.4 * 16)


def test_a_journey_is_the_same_for_the_same_number_seed_and_ship_time() -> None:
    parcel = Parcel(UPS_NUMBER, "UPS", START)
    one = plan_journey(parcel, seed=7, mix=DEFAULT_MIX)
    assert one == plan_journey(parcel, seed=7, mix=DEFAULT_MIX)
    assert [s.at for s in one.steps] == sorted(s.at for s in one.steps)
    outcomes = {plan_journey(Parcel(f"1Z{n:016d}", "UPS", START), seed=7, mix=DEFAULT_MIX).outcome for n in range(400)}
    assert outcomes == set(OUTCOMES)  # the default mix yields every outcome


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_every_outcome_ends_as_it_says(outcome: str) -> None:
    for n in range(25):
        journey = plan_journey(
            Parcel(f"{n:012d}", "FedEx", START + timedelta(hours=n * 7)), seed=n, mix=DEFAULT_MIX, outcome=outcome
        )
        kinds = [step.kind for step in journey.steps]
        assert [s.at for s in journey.steps] == sorted(s.at for s in journey.steps)
        assert kinds[0] == "label_created"
        last = {
            "delivered": "delivered",
            "failed_attempt": "delivered",
            "slipped": "delivered",
            "exception": "exception",
            "elsewhere": "delivered_elsewhere",
            "returned": "returned",
        }
        assert kinds[-1] == last[outcome]
        if outcome == "slipped":
            assert journey.steps[-1].estimate > journey.steps[0].estimate  # type: ignore[operator]
        if outcome == "failed_attempt":
            assert kinds.count("out_for_delivery") == 2 and kinds.count("failed_attempt") == 1


class Receiver:
    """Someone's webhook endpoint: records what arrives, answers `status`."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.status = 200

    def app(self) -> Starlette:
        async def hook(request: Request) -> Response:
            self.received.append((dict(request.headers), await request.body()))
            return Response(status_code=self.status)

        return Starlette(routes=[Route("/hooks/easypost", hook, methods=["POST"])])


async def test_tracker_updates_are_pushed_signed_as_simulated_time_passes(world: World) -> None:
    receiver = Receiver()
    world.state.webhooks.transport = httpx.ASGITransport(app=receiver.app())
    world.parcel("9400110898825022579493", "USPS", "delivered")
    async with world.easypost() as client:
        await client.create_webhook("https://receiver.test/hooks/easypost", SECRET)
        await client.track([ParcelQuery("9400110898825022579493", "USPS")])
    world.move_to("9400110898825022579493", "delivered")
    assert await deliver_webhooks(world.state) == 2  # tracker.created, then one tracker.updated
    assert await deliver_webhooks(world.state) == 0  # nothing moved since
    events = []
    for headers, body in receiver.received:
        assert signature_is_valid(SECRET, body, headers[SIGNATURE_HEADER.lower()])
        assert not signature_is_valid(
            SECRET, body.replace(b'"mode":"production"', b'"mode":"test"'), headers[SIGNATURE_HEADER.lower()]
        )
        assert not signature_is_valid("another-secret", body, headers[SIGNATURE_HEADER.lower()])
        events.append(read_tracker_event(body))
    created, updated = events
    assert created is not None and updated is not None
    assert (created.description, updated.description) == ("tracker.created", "tracker.updated")
    assert updated.previous == {"status": "pre_transit"}
    assert isinstance(updated.status, ParcelStatus) and updated.status.state is ParcelState.DELIVERED
    assert updated.status.carrier == "USPS" and updated.event_id.startswith("evt_")


async def test_a_failing_webhook_endpoint_is_retried_in_simulated_time(world: World) -> None:
    receiver = Receiver()
    receiver.status = 500
    world.state.webhooks.transport = httpx.ASGITransport(app=receiver.app())
    async with world.easypost() as client:
        await client.create_webhook("https://receiver.test/hooks/easypost", SECRET)
        await client.track([ParcelQuery("EZ0000000000", "USPS")])
    await deliver_webhooks(world.state)
    assert len(receiver.received) == 1 and len(world.state.webhooks.outbox) == 1
    receiver.status = 204
    world.clock.advance(timedelta(seconds=59))
    await deliver_webhooks(world.state)
    assert len(receiver.received) == 1  # the first retry is a minute later
    world.clock.advance(timedelta(seconds=2))
    await deliver_webhooks(world.state)
    assert len(receiver.received) == 2 and not world.state.webhooks.outbox
    assert [a.statuses[-1] for a in world.state.webhooks.attempts] == [500, 204]


async def control(raw: httpx.AsyncClient, method: str, path: str, body: Any = None) -> Any:
    reply = await raw.request(method, "/_sim" + path, json=body)
    assert reply.status_code < 300, reply.text
    return reply.json()


async def test_the_control_api_drives_packages_scripts_faults_and_the_log(world: World) -> None:
    async with world.raw() as raw:
        shipped = (START - timedelta(days=1)).isoformat()
        await control(
            raw, "POST", "/packages", {"tracking_number": UPS_NUMBER, "carrier": "UPS", "shipped_at": shipped}
        )
        await control(raw, "POST", "/journeys", {"tracking_number": UPS_NUMBER, "steps": [
            {"after_hours": 0, "kind": "label_created"},
            {"after_hours": 30, "kind": "out_for_delivery"},
            {"after_hours": 34, "kind": "delivered", "signer": "R RECEIVER"},
        ]})  # fmt: skip
        journey = await control(raw, "GET", f"/packages/{UPS_NUMBER}")
        assert [s["kind"] for s in journey["steps"]] == ["label_created", "out_for_delivery", "delivered"]
        assert [s["seen"] for s in journey["steps"]] == [True, False, False]
        await control(raw, "POST", "/clock/advance", {"seconds": 12 * 3600})
        await control(
            raw,
            "POST",
            "/faults",
            {"kind": "status_429", "provider": "ups", "endpoint": "track", "times": 1, "retry_after": 2},
        )
        await control(raw, "PUT", "/mix", {"mix": {"returned": 1}})
        assert (await control(raw, "GET", "/mix"))["mix"] == {"returned": 1.0}
        bad = await raw.put("/_sim/mix", json={"mix": {"teleported": 1}})
        assert bad.status_code == 400 and "outcomes among" in bad.json()["error"]
    async with world.ups() as client:
        found = (await client.track([ParcelQuery(UPS_NUMBER, "UPS")]))[UPS_NUMBER]
    assert isinstance(found, ParcelStatus) and (found.state, found.signed_by) == (ParcelState.DELIVERED, "R RECEIVER")
    assert world.sleeps.waits == [2.0]
    async with world.raw() as raw:
        log = json.dumps(await control(raw, "GET", "/requests"))
        for secret in (auth.DEMO_UPS.client_secret, "Bearer", "Basic"):
            assert secret not in log
        await control(raw, "POST", "/reset")
        assert (await control(raw, "GET", "/requests"))["requests"] == []
        assert (await raw.get(f"/_sim/packages/{UPS_NUMBER}")).status_code == 404


async def test_credentials_added_through_the_control_api_work_and_are_not_echoed(world: World) -> None:
    async with world.raw() as raw:
        added = await control(
            raw, "POST", "/credentials", {"provider": "fedex", "client_id": "acme", "client_secret": "acme-secret-1"}
        )
        assert "acme-secret-1" not in json.dumps(added)
        token = await raw.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "client_id": "acme", "client_secret": "acme-secret-1"},
        )
        revoked = await control(raw, "POST", "/tokens/revoke", {"provider": "fedex"})
    assert token.status_code == 200 and revoked == {"revoked": 1}


def test_the_shipped_parcel_lookup_replays_ship_method_and_warehouse() -> None:
    clock = SimClock(START)
    tdsynnex = TDSynnexState(clock)
    tdsynnex.add_order(shipped_order(START))
    assert tdsynnex.shipped_parcel(UPS_NUMBER) is None  # not shipped yet
    clock.advance(timedelta(days=3))
    ups, fedex = tdsynnex.shipped_parcel(UPS_NUMBER), tdsynnex.shipped_parcel(FEDEX_NUMBER)
    assert ups is not None and (ups.ship_method, ups.warehouse, ups.origin_city, ups.po_number) == (
        "UP",
        "6",
        "Romeoville",
        "PO-CARRIERS-1",
    )
    assert fedex is not None and (fedex.ship_method, fedex.ship_method_description, fedex.shipped_at) == (
        "FG",
        "FedEx Ground",
        START + timedelta(days=2),
    )
    assert tdsynnex.tracking_numbers() == sorted([UPS_NUMBER, FEDEX_NUMBER])
    tdsynnex.reset()
    assert tdsynnex.shipped_parcel(UPS_NUMBER) is None


def test_demo_packages_reach_a_carrier() -> None:
    """Every parcel the demo book ships is followed by some simulated carrier (drop-ship and LTL excepted)."""
    clock = SimClock(START)
    connectwise, tdsynnex = ConnectWiseState(clock), TDSynnexState(clock)
    seed_defaults(connectwise)
    seed_demo_book(connectwise, tdsynnex, clock, orders=30)
    state = CarrierState(clock, packages=tdsynnex.shipped_parcel)
    clock.advance(timedelta(days=10))
    followed = [n for n in tdsynnex.tracking_numbers() if state.journey(n) is not None]
    unfollowed = [tdsynnex.shipped_parcel(n) for n in tdsynnex.tracking_numbers() if state.journey(n) is None]
    assert followed
    assert all(p is None or p.ship_method in ("UPSN", "EXDO") for p in unfollowed)


async def test_the_served_simulators_answer_the_demo_credentials_end_to_end() -> None:
    """What the delivery pipeline will compose: TD SYNNEX's packages, routed by their ship method, asked of
    the providers `orderbridge sim` serves, with the demo credentials and settings as the demo builds them."""
    with running_simulators(orders=8) as sims:
        sims.clock.advance(timedelta(days=4))
        table = {**sims.carrier_settings(), "enabled": True}
        demo = demo_settings(sims, "sqlite://")
        settings = Settings.model_validate({**demo.model_dump(), "carriers": table})  # the demo, tracking on
        packages = []
        for number in sims.tdsynnex.tracking_numbers():
            shipped = sims.tdsynnex.shipped_parcel(number)
            if shipped is not None:
                carrier, _ = claimed_carrier(shipped.ship_method, shipped.ship_method_description)
                packages.append(ShippedPackage(number, carrier, shipped.ship_method, number_evidence(number).shaped))
        plan = CarrierRoutes(settings.carriers).plan(packages)
        providers = open_providers(settings.carriers, settings.http, clock=sims.clock)
        try:
            answers = {name: await providers[name].track(queries) for name, queries in plan.queries.items()}
        finally:
            for provider in providers.values():
                await provider.aclose()
    assert set(plan.queries) <= {"ups", "fedex"} and plan.queries
    found = [result for results in answers.values() for result in results.values()]
    assert all(isinstance(result, ParcelStatus) and result.found for result in found)
    assert all(reason for reason in plan.unfollowed.values())
