"""The quiet check: a PO whose inputs are exactly those of a check that left it in step is not re-planned.

Planning is a pure function of the TD SYNNEX answer, the ConnectWise PO, the invoices on record, the
tenant's planning config, ConnectWise's status and shipment-method lists, what we recorded before, and
the clock. After a successful check the PO holds the plan's target, so planning the same inputs again
finds nothing to do (the "second cycle writes nothing" property the tests assert). Most POs of a
steady-state cycle are in that position: TD SYNNEX says what it said 15 minutes ago. Parsing that answer,
planning it, building its facts and logging it again cost most of a cycle's CPU for nothing
(docs/performance.md), so the engine compares a key instead.

The key digests the inputs that can change without ConnectWise's `lastUpdated` moving: the raw answer
(minus the timestamp TD SYNNEX stamps on every reply), the cycle's signature (config, status and
shipment-method lists, the code's rule version), the invoices on record and what the carriers said
about the PO's parcels (sync/delivery.py). A person's edit moves
`lastUpdated` past our last check, which the observer already tests. The clock is the one input a key
cannot cover, so where time alone changes the plan the key carries an expiry: an INVOICED, fully
shipped PO becomes CLOSED `close_after_days` after its last shipment, so it is quiet until then. No key
at all while an invoice is still awaited (the observer asks the invoice service again on an unchanged
answer), after failures, plan problems or notes that failed to post, or for Partner API answers
(another service's answer, not in the digest).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from orderbridge import __version__
from orderbridge.config import Settings
from orderbridge.core.domain import DistributorOrder, Invoice, Plan, PurchaseOrder, Stage
from orderbridge.rules.closing import fully_shipped
from orderbridge.rules.shipping import latest_ship_time
from orderbridge.rules.situation import PlanContext
from orderbridge.store import TrackedOrder

# Bump when a planner rule changes what it decides from the same inputs, so every PO is planned again
# once after an upgrade even when the package version does not move (a development checkout).
RULES_VERSION = "3"  # 3: delivery planning from carrier tracking (rules/delivery.py)
PO_STATUS = "PO Status"


@dataclass(frozen=True)
class Settled:
    """A check that left the PO in step; `until` is when the clock alone may change its plan."""

    until: datetime | None = None


@dataclass(frozen=True)
class Quiet:
    """A check whose answer and PO are those of the last check that left the PO in step."""

    po: PurchaseOrder
    raw: bytes  # the PO Status body, for the payload store (it moves that answer's `fetched_at`)
    answer_digest: str  # `store.payloads.digest_of(raw)`
    key: str


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:40]


def cycle_signature(settings: Settings, ctx: PlanContext) -> str:
    """Everything a cycle plans with besides the PO itself; computed once per cycle."""
    statuses = sorted((s.id, s.name, s.closed_flag, s.inactive_flag) for s in ctx.statuses.values())
    methods = sorted((m.id, m.name, m.tracking_url or "") for m in ctx.shipment_methods)
    return _digest(
        __version__,
        RULES_VERSION,
        settings.statuses.model_dump_json(),
        settings.sync.model_dump_json(),
        settings.tdsynnex.timezone,  # the parser reads TD SYNNEX's local times with it
        str(settings.tdsynnex.invoice_url or ""),  # turning invoices on must reach settled POs too
        # Carrier tracking: switching it on, a route or the delivered field must reach settled POs too.
        settings.carriers.model_dump_json(exclude={"easypost", "ups", "fedex"}),
        settings.display.timezone,  # delivery notes show times in it when [carriers] timezone is empty
        repr(ctx.release_on_fees),
        repr(statuses),
        repr(methods),
    )


def quiet_key(answer_digest: str, signature: str, invoices: Sequence[Invoice], parcels: str = "") -> str:
    """The key of one PO's inputs. Invoices count by number and sales order, in a canonical order:
    the store and a fresh fetch list them differently and a fetched one carries fields the store does
    not keep, but the store only ever gains invoices, so a new number is the change that matters.
    `parcels` is `rules.parcel_schedule.parcels_digest` of the PO's parcels: a carrier's news (delivered,
    a new estimate, an exception) changes the plan while TD SYNNEX's answer stays the same."""
    known = sorted(f"{invoice.invoice_number}\x1e{invoice.order_number or ''}" for invoice in invoices)
    return _digest(answer_digest, signature, *known, *((f"parcels:{parcels}",) if parcels else ()))


def edited_since_check(po: PurchaseOrder, tracked: TrackedOrder | None) -> bool:
    """Someone changed the PO in ConnectWise after our last check (our own PATCHes are counted in
    `last_checked_at`, see ledger.success_record)."""
    return (
        tracked is not None
        and po.last_updated is not None
        and (tracked.last_checked_at is None or po.last_updated > tracked.last_checked_at)
    )


def is_quiet(po: PurchaseOrder, tracked: TrackedOrder | None, key: str, now: datetime) -> bool:
    return (
        tracked is not None
        and tracked.quiet_key == key
        and (tracked.quiet_until is None or now < tracked.quiet_until)
        and tracked.consecutive_failures == 0
        and not edited_since_check(po, tracked)
    )


def settled(
    plan: Plan,
    order: DistributorOrder,
    *,
    source: str,
    invoices_pending: bool,
    note_errors: int,
    close_after_days: int,
) -> Settled | None:
    """Whether the state after this successful check may be taken as settled until an input changes
    (None: plan it again next time), and until when the clock leaves its plan alone."""
    if source != PO_STATUS or plan.problems or plan.stage is None or invoices_pending or note_errors:
        return None
    if plan.stage is not Stage.INVOICED or not fully_shipped(order):
        return Settled()
    # closing.close_verdict: INVOICED and fully shipped closes `close_after_days` after the last shipment.
    last = latest_ship_time(order.live_lines)
    if last is None:
        return Settled()
    aware = last if last.tzinfo else last.replace(tzinfo=UTC)  # naive is UTC, as in the planner
    return Settled(until=aware + timedelta(days=close_after_days))
