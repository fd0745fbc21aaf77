"""Dashboard sign-in state: server-side sessions, and the throttle on wrong access tokens.

A session id is random (`secrets.token_urlsafe`), new at every sign-in, and means something only
while this process remembers it: it ends after `session_idle_minutes` unused, `session_max_hours`
after sign-in, or at logout. Kept in memory rather than in the store because `orderbridge web` is one
process serving one shared token: nothing else needs the sessions, a restart signing everyone out is
a fair price (it also revokes every session at once), and no table of live credentials sits in a
database the workers share. Only a SHA-256 of each id is kept, so the map holds nothing replayable.

Wrong tokens are counted per source address (IPv6 per /64): after `login_free_attempts` of them,
each further one locks that address out for twice as long as the last (1 s, 2 s, 4 s... up to
`login_lockout_max_seconds`). Other addresses are never affected, and a lock always ends.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from orderbridge.callbacks.budgets import source_of
from orderbridge.config import WebSettings
from orderbridge.core.clock import Clock

# One operator token shared by a few people: far more live sessions than this means a script signing
# in in a loop; the oldest session goes first.
MAX_SESSIONS = 1_000
MAX_SOURCES = 10_000


@dataclass
class _Session:
    started_at: datetime
    last_seen_at: datetime


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8", errors="replace")).hexdigest()


class Sessions:
    def __init__(self, settings: WebSettings, clock: Clock) -> None:
        self._idle = timedelta(minutes=settings.session_idle_minutes)
        self._lifetime = timedelta(hours=settings.session_max_hours)
        self._clock = clock
        self._live: OrderedDict[str, _Session] = OrderedDict()

    @property
    def lifetime_seconds(self) -> int:
        return int(self._lifetime.total_seconds())

    def start(self) -> str:
        now = self._clock.now()
        session_id = secrets.token_urlsafe(32)
        self._live[_digest(session_id)] = _Session(now, now)
        while len(self._live) > MAX_SESSIONS:
            self._live.popitem(last=False)
        return session_id

    def valid(self, session_id: str) -> bool:
        """True for a live session, which this use keeps alive; an expired one is forgotten."""
        if not session_id:
            return False
        key = _digest(session_id)
        session = self._live.get(key)
        if session is None:
            return False
        now = self._clock.now()
        if now - session.last_seen_at > self._idle or now - session.started_at > self._lifetime:
            del self._live[key]
            return False
        session.last_seen_at = now
        return True

    def end(self, session_id: str) -> None:
        if session_id:
            self._live.pop(_digest(session_id), None)


@dataclass
class _Failures:
    count: int
    last_at: datetime
    locked_until: datetime


class LoginThrottle:
    def __init__(self, settings: WebSettings, clock: Clock) -> None:
        self._free = settings.login_free_attempts
        self._max_lock = timedelta(seconds=settings.login_lockout_max_seconds)
        self._clock = clock
        self._sources: OrderedDict[str, _Failures] = OrderedDict()

    def retry_after(self, host: str | None) -> int:
        """Seconds this address must wait before a token is even looked at; 0 when it may try now."""
        failures = self._current(source_of(host))
        if failures is None:
            return 0
        left = (failures.locked_until - self._clock.now()).total_seconds()
        return math.ceil(left) if left > 0 else 0

    def failed(self, host: str | None) -> None:
        source, now = source_of(host), self._clock.now()
        failures = self._current(source) or _Failures(0, now, now)
        failures.count += 1
        failures.last_at = now
        beyond = failures.count - self._free
        if beyond > 0:
            # 2**beyond overflows nothing: past ~20 doublings the cap has long been reached.
            lock = min(timedelta(seconds=2 ** min(beyond - 1, 40)), self._max_lock)
            failures.locked_until = now + lock
        self._sources[source] = failures
        self._sources.move_to_end(source)
        while len(self._sources) > MAX_SOURCES:
            self._sources.popitem(last=False)

    def succeeded(self, host: str | None) -> None:
        self._sources.pop(source_of(host), None)

    def _current(self, source: str) -> _Failures | None:
        failures = self._sources.get(source)
        if failures is None:
            return None
        # An address quiet for the longest lockout after its last lock starts afresh.
        if self._clock.now() - max(failures.last_at, failures.locked_until) > self._max_lock:
            del self._sources[source]
            return None
        return failures
