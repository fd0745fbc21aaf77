"""Fault injection in both simulators, driven through `/_sim/` the way a socket test or `orderbridge sim
--faults` drives it: random profiles with a seeded RNG, the new targeted kinds, latency through the
injectable sleep, and what our clients make of each."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from world import simple_order

from orderbridge.config import ConnectWiseSettings, HttpSettings, TDSynnexSettings
from orderbridge.connectwise.client import ConnectWiseClient
from orderbridge.core.clock import SimClock
from orderbridge.core.errors import MalformedResponse, RequestRejected, TransientApiError
from orderbridge.simulators.connectwise.app import create_app as create_cw_app
from orderbridge.simulators.connectwise.state import ConnectWiseState
from orderbridge.simulators.tdsynnex.app import create_app as create_tds_app
from orderbridge.simulators.tdsynnex.faults import Latency
from orderbridge.simulators.tdsynnex.state import TDSynnexState
from orderbridge.tdsynnex import TDSynnexClient
from orderbridge.tdsynnex.xml import build_status_request


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def clock() -> SimClock:
    return SimClock()


@pytest.fixture
def tds_state(clock: SimClock) -> TDSynnexState:
    state = TDSynnexState(clock)
    state.add_order(simple_order("PO-1", clock.now()))
    return state


@pytest.fixture
async def tds_http(tds_state: TDSynnexState) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_tds_app(tds_state)), base_url="https://tds.sim"
    ) as c:
        yield c


def tds_client(state: TDSynnexState, sleeps: Sleeps, attempts: int = 2) -> TDSynnexClient:
    settings = TDSynnexSettings(
        url="https://tds.sim/SynnexXML/POStatus",
        user_id="demo@example.com",
        password=SecretStr("demo"),
        customer_number="100001",
    )
    return TDSynnexClient(
        settings,
        HttpSettings(max_attempts=attempts),
        transport=httpx.ASGITransport(app=create_tds_app(state)),
        sleep=sleeps,
    )


async def status_query(client: httpx.AsyncClient, po: str = "PO-1") -> httpx.Response:
    body = build_status_request(user_id="demo@example.com", password="demo", customer_number="100001", po_number=po)
    return await client.post("/SynnexXML/POStatus", content=body, headers={"Content-Type": "application/xml"})


# ------------------------------------------------------------------------------------------- TD SYNNEX


async def test_tds_random_profile_is_set_listed_counted_and_cleared(
    tds_http: httpx.AsyncClient, tds_state: TDSynnexState
) -> None:
    tds_state.latency = Latency(Sleeps())
    bad = await tds_http.post("/_sim/faults/random", json={"spec": "5xx=2"})
    assert bad.status_code == 400 and "between 0 and 1" in bad.json()["error"]
    added = await tds_http.post("/_sim/faults/random", json={"spec": "5xx=0.5,html=0.2,seed=4"})
    assert added.status_code == 201 and added.json()["spec"] == "5xx=0.5,html=0.2,seed=4"
    statuses = [(await status_query(tds_http)).status_code for _ in range(200)]
    listed = (await tds_http.get("/_sim/faults/random")).json()
    assert listed["injected"]["5xx"] == sum(s >= 500 for s in statuses)
    assert 70 < listed["injected"]["5xx"] < 130 and listed["injected"]["html"] > 20
    assert sum(r.outcome.startswith("fault:") for r in tds_state.requests) == sum(listed["injected"].values())
    await tds_http.delete("/_sim/faults/random")
    assert (await tds_http.get("/_sim/faults/random")).json() == {"spec": None, "injected": {}}
    assert {(await status_query(tds_http)).status_code for _ in range(20)} == {200}


async def test_tds_same_seed_same_faults(clock: SimClock) -> None:
    outcomes = []
    for _ in range(2):
        state = TDSynnexState(clock)
        state.latency = Latency(Sleeps())
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_tds_app(state)), base_url="https://t"
        ) as c:
            await c.post("/_sim/faults/random", json={"spec": "5xx=0.2,malformed=0.1,truncated=0.1,seed=9"})
            outcomes.append(
                [(await status_query(c)).status_code for _ in range(60)] + [r.outcome for r in state.requests]
            )
    assert outcomes[0] == outcomes[1]


async def test_tds_latency_uses_the_injected_sleep_with_a_tail(
    tds_http: httpx.AsyncClient, tds_state: TDSynnexState
) -> None:
    sleeps = Sleeps()
    tds_state.latency = Latency(sleeps)
    await tds_http.post("/_sim/faults/random", json={"spec": "latency=200ms~p99:2s,seed=1"})
    for _ in range(300):
        assert (await status_query(tds_http)).status_code == 200
    waits = sorted(sleeps.waits)
    assert len(waits) == 300 and 0.15 < waits[150] < 0.27 and waits[-1] > 1.0


@pytest.mark.parametrize(
    ("kind", "options", "outcome"),
    [
        ("status", {"status": 502}, (TransientApiError, "502")),
        ("status", {"status": 404}, (RequestRejected, "404")),
        ("truncated", {}, (TransientApiError, "truncated")),
        ("timeout", {}, (TransientApiError, "timeout")),
        ("reset", {}, (TransientApiError, "reset")),
        ("status_429", {"retry_after": 3}, (TransientApiError, "429")),
    ],
)
async def test_tds_transport_kinds_meet_the_client_as_in_production(
    tds_http: httpx.AsyncClient, tds_state: TDSynnexState, kind: str, options: dict[str, Any], outcome: tuple[type, str]
) -> None:
    added = await tds_http.post("/_sim/faults", json={"po_number": "PO-1", "kind": kind, **options})
    assert added.status_code == 201
    sleeps = Sleeps()
    async with tds_client(tds_state, sleeps) as client:
        with pytest.raises(outcome[0], match=outcome[1]):
            await client.get_status("PO-1")
        assert (await client.get_status("PO-2")).po_number == "PO-2"  # other POs answer normally
    if kind == "status_429":
        assert sleeps.waits == [3.0]
    attempts = 1 if outcome[0] is RequestRejected else 2
    assert [r.outcome for r in tds_state.requests][: attempts + 1] == [f"fault:{kind}"] * attempts + ["notFound"]


async def test_tds_one_truncated_answer_is_absorbed_by_a_retry(tds_state: TDSynnexState) -> None:
    tds_state.faults.add("truncated", po_number="PO-1", times=1)
    async with tds_client(tds_state, Sleeps()) as client:
        order = await client.get_status("PO-1")
        assert order.po_number == "PO-1" and client.stats.retried["truncated"] == 1


async def test_tds_malformed_and_html_stay_skippable(tds_state: TDSynnexState) -> None:
    for kind in ("malformed", "html"):
        tds_state.faults.add(kind, po_number="PO-1", times=1)  # type: ignore[arg-type]
        async with tds_client(tds_state, Sleeps()) as client:
            with pytest.raises(MalformedResponse):
                await client.get_status("PO-1")


# ----------------------------------------------------------------------------------------- ConnectWise


@pytest.fixture
def cw_state(clock: SimClock) -> ConnectWiseState:
    state = ConnectWiseState(clock)
    state.add_purchase_order(po_number="PO-CW-1", status_name="New")
    return state


def cw_client(state: ConnectWiseState, sleeps: Callable[[float], Awaitable[None]]) -> ConnectWiseClient:
    settings = ConnectWiseSettings(
        company="demo",
        public_key="demopublic",
        private_key=SecretStr("demoprivate"),
        client_id="t",
        base_url="https://cw.sim/v4_6_release/apis/3.0",
    )
    return ConnectWiseClient(
        settings, HttpSettings(max_attempts=3), transport=httpx.ASGITransport(app=create_cw_app(state)), sleep=sleeps
    )


async def test_cw_random_profile_through_the_control_api(cw_state: ConnectWiseState) -> None:
    cw_state.faults.sleep = Sleeps()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_cw_app(cw_state)), base_url="https://cw.sim"
    ) as c:
        assert (await c.post("/_sim/faults/random", json={"spec": "5xx=0.3,seed=2,latency=10ms"})).status_code == 201
        assert (await c.post("/_sim/faults/random", json={"spec": "nope=1"})).status_code == 400
        async with cw_client(cw_state, Sleeps()) as client:
            for _ in range(30):
                await client.list_statuses()  # three attempts absorb a 30% rate almost always
            retried = client.stats.retried
        listed = (await c.get("/_sim/faults/random")).json()
        assert listed["injected"]["5xx"] == sum(v for k, v in retried.items() if k.startswith("5"))
        assert listed["injected"]["latency"] == len(cw_state.request_log)
        assert (await c.delete("/_sim/faults/random")).status_code == 204
        assert cw_state.faults.random is None


async def test_cw_429_burst_answers_with_a_truthful_retry_after(cw_state: ConnectWiseState, clock: SimClock) -> None:
    from orderbridge.simulators.fault_spec import apply_fault_spec

    apply_fault_spec("cw:429burst=20/60s", cw_state, None)
    clock.set(clock.now().replace(second=5, microsecond=0) + timedelta(minutes=1))
    sleeps = Sleeps()

    async def sleep_moves_time(seconds: float) -> None:
        await sleeps(seconds)
        clock.advance(timedelta(seconds=seconds))

    async with cw_client(cw_state, sleep_moves_time) as client:
        statuses = await client.list_statuses()
    assert statuses and sleeps.waits == [15.0]


async def test_cw_timeout_after_a_patch_applies_the_write_and_loses_the_reply(cw_state: ConnectWiseState) -> None:
    po = next(iter(cw_state.purchase_orders.scan()))
    cw_state.faults.add(rf"/purchaseorders/{po['id']}$", method="PATCH", kind="timeout", after=True, times=1)
    async with cw_client(cw_state, Sleeps()) as client:
        updated = await client.patch_purchase_order(
            po["id"], [{"op": "replace", "path": "trackingNumber", "value": "1Z9"}]
        )
    assert updated.tracking_number == "1Z9"
    patches = [r for r in cw_state.request_log if r.method == "PATCH"]
    assert len(patches) == 2  # a replace is idempotent, so the lost reply was retried and changed nothing more


async def test_cw_truncated_reply_is_retried_for_reads(cw_state: ConnectWiseState) -> None:
    cw_state.faults.add(r"/purchaseorderstatuses$", method="GET", kind="truncated", times=1)
    async with cw_client(cw_state, Sleeps()) as client:
        assert await client.list_statuses()
        assert client.stats.retried["truncated"] == 1


async def test_cw_fault_headers_carry_a_redirect(cw_state: ConnectWiseState) -> None:
    cw_state.faults.add(
        r"/purchaseorderstatuses$", status=302, headers={"Location": "https://elsewhere.test/x?k=1"}, times=1
    )
    async with cw_client(cw_state, Sleeps()) as client:
        with pytest.raises(RequestRejected, match=r"elsewhere\.test/x' not followed"):
            await client.list_statuses()
