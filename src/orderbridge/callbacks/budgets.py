"""Per-key allowances for the callback receiver: how many verified callbacks a tenant may send, and how
many failures and signing-key fetches one source address may cause, per minute.

Separate budgets are what keep a flood from starving genuine callbacks: only verified callbacks spend
a tenant's budget, and what fails verification spends the sender's own. Token buckets on the injected
clock rather than aiolimiter (which reads the event loop's clock and waits): the receiver never waits,
it answers 429 at once, and tests and the simulators drive time with `SimClock`.
"""

from __future__ import annotations

import ipaddress
import math
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from orderbridge.core.clock import Clock

# Enough for every ConnectWise delivery address and a wide flood; the oldest bucket goes first.
MAX_KEYS = 10_000


@dataclass
class _Bucket:
    tokens: float
    stamp: datetime
    warned: bool = False


class Budgets:
    """`per_minute` tokens per key, refilled evenly over the minute; at most `max_keys` keys remembered."""

    def __init__(self, per_minute: int, clock: Clock, *, max_keys: int = MAX_KEYS) -> None:
        self.per_minute = per_minute
        self._rate = per_minute / 60.0  # tokens per second
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def _bucket(self, key: str) -> _Bucket:
        now = self._clock.now()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(self.per_minute), now)
            if len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            elapsed = max((now - bucket.stamp).total_seconds(), 0.0)
            bucket.tokens = min(float(self.per_minute), bucket.tokens + elapsed * self._rate)
            bucket.stamp = now
        return bucket

    def take(self, key: str) -> bool:
        """Spend one token of `key`'s budget; False (and nothing spent) when none is left."""
        bucket = self._bucket(key)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            bucket.warned = False
            return True
        return False

    def first_refusal(self, key: str) -> bool:
        """True once per exhaustion of `key`'s budget, so a flood is logged once and not per request."""
        bucket = self._bucket(key)
        if bucket.warned:
            return False
        bucket.warned = True
        return True

    def retry_after(self, key: str) -> int:
        """Whole seconds until `key` has a token again (at least 1), for a Retry-After header."""
        missing = 1.0 - self._bucket(key).tokens
        return max(1, math.ceil(missing / self._rate)) if missing > 0 else 1


def source_of(host: str | None) -> str:
    """The budget key of a caller: its IPv4 address, or the /64 of an IPv6 one (one host usually holds a
    whole /64, so counting single IPv6 addresses would give a flood 2**64 fresh budgets)."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else address)
