"""Who hears about what, pure: PO events become reach events, reach events become addressed decisions.

`reach_event` names an engine event in the customer's words (a shipment is "shipped" when it completes the
PO, "partly_shipped" otherwise; a carrier exception or a return is an "exception"; a slipped estimate is
a "delay"). `decide` turns one reach event and the PO's ConnectWise context into one `Decision` per
(audience, channel, recipient), following `[reach]`: rules, channels, company opt-in/opt-out. A person
reachable through two audiences on one channel is told once, under the first audience listed. A decision
that cannot be carried out (no email address in ConnectWise, no ticket) is kept with its reason, so the
PO page can say who was *not* told and why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from orderbridge.config import ReachSettings
from orderbridge.connectwise.context import Person, PoContext

# Engine event kind -> reach event; "shipment" is decided by `reach_event` (shipped or partly shipped).
EVENT_OF_KIND: Mapping[str, str] = {
    "delivered": "delivered",
    "delivery_delayed": "delay",
    "delivery_exception": "exception",
    "returned_to_sender": "exception",
    "back_ordered": "back_ordered",
}
REACH_KINDS = frozenset({"shipment", *EVENT_OF_KIND})
LABELS: Mapping[str, str] = {
    "shipped": "shipped",
    "partly_shipped": "partly shipped",
    "delivered": "delivered",
    "back_ordered": "back-ordered",
    "delay": "delayed",
    "exception": "held up",
}


@dataclass(frozen=True, slots=True)
class ReachEvent:
    name: str  # one of config.reach.EVENTS
    key: str  # the engine event's key: with the audience, channel and recipient it keys the outbox
    summary: str
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Decision:
    event: ReachEvent
    audience: str
    channel: str
    recipient: str  # an email address, "ticket:<id>", or "#<n> <scheme>" for a staff URL
    recipient_name: str | None = None
    skip: str | None = None  # why it cannot be sent; None when it can


def reach_event(kind: str, key: str, summary: str, details: Mapping[str, Any], *, complete: bool) -> ReachEvent | None:
    """The reach event of one engine event, or None when nobody outside is told about that kind.
    `complete`: for a shipment, whether every live PO line has now shipped."""
    if kind == "shipment":
        return ReachEvent("shipped" if complete else "partly_shipped", key, summary, details)
    name = EVENT_OF_KIND.get(kind)
    return ReachEvent(name, key, summary, details) if name else None


def shipped_lines(shipment_details: Sequence[Mapping[str, Any]]) -> set[int]:
    """Every PO line number named by the PO's shipment events so far."""
    return {
        int(n) for d in shipment_details for n in d.get("lines") or () if isinstance(n, int | str) and str(n).isdigit()
    }


def company_allowed(config: ReachSettings, context: PoContext) -> bool:
    names = {
        str(value).casefold()
        for value in (context.company_id, context.company_identifier, context.company_name)
        if value is not None
    }
    if config.opt_in and not names & {entry.casefold() for entry in config.opt_in}:
        return False
    return not names & {entry.casefold() for entry in config.opt_out}


def _person(context: PoContext, audience: str) -> Person | None:
    return {
        "customer": context.customer_contact,
        "ticket_contact": context.ticket_contact,
        "sales_rep": context.sales_rep,
        "project_manager": context.project_manager,
    }.get(audience)


def phase_overdue(context: PoContext, expected: date | None, today: date) -> bool:
    """A delay that misses the project phase's date: the expected arrival is after it (or it has passed)."""
    due = context.phase_due
    return due is not None and ((expected is not None and expected > due) or today > due)


def decide(
    config: ReachSettings,
    event: ReachEvent,
    context: PoContext,
    staff: Sequence[str],
    *,
    extra_audiences: Sequence[str] = (),
) -> list[Decision]:
    """The decisions for one event. `staff` names the staff Apprise destinations ("#1 mailto")."""
    audiences = list(config.rules.get(event.name, ()))
    audiences += [a for a in extra_audiences if a not in audiences]
    allowed = company_allowed(config, context)
    decisions: list[Decision] = []
    told: set[tuple[str, str]] = set()

    def add(audience: str, channel: str, recipient: str, name: str | None, skip: str | None = None) -> None:
        if (channel, recipient.casefold()) in told:
            return
        told.add((channel, recipient.casefold()))
        decisions.append(Decision(event, audience, channel, recipient, name, skip))

    for audience in audiences:
        if audience != "staff" and not allowed:
            continue  # the company opted out; the MSP's own staff still hear about trouble
        for channel in config.channels_for(audience):
            if channel == "apprise":
                for name in staff:
                    add(audience, channel, name, "staff")
            elif channel == "ticket_note":
                if context.ticket_id is None:
                    add(audience, channel, "ticket:none", None, "no ticket is linked to this PO")
                else:
                    add(audience, channel, f"ticket:{context.ticket_id}", context.ticket_summary)
            elif channel == "email":
                person = _person(context, audience)
                if person is None:
                    add(
                        audience,
                        channel,
                        f"{audience}:none",
                        None,
                        f"ConnectWise names no {audience.replace('_', ' ')}",
                    )
                elif not person.email:
                    add(audience, channel, f"{person.kind}:{person.id}", person.name, "no email address in ConnectWise")
                else:
                    add(audience, channel, person.email, person.name)
    return decisions
