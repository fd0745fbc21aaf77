"""Which tenants need a job now: the question the periodic task asks the store every interval.

A tenant is due when a callback is waiting for it, when one of its orders came due since its last
attempt, or when it has not been attempted for `discover_minutes` (new POs are only found by
looking). "Since its last attempt" matters: an order whose PO is no longer tracked in ConnectWise
keeps a past `next_check_at` for ever, and must not make its tenant due every minute.
Oldest attempt first, so when jobs are scarce the tenant waiting longest goes first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, select

from orderbridge.store import Store
from orderbridge.store.inbox import tenants_with_pending
from orderbridge.store.tables import cycles, tracked_orders

IN_CHUNK = 500


@dataclass(frozen=True)
class DueTenant:
    name: str
    reason: str
    last_attempt: datetime | None


def last_attempts(store: Store, names: Sequence[str]) -> dict[str, datetime]:
    """When each tenant's latest real (not dry-run) cycle started, whatever its outcome."""
    found: dict[str, datetime] = {}
    with store.reading() as connection:
        for start in range(0, len(names), IN_CHUNK):
            chunk = list(names[start : start + IN_CHUNK])
            query = (
                select(cycles.c.tenant, func.max(cycles.c.started_at))
                .where(cycles.c.dry_run.is_(False), cycles.c.tenant.in_(chunk))
                .group_by(cycles.c.tenant)
            )
            # max() keeps the column's type, so SQLite's text comes back as an aware datetime too.
            for tenant, started in connection.execute(query):
                if started is not None:
                    found[tenant] = started
    return found


def _orders_came_due(store: Store, since: dict[str, datetime], now: datetime) -> set[str]:
    if not since:
        return set()
    due: set[str] = set()
    with store.reading() as connection:
        for tenant, last in since.items():
            # One indexed probe per tenant on (tenant, next_check_at): cheap at any number of orders.
            probe = exists().where(
                and_(
                    tracked_orders.c.tenant == tenant,
                    tracked_orders.c.next_check_at > last,
                    tracked_orders.c.next_check_at <= now,
                )
            )
            if connection.execute(select(probe)).scalar():
                due.add(tenant)
    return due


def due_tenants(store: Store, names: Sequence[str], now: datetime, *, discover_after: timedelta) -> list[DueTenant]:
    attempts = last_attempts(store, names)
    pending = tenants_with_pending(store, names)
    came_due = _orders_came_due(store, attempts, now)
    due: list[DueTenant] = []
    for name in names:
        last = attempts.get(name)
        if name in pending:
            reason = "callback"
        elif last is None:
            reason = "never synced"
        elif name in came_due:
            reason = "orders due"
        elif now - last >= discover_after:
            reason = "discovery"
        else:
            continue
        due.append(DueTenant(name, reason, last))
    epoch = datetime.min.replace(tzinfo=now.tzinfo)
    return sorted(due, key=lambda item: (item.last_attempt or epoch, item.name))
