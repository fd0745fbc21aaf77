"""`PageWindow`: which listed pages of POs a per-page cache still holds.

The engine lists POs a page at a time and checks each page soon after listing it. A cache primed per
page (the payload recorder's digests) drops what a PO used once it is checked, but a PO that is never
checked this cycle (not due) would leave its entry for the whole cycle: at N=100,000 that was most of
the process. It keeps only the last few pages instead, so its size is bounded by the page size, not by
the tenant's. (The operator hooks primed previous facts the same way until they learned to load them
at the batch flush for the planned POs only.)
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

PAGES_KEPT = 3


class PageWindow:
    """The last `pages` pages admitted; `admit` returns the ids of the page that fell out, if any."""

    def __init__(self, pages: int = PAGES_KEPT) -> None:
        self._pages: deque[list[int]] = deque()
        self._limit = pages

    def admit(self, po_ids: Iterable[int]) -> list[int]:
        self._pages.append(list(po_ids))
        dropped: list[int] = []
        while len(self._pages) > self._limit:
            dropped.extend(self._pages.popleft())
        return dropped

    def clear(self) -> None:
        self._pages.clear()
