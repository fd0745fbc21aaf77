"""`orderbridge run`: the single-machine daemon, looping due-only cycles for every tenant.

Each tenant has its own loop (task), clients, limiter buckets and back-off, so one tenant's outage or
bad credentials never delays or touches another (4.6). Between cycles a tenant sleeps until its
earliest due PO or its next discovery, whichever is sooner, waking early for a ConnectWise callback
or for `orderbridge setup`, which makes the POs that failed for a setup reason due at once.
Each cycle's log line names its failures' top causes (sync/causes.py), so the log says why POs fail;
a cycle in which a service answered for none of its POs counts as a failed cycle.
On SIGTERM/SIGINT it stops taking new work: discovery stops yielding POs, the POs already handed to
the engine get `stop_deadline_s` to finish (their results are saved), and anything later is
cancelled. A restart resumes from the store: the cursor, the schedule and the callback inbox.

Each cycle runs under the tenant's writer lease (runners/writer.py), taken before and released after
it, so a `sync --once` from cron or a second daemon can never write at the same moment. A tenant busy
with another writer is not a failure: the loop logs who holds it and tries again after
`failure_backoff_s`, without the doubling.

The change-to-update delay is measured inside a cycle: the engine stamps a PO's activity with the
moment it began syncing that PO (just before asking TD SYNNEX), and writes to ConnectWise right
after; the cycle's end bounds the write from above. So the metric is "observed -> written, at most".
When TD SYNNEX changed before we looked is unknowable from its API (no change timestamps); the
schedule bounds that part (a PO is re-checked within its stage's interval).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from orderbridge.core.clock import Clock
from orderbridge.core.errors import TenantBusy
from orderbridge.core.redaction import redact
from orderbridge.runners.metrics import DaemonMetrics, HealthReport, error_kind
from orderbridge.runners.operator import live_engine
from orderbridge.runners.writer import WriterLease, tenant_writer
from orderbridge.store.cursors import first_write_per_po, next_due_at, stage_counts
from orderbridge.store.inbox import mark_processed, pending_callbacks
from orderbridge.store.parcels import next_poll_at
from orderbridge.store.setup_state import setup_changed_at
from orderbridge.sync.causes import top_causes
from orderbridge.sync.discovery import IncrementalDiscovery
from orderbridge.sync.engine import Engine
from orderbridge.sync.summary import CycleSummary
from orderbridge.sync.tenant import Tenant

CALLBACK_POLL_S = 5.0  # how often a sleeping tenant looks for new callbacks and for a setup run
UNHEALTHY_AFTER_FAILURES = 3
_log = logging.getLogger(__name__)
Sleep = Callable[[float], Awaitable[None]]


class _Stopped(Exception):
    """The cycle was cancelled because the stop deadline passed."""


@dataclass
class TenantHealth:
    cycles: int = 0
    failures: int = 0  # consecutive failed cycles
    last_success: float | None = None  # wall-clock epoch seconds
    last_error: str | None = None
    last_summary: CycleSummary | None = None
    last_failed: bool = False  # the last cycle raised, stopped early or reached no PO (service down)


class Daemon:
    """Drives `tenants` until `stop()` (or `max_cycles` cycles each). `sleep` is for tests: simulated
    time passes through it; without it the daemon waits on real time, interruptibly."""

    def __init__(
        self,
        tenants: Sequence[Tenant],
        *,
        clock: Clock,
        metrics: DaemonMetrics | None = None,
        max_cycles: int | None = None,
        sleep: Sleep | None = None,
        poll_s: float = CALLBACK_POLL_S,
    ) -> None:
        names = [tenant.name for tenant in tenants]
        if len(set(names)) != len(names):
            raise ValueError(f"tenant names must be unique: {names}")
        self.tenants = list(tenants)
        self.clock = clock
        self.metrics = metrics or DaemonMetrics()
        self.max_cycles = max_cycles
        self._sleep = sleep
        self.poll_s = poll_s
        self._setup_seen: dict[str, datetime | None] = {}  # each tenant's setup mark when its cycle began
        self._stop = asyncio.Event()
        self.health_state = {tenant.name: TenantHealth() for tenant in tenants}
        self.discovery: dict[str, IncrementalDiscovery] = {}
        self.engines: dict[str, Engine] = {}
        self.leases: dict[str, WriterLease] = {}
        for tenant in self.tenants:
            discovery = IncrementalDiscovery(
                tenant.settings,
                tenant=tenant.name,
                connectwise=tenant.connectwise,
                store=tenant.store,
                clock=clock,
                stopping=self._stop.is_set,
            )
            self.discovery[tenant.name] = discovery
            lease = self.leases[tenant.name] = tenant_writer(tenant, "orderbridge run")
            self.engines[tenant.name] = live_engine(
                tenant, discover=discovery, fence=lease, duplicates=discovery.duplicates
            )

    def stop(self) -> None:
        """Stop taking new work; safe to call from a signal handler (on the loop's thread)."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            for tenant in self.tenants:
                group.create_task(self._tenant_loop(tenant), name=f"tenant-{tenant.name}")

    def failed_tenants(self) -> dict[str, str]:
        """Tenants whose last cycle failed as a whole, with why: what `orderbridge run --cycles N` exits 1 for."""
        return {
            name: state.last_error or "the cycle failed"
            for name, state in self.health_state.items()
            if state.last_failed
        }

    def health(self) -> HealthReport:
        tenants = {}
        ok = True
        for name, state in self.health_state.items():
            tenants[name] = {
                "cycles": state.cycles,
                "consecutive_failures": state.failures,
                "last_success": state.last_success,
                "last_error": state.last_error,
            }
            ok = ok and state.failures < UNHEALTHY_AFTER_FAILURES
        return HealthReport(ok=ok and not self.stopping, detail={"stopping": self.stopping, "tenants": tenants})

    async def _tenant_loop(self, tenant: Tenant) -> None:
        state = self.health_state[tenant.name]
        daemon = tenant.settings.daemon
        while not self.stopping:
            started = time.monotonic()
            try:
                summary = await self._one_cycle(tenant)
            except _Stopped:
                _log.info("tenant %s: cycle cancelled at the stop deadline", tenant.name)
                return
            except TenantBusy as busy:
                _log.warning("%s", busy.message)
                state.cycles += 1
                if self._enough(state):
                    return
                await self._pause(tenant, daemon.failure_backoff_s)
                continue
            except Exception as exc:  # one tenant's failure must never end the others' loops
                state.failures += 1
                state.last_failed = True
                state.last_error = redact(f"{error_kind(exc)}: {exc}")
                self.metrics.observe_failure(tenant.name, exc, duration_s=time.monotonic() - started)
                self._observe_calls(tenant)
                backoff = min(daemon.failure_backoff_cap_s, daemon.failure_backoff_s * 2 ** (state.failures - 1))
                _log.warning("tenant %s: cycle failed (%s); next try in %.0f s", tenant.name, state.last_error, backoff)
                state.cycles += 1
                if self._enough(state):
                    return
                await self._pause(tenant, backoff)
                continue
            state.last_failed = summary.failed_as_a_whole
            if state.last_failed:
                state.failures += 1
                state.last_error = summary.outage or summary.aborted
            else:
                state.failures = 0
                state.last_error = None
                state.last_success = time.time()
            state.last_summary = summary
            state.cycles += 1
            try:
                self._observe(tenant, summary, time.monotonic() - started)
            except Exception:  # a metrics read failing must not end the tenant's loop, nor the others'
                _log.exception("tenant %s: could not record metrics for the cycle", tenant.name)
            if self._enough(state):
                return
            await self._pause(tenant, self._seconds_to_next(tenant))

    async def _one_cycle(self, tenant: Tenant) -> CycleSummary:
        self._setup_seen[tenant.name] = setup_changed_at(tenant.store, tenant.name)
        pending = pending_callbacks(tenant.store, tenant.name)
        discovery = self.discovery[tenant.name]
        listings = discovery.listings
        engine = self.engines[tenant.name]
        async with self.leases[tenant.name].held():
            cycle = asyncio.create_task(engine.run_cycle(due_only=True, force={p.po_id for p in pending}))
            summary = await self._finish(cycle, tenant.settings.daemon.stop_deadline_s)
        # A listing cut short (stop, or a page that failed) commits nothing, so the next cycle lists that
        # range again, and the callbacks it may not have reached stay pending, so they are forced again.
        listed_all = discovery.commit() is not None if discovery.listings > listings else True
        if pending and listed_all:
            mark_processed(tenant.store, tenant.name, [p.message_id for p in pending], self.clock.now())
        return summary

    async def _finish(self, cycle: asyncio.Task[CycleSummary], deadline_s: float) -> CycleSummary:
        stop = asyncio.create_task(self._stop.wait())
        try:
            await asyncio.wait({cycle, stop}, return_when=asyncio.FIRST_COMPLETED)
            if not cycle.done():
                # Stopping: discovery has stopped feeding the engine; what is in flight may finish.
                try:
                    await asyncio.wait_for(asyncio.shield(cycle), deadline_s)
                except TimeoutError:
                    cycle.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await cycle
                    raise _Stopped from None
            return cycle.result()
        finally:
            stop.cancel()

    def _enough(self, state: TenantHealth) -> bool:
        return self.max_cycles is not None and state.cycles >= self.max_cycles

    def _seconds_to_next(self, tenant: Tenant) -> float:
        daemon = tenant.settings.daemon
        now = self.clock.now()
        wake = now + timedelta(minutes=daemon.discovery_minutes)
        try:
            due = next_due_at(tenant.store, tenant.name, now)
        except Exception:  # the store is unwell: try again at the discovery interval
            _log.exception("tenant %s: could not read the schedule", tenant.name)
            due = None
        if due is not None:
            wake = min(wake, due)
        if tenant.carriers:
            # A parcel poll falling due is a reason to run a cycle too (sync/delivery.py polls first).
            with contextlib.suppress(Exception):
                polled = next_poll_at(tenant.store, tenant.name)
                wake = min(wake, polled) if polled is not None else wake
        return max(daemon.min_sleep_s, (wake - now).total_seconds())

    async def _pause(self, tenant: Tenant, seconds: float) -> None:
        if self.stopping:
            return
        if self._sleep is not None:
            await self._sleep(seconds)
            return
        loop = asyncio.get_running_loop()
        until = loop.time() + seconds
        while not self.stopping and (left := until - loop.time()) > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), min(left, self.poll_s))
            if not self.stopping and self._woken(tenant):
                return  # a callback or setup made POs due: sync them now, not at the next scheduled cycle

    def _woken(self, tenant: Tenant) -> bool:
        """A callback is waiting, or `orderbridge setup` ran since the last cycle began."""
        try:
            if pending_callbacks(tenant.store, tenant.name, limit=1):
                return True
            changed = setup_changed_at(tenant.store, tenant.name)
        except Exception:  # the next cycle will meet the same problem and report it properly
            _log.exception("tenant %s: could not read the callback inbox or the setup mark", tenant.name)
            return False
        seen = self._setup_seen.get(tenant.name)
        if changed is not None and (seen is None or changed > seen):
            _log.info("tenant %s: setup ran; retrying the POs that failed for want of it", tenant.name)
            return True
        return False

    def _observe(self, tenant: Tenant, summary: CycleSummary, duration_s: float) -> None:
        record = tenant.store.last_cycle(tenant.name)
        delays: list[float] = []
        if record is not None and record.id is not None and record.finished_at is not None:
            finished: datetime = record.finished_at
            delays = [
                (finished - began).total_seconds() for began in first_write_per_po(tenant.store, tenant.name, record.id)
            ]
        self.metrics.observe_cycle(
            tenant.name, summary, duration_s=duration_s, delays_s=delays, finished_at=time.time()
        )
        self.metrics.set_stages(tenant.name, stage_counts(tenant.store, tenant.name))
        self._observe_calls(tenant)
        line = (
            f"tenant {tenant.name}: seen {summary.seen}, checked {summary.checked}, changed {summary.changed}, "
            f"failed {summary.failed}, not due {summary.not_due}, writes {summary.writes} "
            f"(discovery {self.discovery[tenant.name].report.mode})"
        )
        # Why POs failed belongs in the log line itself: "12 failed: ConnectWise has no PO status ...".
        why = summary.outage or top_causes(summary.failure_groups())
        notes = [text for text in (why, *summary.warnings, summary.aborted) if text]
        _log.log(logging.WARNING if notes else logging.INFO, "%s", "; ".join([line, *notes]))

    def _observe_calls(self, tenant: Tenant) -> None:
        self.metrics.observe_calls(tenant.name, "connectwise", tenant.connectwise.stats)
        self.metrics.observe_calls(tenant.name, "tdsynnex", tenant.tdsynnex.stats)
        for name, provider in tenant.carriers.items():  # "easypost", "ups", "fedex"
            self.metrics.observe_calls(tenant.name, name, provider.stats)
