"""Tracked POs that share a PO number: TD SYNNEX cannot tell them apart, so neither is synced.

TD SYNNEX answers by (customer number, PO number), so two ConnectWise POs carrying one number would
both receive that one order's status, tracking and invoices, and nobody would notice. The numbers are
compared as TD SYNNEX is taken to match them: without letter case and without spaces ("po-1 " is
"PO-1"); the exact rule at TD SYNNEX is UNCONFIRMED (td-synnex.md §7 gotcha 4 only says a PO number used
twice returns several results), so the comparison leans towards reporting.

Why a separate, light listing first: the engine streams POs in pages through a queue, so when the
second PO with a number is listed the first may already be synced. To sync neither, every number must
be known before any PO is handed over. So each cycle that lists every tracked PO first lists them
again with `fields=id,poNumber` (a few dozen bytes a PO, 1,000 a call: one call per 1,000 POs, next to
at least one TD SYNNEX call per PO). While that listing streams, one short key and one id per PO are
kept (~100 bytes each: ~10 MB for 100,000 POs, where the POs themselves, with their lines, would be
KBs each and are never held); when it ends, only the duplicated numbers are kept, until the next one.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterable

_log = logging.getLogger(__name__)


def number_key(po_number: str) -> str:
    """The PO number as TD SYNNEX tells numbers apart: case and spaces ignored."""
    return "".join(po_number.split()).casefold()


class NumberIndex:
    """One pass over (PO id, PO number) pairs; then `problems()` names each PO whose number is shared."""

    def __init__(self) -> None:
        self._first: dict[str, tuple[int, str]] = {}  # key -> first PO id and its number as written
        self._shared: dict[str, list[int]] = {}  # key -> every PO id after the first

    def add(self, po_id: int, po_number: str | None) -> None:
        key = number_key(po_number or "")
        if not key:
            return  # a PO without a number has its own, clearer error in the engine
        first = self._first.setdefault(key, (po_id, po_number.strip() if po_number else ""))
        if first[0] != po_id:
            self._shared.setdefault(key, []).append(po_id)

    def problems(self) -> dict[int, str]:
        """PO id -> the message naming every PO that shares its number (the same message for each)."""
        found: dict[int, str] = {}
        for key, others in self._shared.items():
            first_id, number = self._first[key]
            ids = sorted({first_id, *others})
            names = ", ".join(f"#{po_id}" for po_id in ids[:-1]) + f" and #{ids[-1]}"
            message = (
                f"PO number {number} is on ConnectWise POs {names}; TD SYNNEX cannot tell them apart: "
                "give one of them a distinct number"
            )
            found.update(dict.fromkeys(ids, message))
        return found


class DuplicateNumbers:
    """The tenant's shared PO numbers as of the last listing of every tracked PO; the engine refuses
    those POs. Empty until `refresh` (a replay or backfill, which list other POs, never refreshes it)."""

    def __init__(self) -> None:
        self._problems: dict[int, str] = {}

    async def refresh(self, numbers: AsyncIterable[tuple[int, str | None]]) -> None:
        index = NumberIndex()
        async for po_id, po_number in numbers:
            index.add(po_id, po_number)
        self._problems = index.problems()
        if self._problems:
            _log.warning("%d tracked POs share a PO number with another; none of them is synced", len(self._problems))

    def problem(self, po_id: int) -> str | None:
        return self._problems.get(po_id)
