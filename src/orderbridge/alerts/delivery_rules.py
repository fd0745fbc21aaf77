"""The delivery rules: which POs' packages need a person, from what the carriers said. Pure functions.

Each rule looks at one PO's followed packages (the `parcels` table, store/parcels.py) and finds its
condition or not, like the order rules in rules.py; the evaluator (evaluate.py) opens one alert per PO
and rule and resolves it when the condition stops holding. A PO with several packages gets one alert per
rule, naming every package that holds it.

- delivery_slipped: the carrier's current estimate is later than its *first* estimate by more than
  `[alerts] delivery_slipped_days` (not TD SYNNEX's estimate: the carrier's own word moved). Resolves on
  delivery, when there is nothing left to plan around.
- carrier_exception: the carrier reports an exception (damaged, held, lost, refused) or a failed delivery
  attempt, and nothing newer has replaced it.
- delivered_elsewhere_or_returned: returned to the sender, or delivered somewhere other than the ship-to
  address (an access point, a neighbour, another address), as the carrier says.
- no_carrier_scan: a provider follows the package, TD SYNNEX shipped it `no_carrier_scan_days` ago and
  no carrier has scanned it yet (the label exists, the box does not move: left on a dock, a wrong number).

A package nobody follows (no provider: a forwarder reference, tracking off) is never the subject of a rule:
there is nothing a carrier said. A PO whose status a person took over (facts' `status_name`) is theirs.
A package last heard of (or last polled) `[alerts] forget_after_days` ago is forgotten, as orders are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from orderbridge.alerts.rules import (
    CARRIER_EXCEPTION,
    DELIVERED_ELSEWHERE_OR_RETURNED,
    DELIVERY_SLIPPED,
    NO_CARRIER_SCAN,
    Finding,
)
from orderbridge.config import AlertSettings
from orderbridge.core.delivery import ParcelState, TrackedParcel

UNSCANNED = (ParcelState.UNKNOWN, ParcelState.LABEL_CREATED)
TROUBLE = (ParcelState.EXCEPTION, ParcelState.FAILED_ATTEMPT)


@dataclass(frozen=True)
class Packages:
    """One PO's followed packages as the delivery rules see them."""

    label: str  # the PO number, else "PO id N"
    parcels: Sequence[TrackedParcel]
    now: datetime
    limits: AlertSettings


def _name(parcel: TrackedParcel) -> str:
    return f"{parcel.tracking_number} ({parcel.carrier})" if parcel.carrier else parcel.tracking_number


def _finding(rule: str, subject: Packages, held: list[TrackedParcel], what: str) -> Finding:
    numbers = [p.tracking_number for p in held]
    if len(held) == 1:
        message = f"{subject.label}: package {_name(held[0])} {what}"
    else:
        message = f"{subject.label}: {len(held)} packages ({', '.join(numbers)}) {what}"
    return Finding(rule, message, {"tracking_numbers": numbers})


def slipped_days(parcel: TrackedParcel) -> int:
    """How many days the carrier's estimate moved later than its first one (0 when it did not)."""
    if parcel.estimate is None or parcel.first_estimate is None:
        return 0
    return max(0, (parcel.estimate - parcel.first_estimate).days)


def delivery_slipped(s: Packages) -> Finding | None:
    limit = s.limits.delivery_slipped_days
    if limit <= 0:
        return None
    held = [p for p in s.parcels if not p.state.final and slipped_days(p) > limit]
    if not held:
        return None
    worst = max(held, key=slipped_days)
    what = (
        f"now expected {worst.estimate.isoformat() if worst.estimate else '?'}, {slipped_days(worst)} days later "
        f"than the carrier first said ({worst.first_estimate.isoformat() if worst.first_estimate else '?'})"
    )
    finding = _finding(DELIVERY_SLIPPED, s, held, what)
    return Finding(finding.rule, finding.message, {**finding.details, "days": slipped_days(worst)})


def carrier_exception(s: Packages) -> Finding | None:
    if not s.limits.carrier_exception:
        return None
    held = [p for p in s.parcels if p.state in TROUBLE]
    if not held:
        return None
    latest = held[-1]
    scan = next((e for e in reversed(latest.events) if e.state in TROUBLE), None)
    said = f": {scan.description}" if scan is not None and scan.description else ""
    kind = "a failed delivery attempt" if latest.state is ParcelState.FAILED_ATTEMPT else "a carrier exception"
    verb = "has" if len(held) == 1 else "have"
    return _finding(CARRIER_EXCEPTION, s, held, f"{verb} {kind}{said}")


def delivered_elsewhere_or_returned(s: Packages) -> Finding | None:
    if not s.limits.delivered_elsewhere_or_returned:
        return None
    returned = [p for p in s.parcels if p.state is ParcelState.RETURNED_TO_SENDER]
    elsewhere = [p for p in s.parcels if p.delivered and p.delivered_elsewhere]
    if not returned and not elsewhere:
        return None
    parts = []
    if returned:
        parts.append("was returned to the sender" if len(returned) == 1 else "were returned to the sender")
    if elsewhere:
        places = sorted({p.delivered_to for p in elsewhere if p.delivered_to})
        where = f" ({'; '.join(places)})" if places else ""
        parts.append(f"delivered somewhere other than the ship-to address{where}")
    finding = _finding(DELIVERED_ELSEWHERE_OR_RETURNED, s, [*returned, *elsewhere], " and ".join(parts))
    details = {**finding.details, "returned": [p.tracking_number for p in returned]}
    return Finding(finding.rule, finding.message, details)


def no_carrier_scan(s: Packages) -> Finding | None:
    limit = s.limits.no_carrier_scan_days
    if limit <= 0:
        return None
    age = timedelta(days=limit)
    held = [
        p
        for p in s.parcels
        if p.state in UNSCANNED and not _scanned(p) and s.now - (p.shipped_at or p.registered_at) >= age
    ]
    if not held:
        return None
    days = max(int((s.now - (p.shipped_at or p.registered_at)).total_seconds() // 86400) for p in held)
    finding = _finding(NO_CARRIER_SCAN, s, held, f"shipped by TD SYNNEX {days} days ago, not scanned by a carrier yet")
    return Finding(finding.rule, finding.message, {**finding.details, "days": days})


def _scanned(parcel: TrackedParcel) -> bool:
    """A carrier has physically had the package: any scan past "label created"."""
    return any(e.state not in UNSCANNED for e in parcel.events)


RULES: tuple[Callable[[Packages], Finding | None], ...] = (
    delivery_slipped,
    carrier_exception,
    delivered_elsewhere_or_returned,
    no_carrier_scan,
)


def delivery_findings(subject: Packages) -> list[Finding]:
    """Every delivery rule that holds for this PO's followed packages (oldest shipment first)."""
    forget = subject.now - timedelta(days=subject.limits.forget_after_days)
    followed = [p for p in subject.parcels if p.provider is not None and (p.updated_at or p.registered_at) >= forget]
    if not followed:
        return []
    subject = Packages(subject.label, followed, subject.now, subject.limits)
    return [found for rule in RULES if (found := rule(subject)) is not None]
