"""Carrier calls against their minimum: the measured cycle's first polls, and a journey phase that follows
the packages towards delivery on simulated days.

The carrier simulators follow the packages the TD SYNNEX simulator ships, on TD SYNNEX's clock. The
measured cycles run on the wall clock, so no package poll falls due in them: they register and first-poll
the packages shipped in the advanced window. The journey phase then moves the engine's clock and the
simulators' together, `step` at a time, and runs a daemon-style cycle (`due_only`) after each step, so
the parcel schedule (rules/parcel_schedule.py) decides every poll, as in production.

The minimum (what a perfect poller with foresight needs, polling only):

- a package's registration needs one answer (its first poll; EasyPost's tracker creation is that answer);
- after that, one answer per round in which the package's carrier state changed (label created, in transit,
  out for delivery, failed attempt, exception, returned, delivered: the states the planner, alerts and
  reports read), judged from the scans the carrier reports, each at its own time. Several changes between
  two rounds need one answer; a poll in a round without a change is overhead;
- EasyPost and UPS take one number a request, so that many calls; FedEx takes 30, so a round needs
  ceil(packages with news in that round / 30) requests;
- OAuth token calls (UPS, FedEx) are reported apart, not in the ratio: their number follows the token's
  lifetime (an hour) and the simulated clock, not the packages.

Estimate-only changes (a slipped date without a new state) are not counted as news, which makes the
minimum lower, never higher, than what the alerts strictly need.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from orderbridge.config.carriers import FEDEX_MAX_BATCH
from orderbridge.core.delivery import ParcelState, TrackedParcel

BATCH = {"easypost": 1, "ups": 1, "fedex": FEDEX_MAX_BATCH}
TRACK_KINDS = {"carrier_easypost": "easypost", "carrier_ups": "ups", "carrier_fedex": "fedex"}


def carrier_kind(path: str) -> str | None:
    """The counting kind of a carrier provider's request path, or None when it is not one."""
    if path.startswith("/v2/trackers"):
        return "carrier_easypost"
    if path.startswith("/api/track/"):
        return "carrier_ups"
    if path.startswith("/track/v1/"):
        return "carrier_fedex"
    if path in ("/oauth/token", "/security/v1/oauth/token"):
        return "carrier_token"
    return None


def _changes(parcel: TrackedParcel) -> list[datetime]:
    """When the package's carrier state changed, from its scans (oldest first)."""
    found: list[datetime] = []
    state = ParcelState.UNKNOWN
    for event in sorted(parcel.events, key=lambda e: e.at):
        if event.state is not ParcelState.UNKNOWN and event.state is not state:
            found.append(event.at)
            state = event.state
    return found


@dataclass(frozen=True)
class Key:
    po_id: int
    number: str


def key_of(parcel: TrackedParcel) -> Key:
    return Key(parcel.po_id, parcel.tracking_number)


def minimum_by_provider(
    parcels: Iterable[TrackedParcel], rounds: Sequence[datetime], seen_until: dict[Key, datetime | None]
) -> tuple[Counter[str], Counter[str]]:
    """(minimum calls, packages with news) by provider over the rounds run at `rounds` (sorted times).
    `seen_until`: for a package registered before the first round, the time of its last answer then."""
    news: dict[tuple[int, str], int] = {}  # (round, provider) -> packages with news
    packages: Counter[str] = Counter()
    for parcel in parcels:
        if parcel.provider is None:
            continue
        key = key_of(parcel)
        before = key in seen_until
        if not before and parcel.registered_at not in rounds:
            continue  # registered outside the phase's rounds: not this phase's package
        packages[parcel.provider] += 1
        changes = _changes(parcel)
        floor = seen_until.get(key) if before else parcel.registered_at
        for index, at in enumerate(rounds):
            if not before and at == parcel.registered_at:
                hit = True  # the registration's first answer
            else:
                start = rounds[index - 1] if index else None
                if start is not None and floor is not None:
                    start = max(start, floor)
                elif floor is not None:
                    start = floor
                registered = before or parcel.registered_at < at
                hit = registered and any((start is None or c > start) and c <= at for c in changes)
            if hit:
                slot = (index, parcel.provider)
                news[slot] = news.get(slot, 0) + 1
    minimum: Counter[str] = Counter()
    for (_, provider), count in news.items():
        minimum[provider] += math.ceil(count / BATCH.get(provider, 1))
    return minimum, packages


def figures(calls: Counter[str], minimum: Counter[str], packages: Counter[str]) -> dict[str, Any]:
    """Calls per followed package against the minimum, by provider and in all (token calls apart)."""
    by_provider: dict[str, Any] = {}
    for kind, provider in TRACK_KINDS.items():
        if not packages[provider] and not calls[kind]:
            continue
        n = packages[provider]
        by_provider[provider] = {
            "packages": n,
            "calls": calls[kind],
            "min_calls": minimum[provider],
            "calls_per_package": round(calls[kind] / n, 3) if n else None,
            "min_per_package": round(minimum[provider] / n, 3) if n else None,
        }
    total = sum(calls[kind] for kind in TRACK_KINDS)
    total_min = sum(minimum.values())
    n = sum(packages.values())
    return {
        "packages": n,
        "calls": total,
        "min_calls": total_min,
        "calls_per_package": round(total / n, 3) if n else None,
        "min_per_package": round(total_min / n, 3) if n else None,
        "calls_ratio": round(total / total_min, 3) if total_min else None,
        "token_calls": calls["carrier_token"],
        "by_provider": by_provider,
    }


def first_poll_minimum(parcels: Iterable[TrackedParcel], since: datetime) -> tuple[Counter[str], Counter[str]]:
    """(minimum calls, packages) by provider for the packages registered since `since` in one cycle: each
    needs its first answer, FedEx's 30 to a request."""
    packages: Counter[str] = Counter(
        parcel.provider for parcel in parcels if parcel.provider is not None and parcel.registered_at >= since
    )
    minimum = Counter({provider: math.ceil(n / BATCH.get(provider, 1)) for provider, n in packages.items()})
    return minimum, packages
