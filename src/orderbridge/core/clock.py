"""The one clock. Injectable, so the simulators, the engine and the tests share simulated time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware datetime in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SimClock:
    """Simulated time that moves only when told to; thread-safe because `orderbridge sim` serves two apps."""

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2026, 1, 5, 16, 0, tzinfo=UTC)
        if start.tzinfo is None:
            raise ValueError("SimClock needs an aware start time")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("simulated time never moves backwards")
        with self._lock:
            self._now += delta
            return self._now

    def set(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError("SimClock needs an aware time")
        with self._lock:
            if moment < self._now:
                raise ValueError("simulated time never moves backwards")
            self._now = moment.astimezone(UTC)
            return self._now
