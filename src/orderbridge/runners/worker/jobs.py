"""What each procrastinate job does, as plain async functions of a `WorkerRuntime`.

Kept apart from `app.py` (which only declares tasks, locks and schedules) so the same bodies can be
read, and called, without a queue. The sync code is the engine's, unchanged: a job opens the tenant,
runs one due-only cycle that also forces the POs callbacks asked about, then closes those callbacks.

procrastinate's job lock keeps two workers off one tenant, but not a cron `sync --once` or a `replay`:
so the cycle also runs under the tenant's writer lease (runners/writer.py). A job that finds the tenant
busy ends without a cycle (the tenant stays due, so the next tick queues it again).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from orderbridge.config import Settings
from orderbridge.config.directory import TenantDirectory
from orderbridge.core.clock import Clock, SystemClock
from orderbridge.core.errors import OrderbridgeError, TenantBusy
from orderbridge.core.redaction import redact
from orderbridge.runners.operator import live_engine
from orderbridge.runners.writer import tenant_writer
from orderbridge.store import ActivityEntry, Store
from orderbridge.store.inbox import mark_processed, pending_callbacks
from orderbridge.sync.summary import CycleSummary
from orderbridge.sync.tenant import Transports, open_tenant

ACTOR = "orderbridge-worker"
_log = logging.getLogger(__name__)


def _no_transports(_tenant: str) -> Transports | None:
    return None


@dataclass
class WorkerRuntime:
    """Everything a worker process shares between its jobs. Tests swap the transports and clock."""

    settings: Settings
    tenants: TenantDirectory
    store: Store
    clock: Clock = field(default_factory=SystemClock)
    transports: Callable[[str], Transports | None] = _no_transports
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    on_cycle: Callable[[str, CycleSummary], None] | None = None


async def sync_tenant_once(runtime: WorkerRuntime, tenant: str) -> CycleSummary | None:
    """One cycle for `tenant`; None when it is no longer configured or another process is writing to it
    (its queued job just ends)."""
    settings = runtime.tenants.settings_for(tenant)
    if settings is None:
        _log.warning("job for tenant %s skipped: not in the configuration any more", tenant)
        return None
    store = runtime.store
    pending = pending_callbacks(store, tenant)
    started = runtime.clock.now()
    try:
        async with (
            open_tenant(
                settings,
                store=store,
                transports=runtime.transports(tenant),
                clock=runtime.clock,
                sleep=runtime.sleep,
                name=tenant,
            ) as opened,
            tenant_writer(opened, "orderbridge worker").held() as lease,
        ):
            engine = live_engine(opened, fence=lease)
            summary = await engine.run_cycle(due_only=True, force={p.po_id for p in pending})
    except TenantBusy as busy:
        _log.info("job for tenant %s skipped: %s", tenant, busy.message)
        return None
    except Exception as exc:
        _record_failure(store, tenant, started, runtime.clock.now(), exc)
        raise
    # Only the callbacks read before the cycle: ones that arrived during it get the next job.
    mark_processed(store, tenant, [p.message_id for p in pending], runtime.clock.now())
    if runtime.on_cycle is not None:
        runtime.on_cycle(tenant, summary)
    _log.info("tenant %s synced: %s", tenant, summary.counts())
    return summary


def _record_failure(store: Store, tenant: str, started: datetime, now: datetime, exc: Exception) -> None:
    """Make a cycle that failed before the engine recorded it visible: a `failed` cycle row (so the
    tenant is not re-queued every minute, see `due.py`) and the reason in the activity log."""
    last = store.last_cycle(tenant)
    message = exc.message if isinstance(exc, OrderbridgeError) else redact(f"{type(exc).__name__}: {exc}")
    if last is None or last.started_at < started:
        cycle_id = store.start_cycle(tenant, started, dry_run=False)
        store.finish_cycle(cycle_id, now, {}, "failed")
    store.append_activity(
        [
            ActivityEntry(
                at=now,
                tenant=tenant,
                cycle_id=None,
                po_id=None,
                po_number=None,
                actor=ACTOR,
                action="error",
                field=None,
                old_value=None,
                new_value=None,
                reason=f"tenant job failed: {message}"[:2000],
            )
        ]
    )
