"""The shared OAuth token cache (http/oauth.py) and the provider contract's error rules (carriers/provider.py).

What is protected: a token is fetched once and refreshed before it expires on the injected clock, a
short-lived one is still used for half its life, concurrent 401s cause one refresh, `expires_in` is read
whether it is 3600 or "14399"; and across a provider's batches an outage of all of them is raised while
a failure of some stays with their packages.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderbridge.carriers.provider import TrackResult, chunks, distinct, track_batches
from orderbridge.core.clock import SimClock
from orderbridge.core.delivery import ParcelQuery, ParcelState, ParcelStatus
from orderbridge.core.errors import AuthError, RequestRejected, TransientApiError
from orderbridge.core.redaction import redact
from orderbridge.http import Reply
from orderbridge.http.oauth import BearerTokens, IssuedToken, lifetime_of


class Issuer:
    """A token endpoint as a function: numbered tokens with a fixed lifetime."""

    def __init__(self, lifetime_s: float) -> None:
        self.lifetime_s = lifetime_s
        self.issued = 0

    async def __call__(self) -> IssuedToken:
        await asyncio.sleep(0)
        self.issued += 1
        return IssuedToken(f"token-number-{self.issued:04d}", self.lifetime_s)


def reply(status: int) -> Reply:
    return Reply(status, httpx.Headers(), b"", "https://api.test/x", 0.0)


async def test_fetched_once_and_refreshed_inside_the_margin() -> None:
    clock, issuer = SimClock(), Issuer(3600)
    tokens = BearerTokens(issuer, clock=clock)
    assert {await tokens.current() for _ in range(3)} == {"token-number-0001"}
    clock.advance(timedelta(seconds=3299))
    assert await tokens.current() == "token-number-0001"
    clock.advance(timedelta(seconds=2))  # 3301 s: within five minutes of 3600
    assert await tokens.current() == "token-number-0002" and tokens.fetches == 2
    assert "token-number-0002" not in redact("Bearer token-number-0002 was refused")  # registered as a secret


async def test_a_short_lived_token_is_used_for_half_its_life() -> None:
    clock, issuer = SimClock(), Issuer(120)
    tokens = BearerTokens(issuer, clock=clock)
    await tokens.current()
    clock.advance(timedelta(seconds=59))
    await tokens.current()
    assert issuer.issued == 1
    clock.advance(timedelta(seconds=2))
    await tokens.current()
    assert issuer.issued == 2


async def test_concurrent_401s_cause_one_refresh_and_one_retry_each() -> None:
    issuer = Issuer(3600)
    tokens = BearerTokens(issuer, clock=SimClock())
    seen: list[str] = []

    async def call(token: str) -> Reply:
        seen.append(token)
        await asyncio.sleep(0)  # every call is in flight on the old token before any answer comes back
        return reply(401 if token == "token-number-0001" else 200)

    await tokens.current()
    replies = await asyncio.gather(*(tokens.send(call) for _ in range(5)))
    assert [r.status for r in replies] == [200] * 5
    assert issuer.issued == 2 and seen.count("token-number-0001") == 5


async def test_a_second_401_is_returned_for_the_caller_to_judge() -> None:
    tokens = BearerTokens(Issuer(3600), clock=SimClock())

    async def refuse(token: str) -> Reply:
        return reply(401)

    assert (await tokens.send(refuse)).status == 401 and tokens.fetches == 2


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3600, 3600.0),
        ("14399", 14399.0),
        (" 60 ", 60.0),
        (None, 99.0),
        ("soon", 99.0),
        (True, 99.0),
        (-5, 0.0),
        ("nan", 99.0),
    ],
)
def test_expires_in_as_either_services_spell_it(value: object, expected: float) -> None:
    assert lifetime_of(value, 99.0) == expected


@given(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8)))
def test_expires_in_is_never_negative_nor_nan(value: object) -> None:
    seconds = lifetime_of(value, 10.0)
    assert seconds >= 0 and seconds == seconds


# --- the provider contract's error rules ---------------------------------------------------------------


def found(query: ParcelQuery) -> ParcelStatus:
    return ParcelStatus(query.tracking_number, query.carrier, "test", ParcelState.IN_TRANSIT)


def queries(count: int) -> list[ParcelQuery]:
    return [ParcelQuery(f"N{index:03d}", "UPS") for index in range(count)]


async def test_a_failure_of_some_batches_stays_with_their_packages() -> None:
    async def send(batch: Sequence[ParcelQuery]) -> dict[str, TrackResult]:
        if batch[0].tracking_number == "N000":
            raise TransientApiError("ups: GET failed after 4 attempts: 503", service="ups", status=503)
        if batch[0].tracking_number == "N002":
            raise RequestRejected("ups: refused (TV1002: Invalid inquiry number)", service="ups", status=400)
        return {query.tracking_number: found(query) for query in batch}

    results = await track_batches(chunks(queries(6), 2), send)
    assert sorted(results) == [f"N{index:03d}" for index in range(6)]
    assert isinstance(results["N000"], str) and "next poll" in results["N000"] and results["N001"] == results["N000"]
    assert isinstance(results["N002"], str) and "TV1002" in results["N002"]
    assert isinstance(results["N004"], ParcelStatus)


async def test_an_outage_of_every_batch_is_raised_and_a_credential_refusal_always_is() -> None:
    async def down(batch: Sequence[ParcelQuery]) -> dict[str, TrackResult]:
        raise TransientApiError("fedex: down", service="fedex", status=503)

    with pytest.raises(TransientApiError):
        await track_batches(chunks(queries(3), 1), down)

    async def refused(batch: Sequence[ParcelQuery]) -> dict[str, TrackResult]:
        if batch[0].tracking_number == "N001":
            raise AuthError("fedex: credentials refused", service="fedex", status=401)
        return {query.tracking_number: found(query) for query in batch}

    with pytest.raises(AuthError):
        await track_batches(chunks(queries(3), 1), refused)


def test_distinct_keeps_one_query_per_number_preferring_a_provider_id() -> None:
    kept = distinct(
        [
            ParcelQuery(" A1 ", "UPS"),
            ParcelQuery("A1", "UPS", "trk_1"),
            ParcelQuery("", "UPS"),
            ParcelQuery("B2", "UPS"),
        ]
    )
    assert kept == [ParcelQuery("A1", "UPS", "trk_1"), ParcelQuery("B2", "UPS")]
