"""One writer per tenant: the lease every command holds while it writes to a tenant's ConnectWise.

Why: ConnectWise has no transactions and a PO note is not idempotent. The engine avoids writing a note
twice by reading the PO's notes first, which is only sound when nobody else writes between that read
and the POST. Two writers at once (two cron lines, a daemon and a cron, a worker and a manual run) each
read "no note yet" and both wrote it: 316 duplicate notes from two `sync --once`. procrastinate's job
lock does not help there: it only keeps workers apart, not a cron `sync --once` or a `replay`. So
every writer (`sync --once`, `run` per tenant, worker jobs, `replay`, `backfill`, `setup`, the demo)
holds the tenant's lease, `WriterLease.held()`, for as long as it writes:

- Taking: one atomic upsert in the store (store/leases.py), which wins only when the tenant's row is
  free: absent, expired, or held by a process on this same host whose pid is gone (a `sync --once`
  killed by cron's timeout must not make the next run wait out the lease). Otherwise the command waits
  up to `[lease] wait_seconds`, then raises TenantBusy naming the holder; the CLI exits 75.
- Keeping: a heartbeat task renews the expiry every quarter of `duration_seconds`. A renewal that finds
  the row no longer ours (it expired and someone took it) marks the lease lost.
- Fencing: before each ConnectWise write the engine calls `check()`, which reads memory only: the lease
  must not be lost and must have been renewed within half its duration. A writer that was paused past
  that (SIGSTOP, a suspended VM, a store that stopped answering its heartbeat) raises LeaseLost before its
  next write, at a moment when nobody else can have taken the lease for at least another half duration:
  longer than one write takes, and a margin for clock skew between hosts (expiry is judged by the taker's
  clock against the row, since the database is all the machines share).
- Releasing: on any exit (done, failed, cancelled) the row is deleted if it is still ours. A SIGKILL
  skips that; the lease then expires, or is taken over at once from the same host.

The lease reads its own clock (the system's), never the tenant's: simulated time jumps by days in tests
and the demo, and must not expire a lease that real time has not.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta

from orderbridge.config import LeaseSettings
from orderbridge.core.clock import Clock, SystemClock
from orderbridge.core.errors import LeaseLost, TenantBusy
from orderbridge.core.redaction import redact
from orderbridge.store import Store
from orderbridge.store.leases import LeaseRow, release, renew, try_acquire
from orderbridge.sync.tenant import Tenant

POLL_S = 1.0  # how often a waiting command looks at the lease again
_log = logging.getLogger(__name__)


class WriterLease:
    """One writer's claim on one tenant's ConnectWise; also the engine's fence (`check`).

    Reusable: the daemon takes and releases the same object around each cycle. `host` and `pid` are
    this process's unless given (tests name another host to play a holder on another machine)."""

    def __init__(
        self,
        store: Store,
        tenant: str,
        settings: LeaseSettings,
        *,
        role: str,
        clock: Clock | None = None,
        host: str | None = None,
        pid: int | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.store = store
        self.tenant = tenant
        self.role = role
        self.duration = timedelta(seconds=settings.duration_seconds)
        self.wait_s = settings.wait_seconds
        self.clock = clock or SystemClock()
        self.host = host or socket.gethostname()
        self.pid = os.getpid() if pid is None else pid
        self._sleep = sleep
        self.token: str | None = None
        self._fresh_until: datetime | None = None
        self._lost: str | None = None
        self.waited = False  # the last `acquire` found the tenant busy and waited for it

    @property
    def holder(self) -> str:
        return f"{self.role} (pid {self.pid} on {self.host})"[:200]  # the column's width

    @contextlib.asynccontextmanager
    async def held(self) -> AsyncIterator[WriterLease]:
        """Take the lease (or raise TenantBusy), keep it renewed while the block runs, give it back after."""
        await self.acquire()
        beat = asyncio.create_task(self._heartbeat(), name=f"lease-{self.tenant}")
        try:
            yield self
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat
            self.release()

    async def acquire(self) -> None:
        """Take the tenant's lease, waiting up to `wait_seconds` for it; TenantBusy if it stays taken."""
        if self.token is not None:
            raise RuntimeError(f"the writer lease of tenant {self.tenant} is already held by this object")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait_s
        self.waited = False
        while True:
            row = self._try()
            if row.token == self.token:
                return
            left = deadline - loop.time()
            if left <= 0:
                raise TenantBusy(busy_message(self.tenant, row))
            if not self.waited:
                _log.info("%s; waiting up to %.0f s", busy_message(self.tenant, row).partition(";")[0], left)
                self.waited = True
            await self._sleep(min(POLL_S, left))

    def _try(self) -> LeaseRow:
        now = self.clock.now()
        self.token = uuid.uuid4().hex
        self._lost = None
        mine = LeaseRow(self.tenant, self.holder, self.host, self.pid, self.token, now, now + self.duration)
        row = try_acquire(self.store, mine, now=now)
        if row.token != self.token and self._crashed(row):
            _log.warning(
                "tenant %s: taking over the writer lease of %s: it is no longer running", self.tenant, row.holder
            )
            row = try_acquire(self.store, mine, now=now, replacing=row.token)
        if row.token == self.token:
            self._fresh_until = now + self.duration / 2
        else:
            self.token = None
        return row

    def _crashed(self, row: LeaseRow) -> bool:
        """Held by a process on this host that no longer exists. Another host's process cannot be
        checked from here: its lease has to expire."""
        return row.host == self.host and not _running(row.pid)

    def renew(self) -> bool:
        """Push the expiry out (the heartbeat does this); False, and the lease is lost, if it was taken."""
        if self.token is None:
            return False
        now = self.clock.now()
        if renew(self.store, self.tenant, self.token, expires_at=now + self.duration):
            self._fresh_until = now + self.duration / 2
            return True
        self._lost = "its lease expired and another writer took the tenant over"
        return False

    def check(self) -> None:
        """The fence: raise LeaseLost unless this writer surely still holds the lease (memory only)."""
        if self.token is None or self._fresh_until is None:
            raise LeaseLost(f"tenant {self.tenant}: this writer holds no writer lease; nothing more is written")
        if self._lost is not None:
            reason = self._lost
        elif self.clock.now() >= self._fresh_until:
            reason = f"its writer lease was not renewed since {_when(self._fresh_until - self.duration / 2)}"
        else:
            return
        raise LeaseLost(
            f"tenant {self.tenant}: stopped before the next ConnectWise write because {reason}; "
            "the next cycle carries on where this one stopped"
        )

    def release(self) -> None:
        token, self.token, self._fresh_until = self.token, None, None
        if token is None:
            return
        try:
            release(self.store, self.tenant, token)
        except Exception as exc:  # the lease then simply expires; the cycle's own outcome matters more
            _log.warning("tenant %s: writer lease not released (%s); it expires by itself", self.tenant, _brief(exc))

    async def _heartbeat(self) -> None:
        interval = self.duration.total_seconds() / 4
        while self.token is not None:
            await self._sleep(interval)
            try:
                if not self.renew():
                    _log.error("tenant %s: writer lease lost: %s", self.tenant, self._lost)
                    return
            except Exception as exc:  # the store blinked: try again; the fence trips if it lasts
                _log.warning("tenant %s: writer lease not renewed (%s)", self.tenant, _brief(exc))


def tenant_writer(tenant: Tenant, role: str) -> WriterLease:
    """The lease for a command that writes to `tenant`'s ConnectWise (`role` names it to others)."""
    return WriterLease(tenant.store, tenant.name, tenant.settings.lease, role=role)


def busy_message(tenant: str, row: LeaseRow) -> str:
    return f"tenant {tenant} is being synced by {row.holder} since {_when(row.acquired_at)}; try again later"


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _brief(exc: Exception) -> str:
    return redact(f"{type(exc).__name__}: {exc}")[:300]


def _running(pid: int) -> bool:
    if sys.platform == "win32":  # no cheap, safe probe there: wait for expiry instead
        return True
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists, under another user
        return True
    return True
