"""Stage derivation: the ONE place that turns TD SYNNEX status codes into a Stage (DESIGN.md §2).

Kept apart from the planner so the rule can be read, tested and changed without touching field
mapping, and so nothing else in the code base ever decides a stage on its own.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

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
    # Spec v2.40 added fee details for orders "released to ship and/or shipped" (td-synnex.md §1.3, §5).
    # UNCONFIRMED and weak (v2.7 traffic shows zero-valued fee elements widely), hence the switch.
    if release_on_fees and any(_released_by_fees(line) for line in known):
        return verdict(Stage.RELEASED, "fee fields on an unshipped SO line (release_on_fees)")
    # td-synnex.md §1.4: accepted covers every OrderType, back-orders (OrderType BO) included.
    return verdict(Stage.ACCEPTED, "every live line accepted")


def _released_by_fees(line: DistributorLine) -> bool:
    return line.fees_present and (line.order_type or "").upper() == "SO" and line.code not in SHIPPED_CODES


def _is_back_order(line: DistributorLine) -> bool:
    return (line.order_type or "").upper() == "BO"


def _unknown_message(line: DistributorLine) -> str:
    order = f"sales order {line.order_number}" if line.order_number else "no sales order"
    return (
        f"unknown TD SYNNEX status '{line.raw_code}' on line {line.line_number} ({order}); not mapped, nothing written"
    )


def _none(problem: str, rule: str) -> StageVerdict:
    return StageVerdict(stage=None, problem=problem, shipped_lines=0, live_lines=0, rule=rule)
