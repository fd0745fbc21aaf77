"""Store-side checks for `doctor`: the database answers, its schema is current, the last cycle was
clean, and tracked orders are checked on time (the high-volume symptom: everything overdue)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from orderbridge.core.display import UTC_DISPLAY, DisplayZone
from orderbridge.core.redaction import redact
from orderbridge.store import ActivityFilter, Store
from orderbridge.store.schema import head_revision
from orderbridge.store.tables import tracked_orders
from orderbridge.troubleshoot.findings import Finding

# Overdue by more than this is "behind", not the normal slack between two daemon cycles.
LAG_TOLERANCE = timedelta(minutes=30)
# No cycle for this long means nothing runs the sync (no daemon, no cron).
IDLE_AFTER = timedelta(hours=6)
ERRORS_SHOWN = 5


def check_schema(store: Store) -> Finding:
    try:
        current, head = store.schema_version(), head_revision()
    except Exception as exc:  # any driver error: the point is to report it, not to crash the doctor
        return Finding.problem(
            "store.health",
            "the store cannot be read",
            cause=redact(f"{type(exc).__name__}: {exc}"),
            fix="check [store] url, that the database is running and that this user may connect",
        )
    if current is None:
        # The doctor opens the store without migrating it, so before the first `setup` or sync there is
        # nothing in it yet: a new store, not a broken one.
        return Finding.problem(
            "store.new",
            "the store is new: nothing has run against it yet (no orderbridge tables)",
            cause="orderbridge has not been set up with this [store] url",
            fix="run `orderbridge setup` (it creates the store's tables and the TDS statuses in ConnectWise); "
            "if this store should already hold history, check [store] url",
        )
    if current != head:
        return Finding.problem(
            "store.schema",
            f"store schema is at revision {current}, the code expects {head}",
            cause="the database was not migrated to this version of orderbridge",
            fix="run any orderbridge command once with write access (it migrates on start), or restore "
            "the matching orderbridge version",
        )
    return Finding.passed("store.schema", f"store reachable, schema at revision {current} (current)")


def check_last_cycle(store: Store, tenant: str, now: datetime, zone: DisplayZone = UTC_DISPLAY) -> list[Finding]:
    cycle = store.last_cycle(tenant)
    if cycle is None:
        return [Finding.fact("cycle.none", "no sync cycle has run for this tenant yet")]
    out: list[Finding] = []
    failed = int(cycle.counts.get("failed", 0))
    when = zone.stamp(cycle.started_at)
    if cycle.status not in ("ok", "running"):
        # "service-down": every PO the cycle tried failed because a service did not answer (sync/causes.py).
        down = cycle.status == "service-down"
        out.append(
            Finding.problem(
                "cycle.status",
                f"the last cycle ({when}) ended {cycle.status!r}",
                cause="a service answered for none of the POs the cycle tried"
                if down
                else "the cycle stopped early or could not list every PO",
                fix="fix the failing step named by the checks above, then run `orderbridge sync --once`",
            )
        )
    if failed:
        errors = store.query_activity(
            ActivityFilter(tenant=tenant, cycle_id=cycle.id, actions=("error",), limit=ERRORS_SHOWN)
        )
        lines = "; ".join(f"{e.po_number or e.po_id}: {e.reason}" for e in errors)
        out.append(
            Finding.problem(
                "cycle.errors",
                f"the last cycle ({when}) failed on {failed} PO(s)",
                cause=lines or "see `orderbridge log --action error`",
                fix="run `orderbridge doctor PO` for each PO named to see its cause and fix",
            )
        )
    if not out:
        out.append(Finding.passed("cycle.status", f"the last cycle ({when}) was clean"))
    if now - cycle.started_at > IDLE_AFTER:
        out.append(
            Finding.problem(
                "cycle.idle",
                f"no cycle has run since {when}",
                cause="nothing runs the sync on a schedule",
                fix="run `orderbridge run` as a service (or `orderbridge worker`), or schedule `sync --once`",
            )
        )
    return out


def check_lag(store: Store, tenant: str, now: datetime) -> Finding:
    """How far behind schedule the tracked orders are (only those still scheduled at all)."""
    late_before = now - LAG_TOLERANCE
    query = select(func.count(), func.min(tracked_orders.c.next_check_at)).where(
        tracked_orders.c.tenant == tenant, tracked_orders.c.next_check_at < late_before
    )
    with store.reading() as connection:
        count, oldest = connection.execute(query).one()
    if not count:
        return Finding.passed("schedule.lag", "tracked orders are checked on schedule")
    behind = now - oldest
    return Finding.problem(
        "schedule.lag",
        f"{count} tracked order(s) are overdue, the oldest by {behind.total_seconds() / 3600:.1f} hours",
        cause="updates are slow: cycles do not keep up with the volume (rate limits, concurrency, no daemon)",
        fix="run `orderbridge run` or more workers; raise [tdsynnex] concurrency and requests_per_minute "
        "within TD SYNNEX's limits",
    )
