"""Stage derivation: the ONE place that turns TD SYNNEX status codes into a Stage (DESIGN.md §2).

Kept apart from the planner so the rule can be read, tested and changed without touching field
mapping, and so nothing else in the code base ever decides a stage on its own.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from orderbridge.core.domain import DistributorLine, DistributorOrder, Stage, StatusCode
from orderbridge.rules.quotes import counted_lines

# VAR Connect treats SHIPPED and INVOICED alike as "shipped" (td-synnex.md §1.4 [S9]): an invoiced line
# has left the warehouse, so it counts towards the shipped total.
SHIPPED_CODES = frozenset({StatusCode.SHIPPED, StatusCode.INVOICED})
# The only codes documented on an `<Item>` (td-synnex.md §1.4); `rejected`/`notFound` are order-level only,
# so on a line they are as unexplained as an unknown word and are reported the same way.
LINE_CODES = frozenset({StatusCode.ACCEPTED, StatusCode.SHIPPED, StatusCode.INVOICED, StatusCode.DELETED})
INVOICED_BY_SERVICE = "every live sales order has an invoice"


@dataclass(frozen=True)
class StageVerdict:
    """What the distributor's codes say, with the rule that decided it (for the activity log)."""

    stage: Stage | None
    problem: str | None
    shipped_lines: int
    live_lines: int
    rule: str
    back_ordered_lines: int = 0


def derive_stage(
    order: DistributorOrder, *, release_on_fees: bool = True, invoiced_orders: Collection[str] = frozenset()
) -> StageVerdict:
    """Derive the PO's stage from the XML PO Status answer and the sales orders the invoice service billed.

    INVOICED is the highest stage derived here; CLOSED needs time and delivery, so `closing.py` decides it
    on top of this verdict.
    """
    po = order.po_number
    # td-synnex.md §1.4 [S1 ex.8]: notFound is "not found for that account", which does not prove a
    # cancellation [S23]; the usual cause is a PO number typed differently in the two systems.
    if order.code is StatusCode.NOT_FOUND:
        customer = order.customer_number or "(none)"
        return _none(
            f"TD SYNNEX has no order for PO {po} under customer {customer} ({order.raw_code}). "
            "Check the PO number in ConnectWise matches the one sent to TD SYNNEX.",
            "order notFound",
        )
    # td-synnex.md §1.4 [S1 ex.9]: rejected happens at submission time and comes with empty <Items/>.
    if order.code is StatusCode.REJECTED:
        return _none(f"TD SYNNEX rejected PO {po}: {order.reason or 'no reason given'}", "order rejected")
    if not order.lines:
        return _none(
            f"TD SYNNEX returned no lines for PO {po} (order status '{order.raw_code}'); "
            "there is nothing to derive a stage from.",
            "no lines",
        )
    # DESIGN.md §2 / td-synnex.md §5 "Cancelled": a sales rep or the customer killed every line.
    if not order.live_lines:
        return _none(f"Every line of PO {po} was deleted at TD SYNNEX; the order is cancelled there.", "all deleted")
    # A quote item whose sales order carries the same units (spec ex.6) is that sales order seen earlier, so
    # it neither keeps the PO from INVOICED nor counts as a waiting part (quotes.py).
    live = counted_lines(order)

    unknown = [line for line in live if line.code not in LINE_CODES]
    known = [line for line in live if line.code in LINE_CODES]
    problem = "; ".join(_unknown_message(line) for line in unknown) or None
    # Counts are of PO lines, not <Item>s: one PO line split over two sales orders is still one line.
    po_lines = len({line.line_number for line in live})
    shipped = len({line.line_number for line in live if line.code in SHIPPED_CODES})
    back_ordered = len(
        {line.line_number for line in known if line.code is StatusCode.ACCEPTED and _is_back_order(line)}
    )

    def verdict(stage: Stage | None, rule: str) -> StageVerdict:
        return StageVerdict(stage, problem, shipped, po_lines, rule, back_ordered)

    # Show unknown codes verbatim and never guess what they mean (td-synnex.md §5, TD SYNNEX plugin [S23]).
    if not known:
        return verdict(None, "unknown codes only")
    # Every live line billed (td-synnex.md §5 "TDS Invoiced"; order-level `invoiced` in production [S8]).
    if not unknown and all(line.code is StatusCode.INVOICED for line in live):
        return verdict(Stage.INVOICED, "every live line invoiced")
    # td-synnex.md §5 also allows "invoice found via §2.3": the XML status lags billing (§7.13), so a PO whose
    # every live sales order has an invoice from the invoice service is INVOICED even while lines say shipped.
    # A line without a sales order number cannot be tied to an invoice, so it keeps this rule from firing.
    billed = frozenset(invoiced_orders)
    if not unknown and billed and all(line.order_number in billed for line in live):
        return verdict(Stage.INVOICED, INVOICED_BY_SERVICE)
    # td-synnex.md §5 "TDS Shipped (partial)": one shipped or invoiced line is enough; back-orders coexist.
    if shipped:
        return verdict(Stage.SHIPPED, f"{shipped} of {po_lines} live PO lines shipped or invoiced")
    waiting = [line for line in known if line.code not in SHIPPED_CODES]
    # The Partner API said "Released" for a line (td-synnex.md §3.1; the word is UNCONFIRMED).
    if any(line.released for line in waiting):
        return verdict(Stage.RELEASED, RELEASED_BY_PARTNER)
    # Fee elements, only where the answer lets them mean release (see `fees_mark_release`).
    if release_on_fees and fees_mark_release(order) and any(_fees_on_sales_order(line) for line in waiting):
        return verdict(Stage.RELEASED, RELEASED_BY_FEES)
    # td-synnex.md §1.4: accepted covers every OrderType, back-orders (OrderType BO) included.
    return verdict(Stage.ACCEPTED, "every live line accepted")


# --- RELEASED -------------------------------------------------------------------------------------------
# TD SYNNEX has no "released" code (td-synnex.md §1.4, §5). What can say it, strongest first:
# 1. The Partner API line status "Released" (`DistributorLine.released`, partner_models.py). The status words
#    come from third-party write-ups, so the word is UNCONFIRMED, but it is a statement, not an inference.
# 2. Fee elements (Freight, HandlingFee, Tax, RecyclingFee) on an unshipped SO item. Spec v2.42 adds them in
#    v2.40 "on orders that have been released to ship and / or have shipped out" (spec example 7). The real
#    v2.7 answer of 2025 [S8] carries them, all 0.0, on EVERY item, deleted QO quote lines included, so in an
#    answer of version 2.7 or later their mere presence says nothing; it still counts there when the answer
#    puts fees on some items and leaves them off others, which is the spec's own reading. UNCONFIRMED:
#    whether 2.40-2.6x answers follow the spec, and whether a v2.7 answer ever leaves fees off an item.
#    `sync.release_on_fees = false` turns this signal off.
# Not used, and why: ShipFromWarehouse (spec example 2 names one on an accepted, unshipped SO and v2.7 drops
# it only from deleted items), the fee amounts (0.0 on shipped and invoiced items alike in [S8]),
# EstimatedShipDate (also on back-orders) and EstimatedShipDateCode (always empty, vocabulary unknown).
# So with a v2.7 account, unless an answer leaves fees off some items, RELEASED comes only from the Partner API,
# which the sync asks only about hand-marked POs (sync/observe.py); most POs go from ACCEPTED to SHIPPED.
RELEASED_BY_PARTNER = "Partner API line status Released"
RELEASED_BY_FEES = "fee fields on an unshipped SO line (release_on_fees)"
FEES_EVERYWHERE_FROM = Decimal("2.7")


def fees_mark_release(order: DistributorOrder) -> bool:
    """Whether fee elements in this answer can mean "released": always before v2.7 (the spec's rule) and for
    an answer without a readable version; from v2.7 on, only when some item of the answer has none."""
    try:
        version = Decimal((order.version or "").strip())
    except InvalidOperation:
        return True
    if not version.is_finite() or version < FEES_EVERYWHERE_FROM:
        return True
    return not all(line.fees_present for line in order.lines)


def _fees_on_sales_order(line: DistributorLine) -> bool:
    return line.fees_present and (line.order_type or "").upper() == "SO"


def _is_back_order(line: DistributorLine) -> bool:
    return (line.order_type or "").upper() == "BO"


def _unknown_message(line: DistributorLine) -> str:
    order = f"sales order {line.order_number}" if line.order_number else "no sales order"
    return (
        f"unknown TD SYNNEX status '{line.raw_code}' on line {line.line_number} ({order}); not mapped, nothing written"
    )


def _none(problem: str, rule: str) -> StageVerdict:
    return StageVerdict(stage=None, problem=problem, shipped_lines=0, live_lines=0, rule=rule)
