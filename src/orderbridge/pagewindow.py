"""`PageWindow`: which listed pages of POs a per-page cache still holds.

The engine lists POs a page at a time and checks each page soon after listing it. Caches primed per page
(the payload recorder's digests, the operator hooks' previous facts) drop what a PO used once it is
checked, but a PO that is never checked this cycle (quiet, not due) would leave its entry for the
whole cycle: at N=100,000 that was most of the process. Both keep only the last few pages instead, so
their size is bounded by the page size, not by the tenant's.
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
