"""`doctor PO`: the pure half. Given what was gathered about one PO, explain it and name the cause.

The troubleshooting guide's reasons a PO stops updating each have one rule here: not marked, missing
or wrong order number, connectivity, not found at TD SYNNEX, stale data at TD SYNNEX, similar PO
numbers (a hint when the PO is not found), shipped without a tracking number yet, and the sync running
behind at high volume. The rules read only `Evidence`, so every one is tested directly (`tests/troubleshoot/`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from orderbridge.config import Settings
from orderbridge.core.display import value_text
from orderbridge.core.domain import DistributorOrder, PurchaseOrder, Stage, StatusCode
from orderbridge.store import ActivityEntry, EventRecord, TrackedOrder
from orderbridge.sync.observe import SALES_ORDER
from orderbridge.troubleshoot.findings import Finding

SHIPPED = frozenset({StatusCode.SHIPPED, StatusCode.INVOICED})
# Words that mark a failure as the network's or the server's rather than this PO's data.
TRANSIENT_WORDS = ("will retry", "failed after", "not safe to repeat", "timeout", "timed out")
# How long an unchanged answer may stand before it is called stale, for stages without a stuck_days entry.
DEFAULT_STALE = timedelta(days=3)
# A check overdue by more than this (and twice the stage's interval) means the sync is behind.
BEHIND_FLOOR = timedelta(minutes=30)


@dataclass(frozen=True)
class Evidence:
    """Everything known about one PO: the live ConnectWise record, the store's rows, the last answer."""

    po_number: str
    tenant: str
    now: datetime
    settings: Settings
    live: PurchaseOrder | None = None
    live_error: str | None = None  # ConnectWise could not be asked (the live half is then unknown)
    tracked: TrackedOrder | None = None
    order: DistributorOrder | None = None  # the latest stored TD SYNNEX answer
    answered_at: datetime | None = None  # when it was last fetched
    answer_since: datetime | None = None  # when TD SYNNEX first gave exactly this answer
    activity: Sequence[ActivityEntry] = ()  # newest first
    events: Sequence[EventRecord] = ()
    near: Sequence[str] = field(default_factory=tuple)
    # ConnectWise's names of the records a write referred to, by field ("status", "shipmentMethod") and
    # id: history written before names were stored beside ids says only `{"id": 7}`.
    names: Mapping[str, Mapping[int, str]] = field(default_factory=dict)


def _when(e: Evidence, at: datetime | None) -> str:
    """A time in the `[display] timezone`, labelled with it."""
    return e.settings.display.zone.stamp(at)


def _age(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.1f} hours"


def explain(e: Evidence) -> list[Finding]:
    """The PO's story as findings, facts first, then every cause that applies."""
    out: list[Finding] = []
    out += _identity(e)
    out += _answer(e)
    out += _history(e)
    out += _schedule(e)
    return out


def _identity(e: Evidence) -> list[Finding]:
    out: list[Finding] = []
    caption = e.settings.connectwise.tracking_field
    # Similar numbers are a hint for a PO that cannot be found, never a problem of one that can: the
    # demo book's PO-1001..PO-1047 are all "similar", and every healthy one failed on it.
    if e.live is None and e.tracked is None:
        where = f" ({e.live_error})" if e.live_error else ""
        named = ", ".join(repr(n) for n in e.near)
        hint = (
            f"did you mean {named if len(e.near) == 1 else 'one of ' + named}? "
            if e.near
            else "check the number and that the PO exists in ConnectWise; "
        )
        out.append(
            Finding.problem(
                "po.unknown",
                f"no PO {e.po_number!r} in ConnectWise or in orderbridge's records{where}",
                cause="the number does not match any purchase order orderbridge can see",
                fix=hint + "the lookup needs an exact match: compare the number character by character with "
                "the PO in ConnectWise and the TD SYNNEX order confirmation",
                detail=f"similar PO numbers are tracked: {', '.join(e.near)}" if e.near else "",
            )
        )
        return out
    if e.live is not None:
        marked = e.live.custom_field(caption)
        if marked is None or marked.value is not True:
            out.append(
                Finding.problem(
                    "po.not_marked",
                    f"the {caption!r} checkbox is not ticked on this PO",
                    cause=f"orderbridge only tracks POs with {caption!r} set, so this one is never checked",
                    fix=f"tick {caption!r} on the PO in ConnectWise; the next cycle picks it up",
                )
            )
        else:
            out.append(Finding.fact("po.marked", f"marked: {caption!r} is ticked"))
        if e.live.closed_flag:
            out.append(Finding.fact("po.closed", "the PO is closed in ConnectWise; closed POs are no longer listed"))
        if not (e.live.po_number or "").strip():
            out.append(
                Finding.problem(
                    "po.no_number",
                    "the PO has no PO number",
                    cause="TD SYNNEX status is looked up by PO number, and this PO has none",
                    fix="enter the PO number that was sent to TD SYNNEX (or the TD SYNNEX sales-order number "
                    "in Vendor Order Number, with the Partner API enabled)",
                )
            )
    sales_orders = SALES_ORDER.findall((e.live.vendor_order_number if e.live else None) or "")
    key = f"looked up by PO number {e.po_number!r}"
    if sales_orders and e.order is not None and e.order.code is StatusCode.NOT_FOUND:
        key += f", then by sales-order number(s) {', '.join(sales_orders)} (Partner API)"
    out.append(Finding.fact("po.key", key))
    return out


def _answer(e: Evidence) -> list[Finding]:
    order = e.order
    if order is None:
        return [Finding.fact("po.answer", "no TD SYNNEX answer is stored for this PO yet")]
    lines = ", ".join(f"{line.line_number}:{line.raw_code}" for line in order.lines) or "no lines"
    out = [
        Finding.fact(
            "po.answer",
            f"TD SYNNEX last answered {order.raw_code!r} at {_when(e, e.answered_at)} [{lines}]",
            detail=f"the same answer since {_when(e, e.answer_since)}",
        )
    ]
    customer = e.settings.tdsynnex.customer_number
    if order.code is StatusCode.NOT_FOUND:
        sales_orders = SALES_ORDER.findall((e.live.vendor_order_number if e.live else None) or "")
        if sales_orders:
            out.append(
                Finding.problem(
                    "po.wrong_order_number",
                    f"TD SYNNEX knows neither PO {e.po_number!r} nor sales order(s) {', '.join(sales_orders)}",
                    cause="the TD SYNNEX sales-order number in Vendor Order Number is wrong or not yet issued",
                    fix="copy the sales-order number from the TD SYNNEX order confirmation into Vendor Order Number",
                )
            )
        else:
            out.append(
                Finding.problem(
                    "po.not_found",
                    f"TD SYNNEX does not know PO {e.po_number!r} for customer {customer} "
                    f"(answering notFound since {_when(e, e.answer_since)})",
                    cause="the order was placed under another PO number or customer number, or not placed yet",
                    fix="check the PO number against the TD SYNNEX order confirmation (exact, including any "
                    "prefix) and the customer number; for an order placed by phone, enter its TD SYNNEX "
                    "sales-order number in Vendor Order Number",
                )
            )
        return out
    shipped = [line for line in order.live_lines if line.code in SHIPPED]
    if shipped and not any(line.tracking_numbers for line in shipped):
        out.append(
            Finding.problem(
                "po.no_tracking",
                "shipped, tracking number not yet published by TD SYNNEX",
                cause="TD SYNNEX marks a line shipped before the carrier's tracking number reaches its system",
                fix="nothing to do yet: the next check after TD SYNNEX publishes it writes the tracking "
                "number; if none appears within a business day, ask TD SYNNEX for it",
            )
        )
    stage = e.tracked.stage if e.tracked else None
    if e.answer_since is not None and (stage is None or stage < Stage.INVOICED):
        days = e.settings.alerts.stuck_days.get(stage.name.lower() if stage else "", None)
        limit = timedelta(days=days) if days is not None else DEFAULT_STALE
        unchanged = e.now - e.answer_since
        if unchanged > limit:
            out.append(
                Finding.problem(
                    "po.stale",
                    f"TD SYNNEX's answer has not changed for {_age(unchanged)} (since {_when(e, e.answer_since)})",
                    cause="TD SYNNEX's data is delayed or stale for this order, so there is nothing new to write",
                    fix="compare with the order in the TD SYNNEX portal; if the portal shows more, the XML "
                    "service lags: ask TD SYNNEX support, quoting `orderbridge doctor PO --raw`",
                )
            )
    return out


def _history(e: Evidence) -> list[Finding]:
    out: list[Finding] = []
    tracked = e.tracked
    if tracked is not None:
        stage = tracked.stage.label if tracked.stage else "none yet"
        out.append(Finding.fact("po.stage", f"stage {stage}; last checked {_when(e, tracked.last_checked_at)}"))
        if tracked.person_status:
            out.append(
                Finding.fact("po.rule", "a person set a non-TDS status: orderbridge no longer writes this PO's status")
            )
        if tracked.consecutive_failures and tracked.last_error:
            error = tracked.last_error
            if any(word in error.lower() for word in TRANSIENT_WORDS):
                out.append(
                    Finding.problem(
                        "po.connectivity",
                        f"the last {tracked.consecutive_failures} check(s) failed: {error}",
                        cause="a connectivity problem between orderbridge and TD SYNNEX or ConnectWise",
                        fix="run `orderbridge doctor` without a PO to find the failing step (DNS, TLS, "
                        "credentials); the PO is retried with back-off and recovers by itself",
                    )
                )
            elif e.order is None or e.order.code is not StatusCode.NOT_FOUND:  # notFound has its own finding
                out.append(
                    Finding.problem(
                        "po.error",
                        f"the last {tracked.consecutive_failures} check(s) failed: {error}",
                        cause="this PO's data was refused or could not be read",
                        fix="follow the error text; `orderbridge show PO` has the full history",
                    )
                )
    writes = [entry for entry in e.activity if entry.action == "write"][:10]
    for entry in writes:
        names = e.names.get((entry.field or "").rsplit("/", 1)[-1])  # "line 12/shipmentMethod" too
        old, new = value_text(entry.old_value, names), value_text(entry.new_value, names)
        out.append(
            Finding.fact(
                "po.write",
                f"{_when(e, entry.at)} wrote {entry.field}: {old or '(empty)'} -> {new or '(empty)'}",
                detail=f"rule: {entry.reason}",
            )
        )
    if not writes and tracked is not None:
        out.append(Finding.fact("po.write", "nothing written to ConnectWise for this PO yet"))
    for event in list(e.events)[-3:]:
        out.append(Finding.fact("po.event", f"{_when(e, event.occurred_at)} {event.summary}"))
    return out


def _schedule(e: Evidence) -> list[Finding]:
    tracked = e.tracked
    if tracked is None or tracked.next_check_at is None:
        return []
    due = tracked.next_check_at
    if due > e.now + timedelta(days=3650):
        return [Finding.fact("po.next", "no further checks: closed past the grace period")]
    late = e.now - due
    stage_minutes = _interval_minutes(e.settings, tracked.stage)
    if late > max(BEHIND_FLOOR, timedelta(minutes=2 * stage_minutes)):
        return [
            Finding.problem(
                "po.behind_schedule",
                f"its check was due at {_when(e, due)}, {_age(late)} ago",
                cause="updates are slow: the sync runs behind schedule (high volume, rate limits or no daemon)",
                fix="run `orderbridge run` (or more workers) so cycles keep up; raise [tdsynnex] concurrency "
                "and requests_per_minute within TD SYNNEX's limits; `orderbridge doctor` shows the lag",
            )
        ]
    return [Finding.fact("po.next", f"next check due {_when(e, due)}")]


def _interval_minutes(settings: Settings, stage: Stage | None) -> float:
    schedule = settings.schedule
    if stage is None:
        return schedule.new_minutes
    return float(getattr(schedule, f"{stage.name.lower()}_minutes", schedule.new_minutes))
