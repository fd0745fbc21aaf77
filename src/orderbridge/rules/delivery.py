"""What the carriers' word means for a PO, pure: "delivered" for closing, each line's expected arrival
date, the delivered custom field, delivery events and notes (registration is in rules/cartons.py).

TD SYNNEX stops at "shipped"; the PO's parcels (core/delivery.TrackedParcel, followed by the providers)
carry the rest. Only the parcels whose numbers the current TD SYNNEX answer still ships count.

Closing (`delivery_verdict`, the `delivered` seam of rules/closing.py):
- True: every package is delivered. The PO closes as soon as it is invoiced and fully shipped.
- False: a package a provider follows is not delivered yet, or came back to the sender (a person
  decides what happens to a returned order; the `returned_to_sender` event says so).
- None, the grace rule (`sync.close_after_days` after the last shipment), only where no provider can
  know: no package has a tracking number, carrier tracking is off, a package no provider follows (a
  forwarder reference, an LTL pro number, a carrier without a configured provider), or one whose
  polling stopped (call budget spent, no scan for `give_up_days`).

Event kinds (the notifier listens for these exact names): `delivered`, `partly_delivered`,
`delivery_exception`, `returned_to_sender`, `delivery_delayed`; and `delivery_untracked` /
`tracking_stopped` where the grace rule takes over, said plainly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo

from orderbridge.core.delivery import STOPPED_BUDGET, STOPPED_NO_SCAN, ParcelState, TrackedParcel
from orderbridge.core.domain import DistributorOrder, Event, FieldChange
from orderbridge.rules.cartons import cartons, current
from orderbridge.rules.closing import fully_shipped
from orderbridge.rules.lines import match_lines
from orderbridge.rules.parcel_schedule import trouble_scan
from orderbridge.rules.shipping import cw_date, cw_datetime, shipped_items
from orderbridge.rules.situation import NOTHING, Outcome, Situation

DELIVERY_EVENT_KINDS = frozenset(
    {"delivered", "partly_delivered", "delivery_exception", "returned_to_sender", "delivery_delayed"}
)
NOTE_KINDS = frozenset({"delivered", "partly_delivered"})


def delivery_verdict(order: DistributorOrder, parcels: Sequence[TrackedParcel]) -> bool | None:
    """True / False / None for rules/closing.py (see the module docstring)."""
    numbers = cartons(order)
    mine = {parcel.tracking_number: parcel for parcel in current(order, parcels)}
    if not numbers or set(numbers) - set(mine):
        return None  # nothing to track, or packages never registered (tracking off): only the grace rule
    followed = [parcel for parcel in mine.values() if parcel.trackable]
    if any(not parcel.delivered for parcel in followed):
        return False
    if len(followed) < len(mine):
        return None
    return True


# --- the planner's rule: events and each line's expected arrival ------------------------------------------


def delivery_rule(s: Situation) -> Outcome:
    # No parcels: carrier tracking is off, or nothing with a tracking number shipped yet.
    if s.stale or not s.parcels:
        return NOTHING
    events = [*_delivery_events(s), *_trouble_events(s), *_untracked_events(s)]
    return Outcome(changes=tuple(_arrival_changes(s)), events=tuple(events))


def _zone_name(zone: tzinfo) -> str:
    return str(getattr(zone, "key", None) or zone.tzname(None) or "UTC")


def local_time(moment: datetime, zone: tzinfo) -> str:
    """ "2026-12-03 14:05" in `zone` (a naive time is UTC, as everywhere in the planner)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _numbers_key(numbers: Sequence[str]) -> str:
    ordered = sorted(numbers)
    if len(ordered) <= 4:
        return ",".join(ordered)
    return f"{len(ordered)}:{hashlib.sha256(','.join(ordered).encode()).hexdigest()[:16]}"


def all_delivered(s: Situation) -> bool:
    """Every package of the PO delivered, and nothing left to ship: the PO's `delivered` moment."""
    return bool(s.parcels) and all(p.delivered for p in s.parcels) and fully_shipped(s.order)


def _signers(parcels: Sequence[TrackedParcel]) -> str | None:
    names = list(dict.fromkeys(p.signed_by.strip() for p in parcels if p.signed_by and p.signed_by.strip()))
    if len(names) > 1:
        return f"{', '.join(names[:-1])} and {names[-1]}"
    return names[0] if names else None


def _how(delivered: Sequence[TrackedParcel], zone: tzinfo) -> str:
    """ " 2026-12-03 14:05 (America/Chicago) to AUSTIN, TX, signed by J SMITH": the last package's time
    and place, every signer."""
    dated = [p for p in delivered if p.delivered_at is not None]
    last = max(dated, key=lambda p: p.delivered_at or datetime.min.replace(tzinfo=UTC)) if dated else None
    when = f" {local_time(last.delivered_at, zone)} ({_zone_name(zone)})" if last and last.delivered_at else ""
    where = f" to {last.delivered_to}" if last and last.delivered_to else ""
    signers = _signers(delivered)
    return when + where + (f", signed by {signers}" if signers else "")


def _packages(count: int) -> str:
    return f"{count} package{'' if count == 1 else 's'}"


def delivered_text(delivered: Sequence[TrackedParcel], total: int, zone: tzinfo) -> str:
    """ "Delivered 2026-12-03 14:05 (America/Chicago) to AUSTIN, TX, signed by J SMITH; 2 of 2 packages" """
    return f"Delivered{_how(delivered, zone)}; {len(delivered)} of {_packages(total)}"


def _package_details(parcel: TrackedParcel) -> dict[str, object]:
    return {
        "tracking_number": parcel.tracking_number,
        "carrier": parcel.carrier,
        "delivered_at": cw_datetime(parcel.delivered_at) if parcel.delivered_at else None,
        "signed_by": parcel.signed_by,
        "delivered_elsewhere": parcel.delivered_elsewhere,
        "delivered_to": parcel.delivered_to,
    }


def _delivered_details(delivered: Sequence[TrackedParcel], total: int) -> dict[str, object]:
    times = [p.delivered_at for p in delivered if p.delivered_at is not None]
    return {
        "delivered_at": cw_datetime(max(times)) if times else None,
        "signed_by": _signers(delivered),
        "tracking_numbers": [p.tracking_number for p in delivered],
        "delivered_elsewhere": any(p.delivered_elsewhere for p in delivered),
        "delivered": len(delivered),
        "packages_total": total,
        "packages": [_package_details(p) for p in delivered],
    }


def _delivery_events(s: Situation) -> list[Event]:
    zone, total = s.ctx.delivery_zone, len(s.parcels)
    delivered = [p for p in s.parcels if p.delivered]
    if all_delivered(s):
        # All at once or the last of several: one event for the PO (a partial one was announced per package).
        key = f"delivered:{_numbers_key([p.tracking_number for p in delivered])}"
        details = _delivered_details(delivered, total)
        return [Event("delivered", delivered_text(delivered, total, zone), s.stage, key, details)]
    events = []
    for parcel in delivered:
        # One package of several arrived; the rest are on their way (or not shipped yet).
        summary = (
            f"Package {parcel.tracking_number} delivered{_how([parcel], zone)}; "
            f"{len(delivered)} of {_packages(total)} delivered"
        )
        details = {**_package_details(parcel), "delivered": len(delivered), "packages_total": total}
        key = f"partly_delivered:{parcel.tracking_number}"
        events.append(Event("partly_delivered", summary, s.stage, key, details))
    return events


def _trouble_events(s: Situation) -> list[Event]:
    events = []
    slip = s.ctx.carriers.slip_days
    for parcel in s.parcels:
        number = parcel.tracking_number
        if parcel.state is ParcelState.RETURNED_TO_SENDER:
            # Back with the sender: the PO stays open for a person to decide (re-ship, refund, cancel).
            summary = f"Package {number} was returned to the sender; the PO stays open until a person decides"
            details = {"tracking_number": number, "carrier": parcel.carrier, "last_scan_at": _iso(parcel.last_scan_at)}
            events.append(Event("returned_to_sender", summary, s.stage, f"returned_to_sender:{number}", details))
        scan = trouble_scan(parcel)
        if scan is not None:
            # A carrier exception or a failed delivery attempt: each such scan is news once.
            what = "delivery attempt failed" if parcel.state is ParcelState.FAILED_ATTEMPT else "carrier exception"
            where = f" at {scan.location}" if scan.location else ""
            summary = f"Package {number}: {what}{where}: {scan.description}"
            details = {
                "tracking_number": number,
                "carrier": parcel.carrier,
                "state": parcel.state.value,
                "description": scan.description,
                "code": scan.code,
                "at": _iso(scan.at),
            }
            key = f"delivery_exception:{number}:{_iso(scan.at)}"
            events.append(Event("delivery_exception", summary, s.stage, key, details))
        first, now = parcel.first_estimate, parcel.estimate
        if first and now and not parcel.delivered and (now - first).days > slip:
            # The carrier moved its estimate later by more than the operator tolerates: each new date once.
            summary = (
                f"Package {number}: the carrier now expects delivery {now.isoformat()}, "
                f"{(now - first).days} days after its first estimate ({first.isoformat()})"
            )
            delay: dict[str, object] = {
                "tracking_number": number,
                "carrier": parcel.carrier,
                "first_estimate": first.isoformat(),
                "estimate": now.isoformat(),
                "tds_estimate": parcel.tds_estimate.isoformat() if parcel.tds_estimate else None,
                "slipped_days": (now - first).days,
            }
            key = f"delivery_delayed:{number}:{now.isoformat()}"
            events.append(Event("delivery_delayed", summary, s.stage, key, delay))
    return events


def _iso(moment: datetime | None) -> str | None:
    return cw_datetime(moment) if moment else None


def _untracked_events(s: Situation) -> list[Event]:
    days = s.ctx.sync.close_after_days
    grace = f"PO closes {days} days after shipment"
    events = []
    for parcel in s.parcels:
        number = parcel.tracking_number
        if parcel.provider is None:
            # Nobody can say when it arrives (a forwarder reference, LTL, no provider): the grace rule decides.
            what = (
                "is a forwarder reference no carrier provider can follow"
                if "[carriers.forwarders]" in parcel.route_reason
                else "cannot be followed by any carrier provider"
            )
            summary = f"Package {number} {what} ({parcel.route_reason}): {grace}"
            details: dict[str, object] = {
                "tracking_number": number,
                "reason": parcel.route_reason,
                "close_after_days": days,
            }
            events.append(Event("delivery_untracked", summary, s.stage, f"delivery_untracked:{number}", details))
        elif parcel.stopped in (STOPPED_BUDGET, STOPPED_NO_SCAN) and not parcel.delivered:
            # Polling gave up on it: say why, once, and fall back to the grace rule.
            why = (
                f"after {parcel.polls} provider answers ([carriers] calls_per_package)"
                if parcel.stopped == STOPPED_BUDGET
                else f"after {s.ctx.carriers.give_up_days} days without a carrier scan ([carriers] give_up_days)"
            )
            summary = f"Stopped following package {number} {why}: {grace}"
            details = {"tracking_number": number, "reason": parcel.stopped, "polls": parcel.polls}
            key = f"tracking_stopped:{number}:{parcel.stopped}"
            events.append(Event("tracking_stopped", summary, s.stage, key, details))
    return events


def _arrival_changes(s: Situation) -> list[FieldChange]:
    """Each line's `expectedArrivalDate`: the latest carrier estimate among its undelivered packages, and
    the delivery time once all its packages are delivered (connectwise-psa.md §3.3)."""
    if s.po.lines is None:
        return []
    by_number = {parcel.tracking_number: parcel for parcel in s.parcels}
    changes = []
    for match in match_lines(s.po.lines, s.order.lines).matches:
        numbers = {n.strip() for item in shipped_items(match.items) for n in item.tracking_numbers}
        mine = [by_number[n] for n in sorted(numbers) if n in by_number]
        pending = [p for p in mine if not p.delivered]
        if not mine:
            continue
        if pending:
            estimates = [p.estimate for p in pending if p.estimate is not None]
            new = cw_date(max(estimates)) if estimates else None
            reason = "the carrier's estimated delivery of this line's packages"
        else:
            times = [p.delivered_at for p in mine if p.delivered_at is not None]
            new = cw_datetime(max(times)) if times else None
            reason = "every package of this line delivered"
        line = match.line
        old = cw_datetime(line.expected_arrival_date) if line.expected_arrival_date else None
        if new is not None and new != old:
            changes.append(FieldChange("expectedArrivalDate", old, new, reason, line_id=line.id))
    return changes


def delivered_field_value(s: Situation) -> str | None:
    """The `[carriers] delivered_field` text once the PO is delivered: "2026-12-03 14:05 America/Chicago,
    signed by J SMITH"; None before."""
    if not all_delivered(s):
        return None
    times = [p.delivered_at for p in s.parcels if p.delivered_at is not None]
    if not times:
        return None
    signers = _signers(s.parcels)
    signed = f", signed by {signers}" if signers else ""
    return f"{local_time(max(times), s.ctx.delivery_zone)} {_zone_name(s.ctx.delivery_zone)}{signed}"[:1000]


def delivery_note_text(s: Situation, event: Event) -> str | None:
    """The PO note body of a `delivered` / `partly_delivered` event (the caller adds the marker)."""
    total = len(s.parcels)
    if event.kind == "delivered":
        delivered = [p for p in s.parcels if p.delivered]
        text = (
            delivered_text(delivered, total, s.ctx.delivery_zone)
            + ": "
            + ", ".join(p.tracking_number for p in delivered)
        )
    elif event.kind == "partly_delivered":
        number = str(event.details.get("tracking_number"))
        delivered = [p for p in s.parcels if p.tracking_number == number]
        text = event.summary
    else:
        return None
    elsewhere = [p for p in delivered if p.delivered_elsewhere]
    if elsewhere:
        places = "; ".join(f"{p.tracking_number} at {p.delivered_to or 'another address'}" for p in elsewhere)
        text += f". Delivered elsewhere: {places}"
    return text + "."
