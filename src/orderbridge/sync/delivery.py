"""Carrier tracking inside a tenant's cycle: poll the packages that are due, register new ones, and tell
the engine which POs the carriers' news concerns.

The engine calls it in five places: `poll` before listing POs (a PO whose parcels changed in a way the
planner reads is made due and forced into this cycle, even when its TD SYNNEX answer is quiet), `load`
with each page of POs, `register` when it plans a PO (packages seen for the first time get their route,
carriers/routing.py, are asked about at once and planned with), `flush` with its batch writes, and
`warnings` at the end of the cycle. The schedule and
what an answer changes are pure (rules/parcel_schedule.py); registration too (rules/cartons.py).

One provider refusing our credentials (or down) never stops the cycle: its packages keep their state,
the cycle reports the cause once (`PollReport.warnings`, the daemon logs them), and TD SYNNEX checks go on.
A dry run polls nothing: EasyPost bills tracker creation, and a dry run writes nowhere. Neither do
replay and backfill (`asks=False`): they re-plan old answers, so they plan with the parcels on record
and register new packages due at once, for the next live cycle to ask about.

First polls are batched across POs: the engine plans many POs at once, and a provider that takes
several numbers a request (FedEx, 30) would otherwise get one request per PO. `register` hands its new
packages to `_FirstPolls`, which sends a provider's batch when it is full or `FIRST_POLL_WAIT_S` after
its first package arrived, whichever comes first; the POs waiting on it are planned when it answers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from orderbridge.carriers import CarrierProvider, CarrierRoutes, TrackResult
from orderbridge.config import Settings
from orderbridge.core.delivery import ParcelQuery, TrackedParcel
from orderbridge.core.domain import DistributorOrder, PurchaseOrder
from orderbridge.core.errors import AuthError, OrderbridgeError
from orderbridge.core.redaction import redact
from orderbridge.rules.cartons import registrations
from orderbridge.rules.parcel_schedule import apply_answer, parcels_digest, schedule
from orderbridge.store import Store
from orderbridge.store.parcels import due_parcels, load_parcels, register_parcels, reroute_parcel, save_polled

_log = logging.getLogger(__name__)
NAMES = {"easypost": "EasyPost", "ups": "UPS", "fedex": "FedEx"}
# How long a provider's first-poll batch waits for more packages before it is sent. Short next to a TD
# SYNNEX answer (~0.2 s), which is what spreads the POs that ship apart; a full batch goes at once.
FIRST_POLL_WAIT_S = 0.25


def delivery_zone(settings: Settings) -> tzinfo:
    """The zone of delivery times in PO notes: `[carriers] timezone`, else `[display] timezone`, else UTC
    (never the machine's own: a note is read by everyone who opens the PO, wherever orderbridge runs)."""
    return ZoneInfo(settings.carriers.timezone or settings.display.timezone or "UTC")


@dataclass
class PollReport:
    """What one polling pass did: the POs to plan now, the causes to report, the provider answers used."""

    forced: set[int] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    polled: int = 0  # parcels a provider answered about (or was asked about, when it failed)
    changed: int = 0  # parcels whose planning view changed
    refused: set[str] = field(default_factory=set)  # providers that refused our credentials this cycle


class DeliveryTracking:
    """One tenant's carrier tracking: its providers, routes and the parcels registered in a cycle."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        tenant: str,
        providers: dict[str, CarrierProvider],
        *,
        asks: bool = True,
    ) -> None:
        self.settings = settings.carriers
        # False (replay, backfill): no provider is asked anything; parcels are loaded and registered only.
        self.asks = asks
        self.store = store
        self.tenant = tenant
        self.providers = providers
        self.routes = CarrierRoutes(settings.carriers)
        # No provider (tracking off): every method is a no-op, so the engine calls them unconditionally.
        self.enabled = bool(providers)
        self._new: list[TrackedParcel] = []
        self._moved: list[TrackedParcel] = []
        self.last_poll = PollReport()
        self._first = _FirstPolls(self)

    # --- polling ------------------------------------------------------------------------------------------

    async def poll(self, now: datetime) -> PollReport:
        """Ask the providers about every due parcel, save the answers, and make due the POs whose parcels
        changed in a way the planner reads. Starts the cycle's report (`warnings`)."""
        report = self.last_poll = PollReport()
        if not self.enabled or not self.asks:
            return report
        due = due_parcels(self.store, self.tenant, now)
        updated = await self._poll(due, now, report)
        before = {(p.po_id, p.tracking_number): p for p in due}
        for parcel in updated:
            old = before[(parcel.po_id, parcel.tracking_number)]
            if parcels_digest([old]) != parcels_digest([parcel]):
                report.changed += 1
                report.forced.add(parcel.po_id)
        save_polled(self.store, updated, wake=report.forced, now=now)
        return report

    def warnings(self) -> list[str]:
        """The cycle's causes to report (each provider's refusal once), logged as they are taken."""
        taken, self.last_poll.warnings = self.last_poll.warnings, []
        for warning in taken:
            _log.warning("tenant %s: %s", self.tenant, warning)
        return taken

    async def _poll(self, parcels: Sequence[TrackedParcel], now: datetime, report: PollReport) -> list[TrackedParcel]:
        groups: dict[str, list[TrackedParcel]] = {}
        for parcel in parcels:
            groups.setdefault(parcel.provider or "", []).append(parcel)
        outcomes = await asyncio.gather(*(self._poll_group(name, group, now, report) for name, group in groups.items()))
        return [parcel for group in outcomes for parcel in group]

    async def _poll_group(
        self, name: str, group: Sequence[TrackedParcel], now: datetime, report: PollReport
    ) -> list[TrackedParcel]:
        provider = self.providers.get(name)
        if provider is None or name in report.refused:
            # Routed to a provider that is not configured any more: no call; the schedule alone may stop it.
            return [schedule(parcel, now, self.settings) for parcel in group]
        queries = {p.tracking_number: ParcelQuery(p.tracking_number, p.carrier or "", p.provider_ref) for p in group}
        try:
            answers: dict[str, TrackResult] = await provider.track(list(queries.values()))
        except AuthError as exc:
            report.refused.add(name)  # asked once per cycle: the packages registered later wait too
            report.warnings.append(
                f"{NAMES.get(name, name)} refused the credentials in [carriers.{name}] ({redact(exc.message)}); "
                f"{len(group)} packages it follows were not polled this cycle"
            )
            return [schedule(parcel, now, self.settings) for parcel in group]
        except OrderbridgeError as exc:
            report.warnings.append(
                f"{NAMES.get(name, name)} did not answer ({redact(exc.message)}); "
                f"{len(group)} packages it follows are asked again at their next poll"
            )
            return [schedule(parcel, now, self.settings) for parcel in group]
        report.polled += len(group)
        missing = f"{NAMES.get(name, name)} gave no answer for this number"
        return [apply_answer(p, answers.get(p.tracking_number, missing), now, self.settings) for p in group]

    # --- registration -------------------------------------------------------------------------------------

    def load(self, po_ids: Iterable[int]) -> dict[int, tuple[TrackedParcel, ...]]:
        return load_parcels(self.store, self.tenant, po_ids) if self.enabled else {}

    async def register(
        self,
        po: PurchaseOrder,
        order: DistributorOrder,
        known: Sequence[TrackedParcel],
        now: datetime,
        *,
        dry_run: bool = False,
    ) -> tuple[TrackedParcel, ...]:
        """The PO's parcels to plan with: those on record plus the packages this answer ships for the first
        time, asked about at once, so the plan that registers them already has the carrier's word (and
        the next cycle has nothing new to plan). Kept for `flush`, except in a dry run, which asks nobody."""
        if not self.enabled:
            return tuple(known)
        new, moved = registrations(self.tenant, po.id, order, known, self.routes, now)
        if not dry_run:
            new = await self._first.ask(new, now) if new and self.asks else new
            self._new.extend(new)
            self._moved.extend(moved)
        merged = {parcel.tracking_number: parcel for parcel in known}
        merged.update({parcel.tracking_number: parcel for parcel in (*moved, *new)})
        return tuple(merged.values())

    def flush(self) -> None:
        """Save what `register` found; called by the engine before it saves the checks that used them."""
        new, self._new = self._new, []
        moved, self._moved = self._moved, []
        register_parcels(self.store, new)
        for parcel in moved:
            reroute_parcel(self.store, parcel)


class _FirstPolls:
    """New packages of many POs asked about together: one pending batch per provider, sent when full (the
    provider's `batch_size`) or `FIRST_POLL_WAIT_S` after it began. A provider taking one number a request
    gains nothing by waiting, so its packages are asked at once."""

    def __init__(self, tracking: DeliveryTracking) -> None:
        self.tracking = tracking
        self.wait_s = FIRST_POLL_WAIT_S
        self._pending: dict[str, list[tuple[TrackedParcel, asyncio.Future[TrackedParcel]]]] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._now: dict[str, datetime] = {}

    async def ask(self, parcels: Sequence[TrackedParcel], now: datetime) -> list[TrackedParcel]:
        tracking = self.tracking
        direct: list[TrackedParcel] = []
        waits: list[asyncio.Future[TrackedParcel]] = []
        loop = asyncio.get_running_loop()
        for parcel in parcels:
            provider = tracking.providers.get(parcel.provider or "")
            if provider is None or provider.batch_size <= 1:
                direct.append(parcel)
                continue
            name = provider.name
            future: asyncio.Future[TrackedParcel] = loop.create_future()
            pending = self._pending.setdefault(name, [])
            pending.append((parcel, future))
            self._now[name] = max(self._now.get(name, now), now)
            waits.append(future)
            if len(pending) >= provider.batch_size:
                self._send(name)
            elif name not in self._timers:
                self._timers[name] = loop.call_later(self.wait_s, self._send, name)
        answered = await tracking._poll(direct, now, tracking.last_poll) if direct else []
        return [*answered, *(await asyncio.gather(*waits))]

    def _send(self, name: str) -> None:
        timer = self._timers.pop(name, None)
        if timer is not None:
            timer.cancel()
        batch = self._pending.pop(name, [])
        now = self._now.pop(name)
        if batch:
            task = asyncio.ensure_future(self._answer(name, batch, now))
            task.add_done_callback(_quiet_done)

    async def _answer(
        self, name: str, batch: list[tuple[TrackedParcel, asyncio.Future[TrackedParcel]]], now: datetime
    ) -> None:
        tracking = self.tracking
        try:
            answered = await tracking._poll_group(name, [parcel for parcel, _ in batch], now, tracking.last_poll)
        except BaseException as exc:  # every waiting PO hears of it, none hangs
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            raise
        for (_, future), parcel in zip(batch, answered, strict=True):
            if not future.done():
                future.set_result(parcel)


def _quiet_done(task: asyncio.Future[None]) -> None:
    if not task.cancelled():
        task.exception()  # the waiting POs were given it; retrieved here so asyncio does not log it again
