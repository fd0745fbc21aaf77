"""When a call may go: the per-service rate limit and the server's own Retry-After.

Split from `client.py` because both are about time, and both take their time from injected functions
(`monotonic`, `sleep`), so simulated time drives them exactly as the wall clock does.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

Sleep = Callable[[float], Awaitable[None]]
Monotonic = Callable[[], float]


class RateLimiter:
    """Requests per minute, spaced evenly, with bursts of at most one second's worth.

    A bucket holding a whole minute's budget (the aiolimiter default) lets up to twice the budget
    through in a sliding minute, which is how a client meets the 429s the limit was meant to avoid.
    This is GCRA: each call reserves the next slot, so waiters are served in order, and time comes from
    the injected clock and sleep, so simulated time drives it exactly as real time does.
    """

    def __init__(self, per_minute: int, *, monotonic: Monotonic = time.monotonic, sleep: Sleep = asyncio.sleep):
        self.interval = 60.0 / per_minute
        self.tolerance = (max(1, per_minute // 60) - 1) * self.interval
        self._monotonic = monotonic
        self._sleep = sleep
        self._tat = monotonic()  # theoretical arrival time of the next conforming call

    async def acquire(self) -> float:
        """Wait for a slot; returns the seconds waited."""
        now = self._monotonic()
        allowed = max(now, self._tat - self.tolerance)
        self._tat = max(self._tat, allowed) + self.interval
        wait = allowed - now
        if wait <= 1e-9:  # float dust from summing intervals is not a wait
            return 0.0
        await self._sleep(wait)
        return wait


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date (RFC 9110 §10.2.3).

    Fractions ("1.5") are not in the RFC but some proxies send them; they are honoured rather than
    ignored. Anything unreadable or negative counts as absent, so normal backoff applies.
    """
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if seconds >= 0 and seconds == seconds else None  # NaN != NaN
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())
