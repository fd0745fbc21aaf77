"""The simulated carriers' memory: which packages exist, their journeys, EasyPost trackers, tokens, the log.

A package is known from the TD SYNNEX simulator's shipments (a read-only lookup passed in as
`packages`) or registered directly (tests); its journey is derived once from its number and ship time
(`journeys.py`) unless a per-number script overrides it. Every answer is computed at `clock.now()`,
so moving a SimClock forward moves every package along.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from starlette.responses import Response

from orderbridge.core.clock import Clock
from orderbridge.rules.carriers import claimed_carrier
from orderbridge.simulators.carriers import auth, places
from orderbridge.simulators.carriers.faults import FaultBook, RateWindows
from orderbridge.simulators.carriers.journeys import (
    DEFAULT_MIX,
    OUTCOMES,
    Journey,
    Parcel,
    ScriptedStep,
    plan_journey,
    scripted_journey,
)
from orderbridge.simulators.carriers.webhooks import WebhookHub
from orderbridge.simulators.tdsynnex import catalog
from orderbridge.simulators.tdsynnex.packages import ShippedParcel

REQUEST_LOG_SIZE = 2000
DEDUPLICATION = timedelta(days=90)  # EasyPost returns the original tracker for three months (§1.3)
DEMO_SEED = 20260105
PackageSource = Callable[[str], ShippedParcel | None]
Answer = Literal["normal", "not_found", "invalid"]
Handled = tuple[Response, tuple[str, ...], str]  # a route's answer, the numbers it was about, the log outcome


@dataclass(frozen=True)
class NumberScript:
    """A test's word on one number: a forced outcome, explicit steps, or an answer other than a journey
    ("not_found": no provider knows it; "invalid": every provider refuses it as a number)."""

    outcome: str | None = None
    steps: tuple[ScriptedStep, ...] = ()
    answer: Answer = "normal"


@dataclass
class Tracker:
    id: str
    tracking_code: str
    carrier: str  # as the client sent it ("" when EasyPost detected it)
    mode: auth.Mode
    user_id: str
    created_at: datetime
    sent: tuple[Any, ...] | None = None  # what the last tracker.* webhook said, to find changes


@dataclass(frozen=True)
class RequestRecord:
    """One call, for assertions; never a key, secret or token."""

    at: datetime
    provider: str
    method: str
    path: str
    status: int
    numbers: tuple[str, ...] = ()
    outcome: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "provider": self.provider,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "numbers": list(self.numbers),
            "outcome": self.outcome,
        }


def parcel_from_shipment(shipped: ShippedParcel) -> Parcel | None:
    """The carrier's view of a TD SYNNEX carton, or None when its ship method names no carrier."""
    carrier, _conflict = claimed_carrier(shipped.ship_method, shipped.ship_method_description)
    if carrier is None:
        return None
    origin = places.Place(
        (shipped.origin_city or places.DEFAULT_ORIGIN.city).upper(),
        shipped.origin_state or places.DEFAULT_ORIGIN.state,
        shipped.origin_zip or places.DEFAULT_ORIGIN.zip_code,
        places.STATE_ZONES.get(shipped.origin_state or "", "America/New_York"),
    )
    days = catalog.TRANSIT_DAYS.get(shipped.ship_method or "", 4)
    if shipped.estimated_delivery is not None:
        days = max(1, (shipped.estimated_delivery - shipped.shipped_at.astimezone(origin.zone).date()).days)
    weight = float(shipped.weight_lbs) * 16 if shipped.weight_lbs else None
    service = shipped.ship_method_description
    return Parcel(shipped.tracking_number, carrier, shipped.shipped_at, origin, days, service, weight)


class CarrierState:
    def __init__(
        self,
        clock: Clock,
        *,
        packages: PackageSource | None = None,
        seed: int = DEMO_SEED,
        api_keys: list[auth.ApiKey] | None = None,
        ups_clients: list[auth.OAuthClient] | None = None,
        fedex_clients: list[auth.OAuthClient] | None = None,
    ) -> None:
        self.clock = clock
        self.packages = packages
        self.seed = seed
        self.mix: dict[str, float] = dict(DEFAULT_MIX)
        self._defaults = (
            list(api_keys if api_keys is not None else [auth.DEMO_EASYPOST_KEY, auth.DEMO_EASYPOST_TEST_KEY]),
            list(ups_clients if ups_clients is not None else [auth.DEMO_UPS]),
            list(fedex_clients if fedex_clients is not None else [auth.DEMO_FEDEX]),
        )
        self.api_keys: dict[str, auth.ApiKey] = {}
        self.oauth_clients: dict[str, dict[str, auth.OAuthClient]] = {}
        self.tokens = {
            "ups": auth.TokenBook(clock, auth.UPS_TOKEN_LIFETIME),
            "fedex": auth.TokenBook(clock, auth.FEDEX_TOKEN_LIFETIME),
        }
        self.faults = FaultBook()
        self.limits = RateWindows()
        self.sleep = asyncio.sleep  # the `slow` fault waits through it; tests pass one that returns at once
        self.webhooks = WebhookHub(clock)
        self.requests: deque[RequestRecord] = deque(maxlen=REQUEST_LOG_SIZE)
        self.trackers: dict[str, Tracker] = {}
        self._parcels: dict[str, Parcel] = {}
        self._scripts: dict[str, NumberScript] = {}
        self._journeys: dict[str, Journey] = {}
        self._lock = threading.RLock()
        self._restore_credentials()

    def _restore_credentials(self) -> None:
        keys, ups, fedex = self._defaults
        self.api_keys = {key.key: key for key in keys}
        self.oauth_clients = {
            "ups": {client.client_id: client for client in ups},
            "fedex": {client.client_id: client for client in fedex},
        }

    # --- packages and journeys ------------------------------------------------------------------------

    def add_parcel(self, parcel: Parcel) -> None:
        with self._lock:
            self._parcels[parcel.tracking_number] = parcel
            self._journeys.pop(parcel.tracking_number, None)

    def set_script(self, number: str, script: NumberScript) -> None:
        if script.outcome is not None and script.outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {script.outcome!r}; choose one of {', '.join(OUTCOMES)}")
        with self._lock:
            self._scripts[number] = script
            self._journeys.pop(number, None)

    def set_mix(self, mix: dict[str, float]) -> None:
        unknown = sorted(set(mix) - set(OUTCOMES))
        if unknown or not mix or any(weight < 0 for weight in mix.values()) or sum(mix.values()) <= 0:
            raise ValueError(f"a mix gives non-negative weights to outcomes among {', '.join(OUTCOMES)}")
        with self._lock:
            self.mix = dict(mix)
            self._journeys.clear()

    def answer(self, number: str) -> Answer:
        with self._lock:
            script = self._scripts.get(number)
        return script.answer if script is not None else "normal"

    def parcel(self, number: str) -> Parcel | None:
        """The package behind a number, once the carrier could know it (from its ship time)."""
        with self._lock:
            registered = self._parcels.get(number)
        if registered is not None:
            return registered
        shipped = self.packages(number) if self.packages is not None else None
        return parcel_from_shipment(shipped) if shipped is not None else None

    def journey(self, number: str) -> Journey | None:
        if self.answer(number) != "normal":
            return None
        with self._lock:
            cached = self._journeys.get(number)
            script = self._scripts.get(number)
        if cached is not None:
            return cached
        parcel = self.parcel(number)
        if parcel is None:
            return None
        if script is not None and script.steps:
            journey = scripted_journey(parcel, script.steps, seed=self.seed)
        else:
            outcome = script.outcome if script is not None else None
            journey = plan_journey(parcel, seed=self.seed, mix=self.mix, outcome=outcome)
        with self._lock:
            self._journeys[number] = journey
        return journey

    # --- EasyPost trackers ----------------------------------------------------------------------------

    def find_tracker(self, key: auth.ApiKey, code: str, carrier: str) -> Tracker | None:
        """The account's tracker for (code, carrier) created in the last three months, if any."""
        now = self.clock.now()
        with self._lock:
            for tracker in self.trackers.values():
                same = (tracker.user_id, tracker.mode, tracker.tracking_code) == (key.user_id, key.mode, code)
                if (
                    same
                    and tracker.carrier.casefold() == carrier.casefold()
                    and now - tracker.created_at < DEDUPLICATION
                ):
                    return tracker
        return None

    def add_tracker(self, key: auth.ApiKey, code: str, carrier: str) -> Tracker:
        tracker = Tracker("trk_" + secrets.token_hex(16), code, carrier, key.mode, key.user_id, self.clock.now())
        with self._lock:
            self.trackers[tracker.id] = tracker
        return tracker

    # --- the log and reset ----------------------------------------------------------------------------

    def record(
        self, provider: str, method: str, path: str, status: int, numbers: tuple[str, ...], outcome: str
    ) -> None:
        self.requests.append(RequestRecord(self.clock.now(), provider, method, path, status, numbers, outcome))

    def reset(self) -> None:
        """A fresh service: no parcels, scripts, trackers, hooks, tokens, faults or log; the default mix and
        credentials. The clock stays, because simulated time never moves backwards."""
        with self._lock:
            self._parcels.clear()
            self._scripts.clear()
            self._journeys.clear()
            self.trackers.clear()
            self.mix = dict(DEFAULT_MIX)
            self._restore_credentials()
        for book in self.tokens.values():
            book.reset()
        self.faults.clear()
        self.limits.clear()
        self.webhooks.clear()
        self.requests.clear()
