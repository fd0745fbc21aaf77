"""The one interface every carrier-tracking provider client offers (`CarrierProvider`), and the small
pieces its three implementations share: de-duplicating a request, reading times and places.

The contract of `track`, which the delivery pipeline builds on:

- It answers every distinct tracking number it was asked about, keyed by that number.
- A `ParcelStatus` is what the provider said. `found=False` (state UNKNOWN) means the provider does not
  know the number yet, which is normal for a few hours after a label is printed.
- A `str` is a problem with that package only (an invalid number, a number the provider refuses, an
  answer that could not be read, a call that kept failing while others succeeded); the message is plain
  and redacted. Ask again at the next poll; the other packages are unaffected.
- It raises `AuthError` (Fatal) when the provider refuses our credentials, since nothing can be tracked,
  and `TransientApiError` (Retriable) when every call failed for reasons worth retrying later (an outage).

`batch_size` is how many numbers one provider request carries (FedEx 30, the others 1): a budget for
the caller, not a limit. `track` takes any number of queries and splits and paces them itself through
the shared HTTP policy (concurrency, rate limit, Retry-After).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Protocol, TypeVar

from orderbridge.core.delivery import ParcelQuery, ParcelStatus
from orderbridge.core.errors import AuthError, OrderbridgeError, TransientApiError
from orderbridge.http import CallStats

TrackResult = ParcelStatus | str
T = TypeVar("T")


class CarrierProvider(Protocol):
    name: str  # "easypost", "ups", "fedex": the names [carriers] and ParcelStatus.provider use
    batch_size: int

    @property
    def stats(self) -> CallStats: ...

    async def track(self, queries: Sequence[ParcelQuery]) -> dict[str, TrackResult]:
        """What the provider says about each package (see the module docstring for the contract)."""
        ...

    async def aclose(self) -> None: ...


def distinct(queries: Iterable[ParcelQuery]) -> list[ParcelQuery]:
    """One query per tracking number (stripped); a query carrying the provider's id wins over one without."""
    found: dict[str, ParcelQuery] = {}
    for query in queries:
        number = query.tracking_number.strip()
        if not number:
            continue
        kept = found.get(number)
        if kept is None or (kept.provider_ref is None and query.provider_ref is not None):
            found[number] = ParcelQuery(number, query.carrier, query.provider_ref)
    return list(found.values())


def chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


async def track_batches(
    batches: Sequence[Sequence[ParcelQuery]],
    send: Callable[[Sequence[ParcelQuery]], Awaitable[dict[str, TrackResult]]],
) -> dict[str, TrackResult]:
    """Send every batch concurrently (ServiceHTTP paces them) and apply the contract's error rules: a
    refusal of our credentials stops everything; a transient failure of *every* batch is an outage and is
    raised; any other failure becomes the problem message of each package in its batch."""
    outcomes = await asyncio.gather(*(send(batch) for batch in batches), return_exceptions=True)
    results: dict[str, TrackResult] = {}
    transient: list[TransientApiError] = []
    for batch, outcome in zip(batches, outcomes, strict=True):
        if isinstance(outcome, AuthError):
            raise outcome
        if isinstance(outcome, BaseException) and not isinstance(outcome, OrderbridgeError):
            raise outcome
        if isinstance(outcome, TransientApiError):
            transient.append(outcome)
            problem: TrackResult = f"{outcome.message} (asked again at the next poll)"
        elif isinstance(outcome, OrderbridgeError):
            problem = outcome.message
        else:
            results.update(outcome)
            continue
        results.update({query.tracking_number: problem for query in batch})
    if transient and len(transient) == len(batches):
        raise transient[0]
    return results


async def track_each(
    queries: Sequence[ParcelQuery], one: Callable[[ParcelQuery], Awaitable[TrackResult]]
) -> dict[str, TrackResult]:
    """`track_batches` for a provider that takes one number per request."""

    async def send(batch: Sequence[ParcelQuery]) -> dict[str, TrackResult]:
        return {query.tracking_number: await one(query) for query in batch}

    return await track_batches(chunks(queries, 1), send)


def utc(text: object) -> datetime | None:
    """An ISO-8601 time as an aware UTC datetime; one without an offset is taken as UTC. None if unreadable."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def local_date(text: object) -> date | None:
    """The calendar date as written ("2024-08-05", "2024-08-05T00:00:00Z", "...T18:00:00-04:00"): an
    estimated delivery date belongs to the destination's calendar, so the offset is not applied."""
    if not isinstance(text, str) or len(text.strip()) < 10:
        return None
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


def place(*parts: object) -> str | None:
    """ "CITY, ST, US" from whichever parts are present, or None."""
    words = [str(part).strip() for part in parts if isinstance(part, str) and part.strip()]
    return ", ".join(words) or None
