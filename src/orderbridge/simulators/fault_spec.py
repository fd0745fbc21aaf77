"""Random fault profiles for both simulators: the `--faults` grammar and the seeded dice that apply it.

Targeted faults (one PO, the next N calls) live in each simulator's `faults.py`; this module adds
background noise, a rate per kind, so a run meets failures the way production does. The dice use a
seeded `random.Random`, so the same spec and the same request order give the same faults.

Grammar (whitespace is ignored; services are separated by `;`, entries by `,`)::

    spec     := service (";" service)*
    service  := ("tds" | "cw") ":" entry ("," entry)*
    entry    := KIND "=" rate                  rate: 0.1, or 10%
              | "latency=" duration ["~p99:" duration]
              | "429burst=" duration "/" duration
              | "retry_after=" duration        Retry-After of random 429s (default 1s)
              | "seed=" integer                seed of this service's dice (default 0)
    KIND     := "5xx" | "429" | "timeout" | "reset" | "truncated" | "malformed" | "html"
    duration := number ["ms" | "s" | "m" | "h"]   (no unit: seconds)

Example: `tds:5xx=0.1,timeout=0.05,latency=200ms~p99:2s;cw:429burst=20/60s,5xx=0.02`.

- The rates of one service add up to at most 1; each request meets at most one of them.
- `latency=M~p99:T` draws every delay from a log-normal with median M and 99th percentile T (capped
  at 5 T); `latency=M` alone is a fixed delay. It applies to every request, faulted or not.
- `429burst=D/P`: for the first D of every P (on the simulator's clock) every request is answered 429
  with a truthful Retry-After (the seconds left in the burst). A D without a unit takes P's unit, so
  `20/60s` is 20 seconds of every minute.
- `truncated` cuts the body but keeps the full Content-Length; `malformed` is a 200 whose body is cut
  consistently (bad XML or JSON); `html` is a maintenance page with status 200. `timeout` and `reset`
  are raised as httpx transport errors in-process; in ConnectWise half of them happen after the
  request was processed (the reply is lost), the case that tests idempotency.
"""

from __future__ import annotations

import math
import random
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

KINDS = ("5xx", "429", "timeout", "reset", "truncated", "malformed", "html")
SERVICES = {"tds": "tds", "tdsynnex": "tds", "cw": "cw", "connectwise": "cw"}
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)?$")
_Z99 = 2.3263478740408408  # standard normal quantile of 0.99
_TAIL_CAP = 5.0


class FaultSpecError(ValueError):
    """A `--faults` spec that does not follow the grammar; the message names the bad part."""


def parse_duration(text: str, *, default_unit: str = "s") -> float:
    match = _DURATION.match(text.strip().lower())
    if match is None:
        raise FaultSpecError(f"{text!r} is not a duration (e.g. 200ms, 2s, 1.5m)")
    return float(match.group(1)) * _UNITS[match.group(2) or default_unit]


def _unit_of(text: str) -> str:
    match = _DURATION.match(text.strip().lower())
    return (match.group(2) if match else None) or "s"


@dataclass(frozen=True)
class Latency:
    median_s: float
    p99_s: float | None = None

    def sample(self, rng: random.Random) -> float:
        if self.p99_s is None or self.p99_s <= self.median_s or self.median_s <= 0:
            return self.median_s
        sigma = math.log(self.p99_s / self.median_s) / _Z99
        return min(rng.lognormvariate(math.log(self.median_s), sigma), _TAIL_CAP * self.p99_s)


@dataclass(frozen=True)
class Burst:
    length_s: float
    period_s: float

    def seconds_left(self, now: datetime) -> float | None:
        """Seconds left in the burst at `now`, or None outside one. Phase 0 is the Unix epoch."""
        into = now.timestamp() % self.period_s
        return self.length_s - into if into < self.length_s else None


@dataclass(frozen=True)
class ServiceFaults:
    """One service's random fault profile."""

    rates: dict[str, float] = field(default_factory=dict)
    latency: Latency | None = None
    burst: Burst | None = None
    retry_after_s: float = 1.0
    seed: int = 0

    def __str__(self) -> str:
        parts = [f"{kind}={self.rates[kind]:g}" for kind in KINDS if self.rates.get(kind)]
        if self.latency:
            tail = f"~p99:{self.latency.p99_s:g}s" if self.latency.p99_s is not None else ""
            parts.append(f"latency={self.latency.median_s:g}s{tail}")
        if self.burst:
            parts.append(f"429burst={self.burst.length_s:g}s/{self.burst.period_s:g}s")
        if self.retry_after_s != 1.0:
            parts.append(f"retry_after={self.retry_after_s:g}s")
        if self.seed:
            parts.append(f"seed={self.seed}")
        return ",".join(parts)


@dataclass(frozen=True)
class FaultSpec:
    tds: ServiceFaults | None = None
    cw: ServiceFaults | None = None

    def __str__(self) -> str:
        return ";".join(f"{name}:{profile}" for name, profile in (("tds", self.tds), ("cw", self.cw)) if profile)


def _rate(kind: str, text: str) -> float:
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise FaultSpecError(f"{kind}={text!r}: a rate is a number between 0 and 1, or a percentage") from None
    if not 0 <= value <= 1:
        raise FaultSpecError(f"{kind}={text}: a rate must be between 0 and 1")
    return value


def parse_service_faults(text: str) -> ServiceFaults:
    """The entries of one service (`5xx=0.1,timeout=0.05,...`), without the `tds:` prefix."""
    rates: dict[str, float] = {}
    options: dict[str, Any] = {}
    for entry in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = entry.partition("=")
        key, value = key.strip().lower(), value.strip()
        if not sep or not value:
            raise FaultSpecError(f"{entry!r}: expected key=value")
        if key in KINDS:
            rates[key] = _rate(key, value)
        elif key == "latency":
            median, _, tail = value.partition("~")
            p99 = None
            if tail:
                if not tail.lower().startswith("p99:"):
                    raise FaultSpecError(f"latency={value}: the tail is written ~p99:<duration>")
                p99 = parse_duration(tail[4:])
            options["latency"] = Latency(parse_duration(median), p99)
        elif key == "429burst":
            length, slash, period = value.partition("/")
            if not slash:
                raise FaultSpecError(f"429burst={value}: expected <length>/<period>, e.g. 20/60s")
            burst = Burst(parse_duration(length, default_unit=_unit_of(period)), parse_duration(period))
            if not 0 < burst.length_s < burst.period_s:
                raise FaultSpecError(f"429burst={value}: the burst must be shorter than its period")
            options["burst"] = burst
        elif key == "retry_after":
            options["retry_after_s"] = parse_duration(value)
        elif key == "seed":
            if not value.isdigit():
                raise FaultSpecError(f"seed={value}: a seed is a whole number")
            options["seed"] = int(value)
        else:
            raise FaultSpecError(f"unknown fault {key!r}; choose from {', '.join((*KINDS, 'latency', '429burst'))}")
    if sum(rates.values()) > 1 + 1e-9:
        raise FaultSpecError(f"rates add up to {sum(rates.values()):g}; one request meets at most one fault")
    return ServiceFaults(rates=rates, **options)


def parse_fault_spec(text: str) -> FaultSpec:
    """The whole `--faults` value: `tds:...;cw:...` (either part may be absent)."""
    found: dict[str, ServiceFaults] = {}
    for part in filter(None, (piece.strip() for piece in text.split(";"))):
        name, sep, body = part.partition(":")
        service = SERVICES.get(name.strip().lower())
        if not sep or service is None:
            raise FaultSpecError(f"{part!r}: start with tds: or cw:")
        if service in found:
            raise FaultSpecError(f"{name.strip()} appears twice")
        found[service] = parse_service_faults(body)
    return FaultSpec(tds=found.get("tds"), cw=found.get("cw"))


@dataclass(frozen=True)
class Roll:
    """What the dice decided for one request: a fault kind (or None), its delay and Retry-After."""

    kind: str | None
    delay_s: float = 0.0
    retry_after_s: int = 1
    after: bool = False  # timeout/reset after the request was processed
    status: int = 500  # for 5xx


class FaultDice:
    """A profile plus its seeded RNG and a tally of what it injected. Thread-safe (uvicorn threads)."""

    def __init__(self, profile: ServiceFaults) -> None:
        self.profile = profile
        self.rng = random.Random(profile.seed)
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def roll(self, now: datetime) -> Roll:
        profile = self.profile
        with self._lock:
            delay = profile.latency.sample(self.rng) if profile.latency else 0.0
            if delay:
                self.counts["latency"] += 1
            left = profile.burst.seconds_left(now) if profile.burst else None
            if left is not None:
                self.counts["429burst"] += 1
                return Roll("429", delay, retry_after_s=max(1, math.ceil(left)))
            draw, edge = self.rng.random(), 0.0
            for kind in KINDS:
                edge += profile.rates.get(kind, 0.0)
                if draw < edge:
                    self.counts[kind] += 1
                    return Roll(
                        kind,
                        delay,
                        retry_after_s=max(1, math.ceil(profile.retry_after_s)),
                        after=self.rng.random() < 0.5,
                        status=self.rng.choice((500, 502, 503)),
                    )
            return Roll(None, delay)


class _FaultHolder(Protocol):
    random: FaultDice | None


class _State(Protocol):
    @property
    def faults(self) -> _FaultHolder: ...


def apply_fault_spec(spec: FaultSpec | str, cw_state: _State | None, tds_state: _State | None) -> FaultSpec:
    """Install a spec's profiles on the simulators (a service the spec leaves out gets none).

    `orderbridge sim --faults SPEC` calls this once both states exist; `/_sim/faults/random` does the
    same for one service at run time.
    """
    parsed = parse_fault_spec(spec) if isinstance(spec, str) else spec
    if cw_state is not None:
        cw_state.faults.random = FaultDice(parsed.cw) if parsed.cw else None
    if tds_state is not None:
        tds_state.faults.random = FaultDice(parsed.tds) if parsed.tds else None
    return parsed
