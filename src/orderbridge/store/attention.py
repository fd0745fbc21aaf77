"""POs that keep failing: the "needs attention" view over tracked orders (reliability-security.md G10).

The engine already counts consecutive failed cycles per PO and keeps the last error; a success resets
both. So a poison PO is simply one whose count has reached the threshold: it is still retried every
cycle (and leaves this list by itself once the cause is fixed), it never holds up other POs, and an
operator sees it here. "Failing since" comes from the activity log, where every failed cycle wrote one
`error` entry, so no extra column is needed: it is the time of the Nth newest error of that PO.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select

from orderbridge.store.records import ActivityEntry, TrackedOrder
from orderbridge.store.rows import tracked_from_row
from orderbridge.store.store import Store
from orderbridge.store.tables import activity, tracked_orders

Transition = Literal["attention", "recovered"]


@dataclass(frozen=True, slots=True)
class AttentionItem:
    """One PO needing attention, with when its current run of failures began (None: log pruned)."""

    order: TrackedOrder
    failing_since: datetime | None

    @property
    def failures(self) -> int:
        return self.order.consecutive_failures

    def as_dict(self) -> dict[str, object]:
        return {
            "tenant": self.order.tenant,
            "po_id": self.order.po_id,
            "po_number": self.order.po_number,
            "failures": self.failures,
            "failing_since": self.failing_since.isoformat() if self.failing_since else None,
            "last_checked_at": self.order.last_checked_at.isoformat() if self.order.last_checked_at else None,
            "last_error": self.order.last_error,
        }


def needs_attention(store: Store, tenant: str | None, threshold: int) -> list[TrackedOrder]:
    """Tracked POs that failed `threshold` or more cycles in a row, longest-failing first.

    `tenant=None` lists every tenant (the CLI's view of a single-tenant install).
    """
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    query = select(tracked_orders).where(tracked_orders.c.consecutive_failures >= threshold)
    if tenant is not None:
        query = query.where(tracked_orders.c.tenant == tenant)
    query = query.order_by(
        tracked_orders.c.consecutive_failures.desc(), tracked_orders.c.tenant, tracked_orders.c.po_id
    )
    with store.reading() as connection:
        return [tracked_from_row(row) for row in connection.execute(query).mappings()]


def failing_since(store: Store, order: TrackedOrder) -> datetime | None:
    """When the PO's current run of failures began: its Nth newest error entry, N = the run's length.

    If retention pruned part of the run, the oldest error still kept is the best answer there is.
    """
    if order.consecutive_failures < 1:
        return None
    query = (
        select(activity.c.at)
        .where(activity.c.tenant == order.tenant, activity.c.po_id == order.po_id, activity.c.action == "error")
        .order_by(activity.c.at.desc(), activity.c.id.desc())
        .limit(order.consecutive_failures)
    )
    with store.reading() as connection:
        moments = list(connection.execute(query).scalars())
    return moments[-1] if moments else None


def attention_report(store: Store, tenant: str | None, threshold: int) -> list[AttentionItem]:
    return [AttentionItem(order, failing_since(store, order)) for order in needs_attention(store, tenant, threshold)]


def attention_transition(failures_before: int, failures_after: int, threshold: int) -> Transition | None:
    """The engine hook: "attention" when this cycle's failure takes a PO to the threshold, "recovered"
    when a success clears a PO that was at or past it; None otherwise (so each is logged once)."""
    if failures_before < threshold <= failures_after:
        return "attention"
    if failures_before >= threshold and failures_after == 0:
        return "recovered"
    return None


def attention_entry(
    transition: Transition, order: TrackedOrder, *, at: datetime, cycle_id: int | None, actor: str = "orderbridge"
) -> ActivityEntry:
    """The activity entry the engine adds next to the PO's error or write entries at a transition."""
    if transition == "attention":
        reason = f"failed {order.consecutive_failures} cycles in a row (still retried): {order.last_error or '?'}"
    else:
        reason = "synced again after failing; no longer needs attention"
    return ActivityEntry(
        at=at,
        tenant=order.tenant,
        actor=actor,
        action=transition,
        reason=reason,
        cycle_id=cycle_id,
        po_id=order.po_id,
        po_number=order.po_number,
        field="needs_attention",
        old_value=transition == "recovered",
        new_value=transition == "attention",
    )
