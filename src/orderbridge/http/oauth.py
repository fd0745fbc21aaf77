"""OAuth2 client-credentials tokens: one cache, refreshed before expiry by the injected clock.

TD SYNNEX's Partner API, UPS and FedEx all hand out Bearer tokens for client credentials; they differ
only in how the token is asked for (form fields, Basic auth) and how its answer is spelt (UPS sends
every field as a string, FedEx `expires_in` as an integer). Each client passes its own `fetch`; the
caching, the refresh margin, the lock and the "one refresh and one retry on 401" rule live here once.
Time comes from the injected `Clock`, so tests age a token by moving a SimClock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from orderbridge.core.clock import Clock, SystemClock
from orderbridge.core.redaction import register_secret
from orderbridge.http.policy import Reply

REFRESH_MARGIN = timedelta(minutes=5)  # refresh this long before expiry, so no call goes out on a dying token


@dataclass(frozen=True, slots=True)
class IssuedToken:
    value: str
    lifetime_s: float


def lifetime_of(value: Any, default_s: float) -> float:
    """Seconds from an `expires_in` field, whether the service sends 3600 or "14399"; the default when it
    is missing or unreadable (a token we cannot age is refreshed on the default schedule)."""
    if isinstance(value, bool):
        return default_s
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return default_s
    return max(0.0, seconds) if seconds == seconds else default_s  # NaN != NaN


class BearerTokens:
    """The current token of one client, fetched on first use and again shortly before it expires."""

    def __init__(
        self,
        fetch: Callable[[], Awaitable[IssuedToken]],
        *,
        clock: Clock | None = None,
        margin: timedelta = REFRESH_MARGIN,
    ) -> None:
        self._fetch = fetch
        self._clock = clock or SystemClock()
        self._margin = margin
        self._token: str | None = None
        self._refresh_at: datetime | None = None
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def current(self) -> str:
        async with self._lock:
            now = self._clock.now()
            if self._token is None or self._refresh_at is None or now >= self._refresh_at:
                issued = await self._fetch()
                self.fetches += 1
                register_secret(issued.value)
                lifetime = timedelta(seconds=issued.lifetime_s)
                # A short-lived token is still used for half its life rather than fetched on every call.
                self._token, self._refresh_at = issued.value, now + lifetime - min(self._margin, lifetime / 2)
            return self._token

    async def drop(self, stale: str) -> None:
        async with self._lock:
            # Concurrent calls may all see a 401; only the first drops the token, the rest reuse its refresh.
            if self._token == stale:
                self._token = None

    async def send(self, call: Callable[[str], Awaitable[Reply]]) -> Reply:
        """`call(token)`; on a 401 (revoked, or expired early on the server's clock) one refresh and one
        retry. The caller decides what a second 401 means."""
        token = await self.current()
        reply = await call(token)
        if reply.status == 401:
            await self.drop(token)
            reply = await call(await self.current())
        return reply
