"""A followed package's polling life, pure: what one provider answer changes, when to ask again, when to stop.

Kept apart from the planner (rules/delivery.py) because it decides what we *ask* carriers, not what we
write to ConnectWise, and the polling pass and the webhook receiver both apply answers through it.

The schedule, first match wins (each rule says which real situation it handles):
1. Nobody follows the package (no provider): never polled.
2. Delivered or returned to the sender: final, stop.
3. The call budget is spent (`[carriers] calls_per_package`): stop; the PO falls back to the grace rule.
4. No carrier scan for `give_up_days` (counted from the last scan, else the ship time): a lost label, a
   number nobody will ever scan; stop, and the grace rule applies.
5. Out for delivery or after a failed attempt: the next scan is hours away, poll `poll_near_delivery_hours`.
5a. An exception (damaged, held, an address problem): the carrier's next word may take days. Ask again
   after as long as the package has already been quiet (at least `poll_in_transit_hours`), so a stuck
   package's polls thin out geometrically instead of running to the budget; rule 4 still ends it.
6. Waiting at an access point for the recipient: that takes days, poll at the in-transit pace.
7. On the estimated day and the day after it: poll `poll_near_delivery_hours`. Not the day before: a
   package goes out for delivery on its day, so polling it at the near pace a day early found nothing
   (the bench's carrier journey phase: 5.3 calls per package before, 4.0 after; docs/performance.md).
8. The estimated day two or more days ahead: `poll_far_hours` (a day), or `poll_in_transit_hours` when
   that is slower. Between hubs a package only moves on, which nobody acts on; the estimate itself is read
   daily, so a slip is still seen within a day.
9. Otherwise (in transit with no estimate or a passed one, label only, not known yet): poll
   `poll_in_transit_hours`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime, timedelta

from orderbridge.config import CarrierSettings
from orderbridge.core.delivery import (
    SCAN_EVENTS_KEPT,
    STOPPED_BUDGET,
    STOPPED_FINAL,
    STOPPED_NO_SCAN,
    ParcelState,
    ParcelStatus,
    ScanEvent,
    TrackedParcel,
)

NEAR_WINDOW = timedelta(days=1)  # "near the estimate": the estimated day to the day after it
TROUBLE = (ParcelState.EXCEPTION, ParcelState.FAILED_ATTEMPT)


def next_poll(parcel: TrackedParcel, now: datetime, settings: CarrierSettings) -> tuple[datetime | None, str | None]:
    """(when to ask the provider next, why polling stopped): exactly one of them is None, except for a
    package no provider follows (both None)."""
    if parcel.provider is None:
        return None, None
    if parcel.state.final:
        return None, STOPPED_FINAL
    if parcel.polls >= settings.calls_per_package:
        return None, STOPPED_BUDGET
    since = parcel.last_scan_at or parcel.shipped_at or parcel.registered_at
    if now - since > timedelta(days=settings.give_up_days):
        return None, STOPPED_NO_SCAN
    near = timedelta(hours=settings.poll_near_delivery_hours)
    transit = timedelta(hours=settings.poll_in_transit_hours)
    if parcel.awaiting_pickup:
        return now + transit, None
    if parcel.state in (ParcelState.OUT_FOR_DELIVERY, ParcelState.FAILED_ATTEMPT):
        return now + near, None
    if parcel.state is ParcelState.EXCEPTION:
        return now + max(transit, now - since), None
    estimate = parcel.estimate or parcel.tds_estimate
    if estimate is not None and timedelta(0) <= now.date() - estimate <= NEAR_WINDOW:
        return now + near, None
    if estimate is not None and estimate - now.date() > NEAR_WINDOW:
        # A day from now is still before the estimated day (two or more days ahead), so this never skips
        # the near window; a slower configured pace (webhooks carry the news) is kept as it is.
        return now + max(transit, timedelta(hours=settings.poll_far_hours)), None
    return now + transit, None


def schedule(parcel: TrackedParcel, now: datetime, settings: CarrierSettings) -> TrackedParcel:
    """The parcel with its next poll (or its reason to stop) decided at `now`."""
    when, stopped = next_poll(parcel, now, settings)
    return replace(parcel, next_poll_at=when, stopped=stopped, updated_at=now)


def apply_answer(
    parcel: TrackedParcel,
    answer: ParcelStatus | str,
    now: datetime,
    settings: CarrierSettings,
    *,
    polled: bool = True,
) -> TrackedParcel:
    """What one provider answer (a poll, or a webhook when `polled` is False) makes of the parcel.

    A problem text is kept as the parcel's `problem` and changes nothing else. A status older than what
    we hold (webhooks arrive out of order; a poll can cross a webhook) never moves the story back, and
    a delivered package stays delivered whatever a late scan says.
    """
    polls = parcel.polls + 1 if polled else parcel.polls
    last_polled = now if polled else parcel.last_polled_at
    merged = replace(parcel, problem=answer) if isinstance(answer, str) else _merge(parcel, answer)
    merged = replace(merged, polls=polls, last_polled_at=last_polled, updated_at=now)
    if not polled and not merged.state.final:
        # A pushed update costs no call: the next poll stays when the schedule had put it.
        return merged
    return schedule(merged, now, settings)


def _merge(parcel: TrackedParcel, status: ParcelStatus) -> TrackedParcel:
    events = merge_events(parcel.events, status.events)
    last_scan = max((t for t in (parcel.last_scan_at, status.last_scan_at) if t is not None), default=None)
    ref = status.provider_ref or parcel.provider_ref
    found = parcel.found or status.found
    held = parcel.last_scan_at
    older = held is not None and (status.last_scan_at is None or status.last_scan_at < held)
    if parcel.delivered or (older and status.state is not ParcelState.DELIVERED):
        return replace(parcel, events=events, last_scan_at=last_scan, provider_ref=ref, found=found, problem=None)
    estimate = status.estimated_delivery or parcel.estimate
    delivered = status.state is ParcelState.DELIVERED
    return replace(
        parcel,
        state=status.state,
        found=found,
        first_estimate=parcel.first_estimate or status.estimated_delivery,
        estimate=estimate,
        delivered_at=status.delivered_at or (last_scan if delivered else None),
        signed_by=status.signed_by if delivered else None,
        delivered_elsewhere=status.delivered_elsewhere if delivered else False,
        delivered_to=status.delivered_to,
        awaiting_pickup=status.awaiting_pickup,
        last_scan_at=last_scan,
        events=events,
        provider_ref=ref,
        problem=None,
    )


def merge_events(held: Iterable[ScanEvent], fresh: Iterable[ScanEvent]) -> tuple[ScanEvent, ...]:
    """Both lists as one, each scan once, oldest first, the newest SCAN_EVENTS_KEPT."""
    unique = {(e.at, e.code, e.description): e for e in (*held, *fresh)}
    ordered = sorted(unique.values(), key=lambda e: (e.at, e.code or "", e.description))
    return tuple(ordered[-SCAN_EVENTS_KEPT:])


def trouble_scan(parcel: TrackedParcel) -> ScanEvent | None:
    """The newest exception or failed-attempt scan while the parcel is in that state, for its event."""
    if parcel.state not in TROUBLE:
        return None
    return next((e for e in reversed(parcel.events) if e.state in TROUBLE), None)


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def parcels_digest(parcels: Iterable[TrackedParcel]) -> str:
    """A digest of what the planner reads from a PO's parcels: the quiet key's parcel part (sync/quiet.py)
    and the polling pass's test for "this PO must be planned again". Polling bookkeeping (polls, next
    poll, an in-transit scan that changes nothing the planner reads) is left out on purpose."""
    parts: list[str] = []
    for parcel in sorted(parcels, key=lambda p: p.tracking_number):
        scan = trouble_scan(parcel)
        stopped = parcel.stopped if parcel.stopped != STOPPED_FINAL else ""
        parts.append(
            "\x1e".join(
                (
                    parcel.tracking_number,
                    parcel.provider or "",
                    stopped or "",
                    parcel.state.value,
                    _day(parcel.estimate),
                    _day(parcel.first_estimate),
                    parcel.delivered_at.isoformat() if parcel.delivered_at else "",
                    parcel.signed_by or "",
                    repr(parcel.delivered_elsewhere),
                    parcel.delivered_to or "",
                    ",".join(str(n) for n in parcel.lines),
                    f"{scan.at.isoformat()}|{scan.description}" if scan else "",
                )
            )
        )
    if not parts:
        return ""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


__all__ = [
    "STOPPED_BUDGET",
    "STOPPED_NO_SCAN",
    "apply_answer",
    "merge_events",
    "next_poll",
    "parcels_digest",
    "schedule",
    "trouble_scan",
]
