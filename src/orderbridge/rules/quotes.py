"""Which `<Item>`s still count: a quote-order item is dropped once its sales order carries the same units.

Spec example 6 (td-synnex.md §1.4, §7.2) reports one PO line twice: an `accepted` item of OrderType `QO`
at the requested warehouse and a `shipped` `SO` item of the same SKU and quantity from another warehouse.
Those are the same units seen at two moments, not two orders: counted twice, the line is owed 18 units
of which 9 ship, so the PO never reads as fully shipped or invoiced and never closes. The 2025 capture
shows where such quote items end up (`deleted` QO items beside invoiced SO ones, §1.6); example 6 is the
moment before that. Kept apart from `stages.py` and `closing.py` because both, and the line rules, must
agree on which items count. Pure.

The rule, per PO line and product: an item of OrderType QO that has not shipped is superseded when the
line's other (non-QO) items of the same product order at least its quantity; quote items are matched
in document order, each taking units no earlier quote took. A quote the sales orders do not cover yet
still counts in full, so a line is never taken for done early. UNCONFIRMED: what QO means exactly
(td-synnex.md §1.5) and whether a QO item can ever carry units of its own beside an SO item of the
same line and product; nothing public shows that case, and the spec's own example reads as supersession.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from orderbridge.core.domain import DistributorLine, DistributorOrder, StatusCode

QUOTE = "QO"
_UNSHIPPED = frozenset({StatusCode.ACCEPTED})


def _is_quote(item: DistributorLine) -> bool:
    return (item.order_type or "").strip().upper() == QUOTE


def _same_product(a: DistributorLine, b: DistributorLine) -> bool:
    # SKU is TD SYNNEX's own key; MfgPN when one side lacks it; neither: the line number alone decides.
    if a.sku and b.sku:
        return a.sku.strip().casefold() == b.sku.strip().casefold()
    if a.mfg_pn and b.mfg_pn:
        return a.mfg_pn.strip().casefold() == b.mfg_pn.strip().casefold()
    return True


def superseded_quotes(items: Sequence[DistributorLine]) -> frozenset[int]:
    """Positions in `items` (live items of one order, any lines) of the QO items their sales orders replaced."""
    by_line: dict[int, list[int]] = {}
    for position, item in enumerate(items):
        by_line.setdefault(item.line_number, []).append(position)
    dropped: set[int] = set()
    for positions in by_line.values():
        quotes = [p for p in positions if _is_quote(items[p]) and items[p].code in _UNSHIPPED]
        if not quotes:
            continue
        others = [p for p in positions if not _is_quote(items[p])]
        taken: dict[int, int] = {}  # units of each covering item already given to an earlier quote
        for quote in quotes:
            covering = [p for p in others if _same_product(items[p], items[quote])]
            if _covered(items, quote, covering, taken):
                dropped.add(quote)
    return frozenset(dropped)


def _covered(items: Sequence[DistributorLine], quote: int, covering: list[int], taken: dict[int, int]) -> bool:
    if not covering:
        return False
    wanted = items[quote].order_quantity
    if wanted is None or any(items[p].order_quantity is None for p in covering):
        # Without quantities the units cannot be weighed; a sales order for the same product is the signal.
        return True
    available = sum((items[p].order_quantity or 0) - taken.get(p, 0) for p in covering)
    if available < wanted:
        return False
    for p in covering:
        share = min(wanted, (items[p].order_quantity or 0) - taken.get(p, 0))
        taken[p] = taken.get(p, 0) + share
        wanted -= share
        if wanted == 0:
            break
    return True


def counted_items(items: Iterable[DistributorLine]) -> tuple[DistributorLine, ...]:
    """The live items whose units count: deleted items and superseded quote items left out, order kept."""
    live = [item for item in items if item.code is not StatusCode.DELETED]
    dropped = superseded_quotes(live)
    return tuple(item for position, item in enumerate(live) if position not in dropped)


def counted_lines(order: DistributorOrder) -> tuple[DistributorLine, ...]:
    return counted_items(order.lines)
