"""In-memory record tables for the simulator, indexed for the queries a sync actually makes.

Ids are kept sorted once, at insert time, so forward-only paging (`id > pageId`) is a bisect plus a short
scan even at 100,000 POs. Child tables (line items, notes) keep a per-parent id index for the same reason.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from typing import Any

Record = dict[str, Any]


class Table:
    """Records by id. Ids are server-assigned and grow; an explicit id (seeding) is honoured."""

    def __init__(self, first_id: int = 1) -> None:
        self._first_id = first_id
        self.rows: dict[int, Record] = {}
        self.ids: list[int] = []
        self._next_id = first_id

    def clear(self) -> None:
        self.rows.clear()
        self.ids.clear()
        self._next_id = self._first_id

    def insert(self, row: Record) -> Record:
        row_id = row.get("id")
        if not isinstance(row_id, int) or row_id in self.rows:
            row_id = self._next_id
        self._next_id = max(self._next_id, row_id + 1)
        fields = [(key, value) for key, value in row.items() if key != "id"]
        row.clear()  # in place, so callers holding the dict see it; id first, as the API lists it
        row["id"] = row_id
        row.update(fields)
        self.rows[row_id] = row
        if not self.ids or row_id > self.ids[-1]:
            self.ids.append(row_id)
        else:
            bisect.insort(self.ids, row_id)
        return row

    def get(self, row_id: int) -> Record | None:
        return self.rows.get(row_id)

    def delete(self, row_id: int) -> Record | None:
        row = self.rows.pop(row_id, None)
        if row is not None:
            index = bisect.bisect_left(self.ids, row_id)
            del self.ids[index]
        return row

    def __len__(self) -> int:
        return len(self.rows)

    def scan(self, after: int | None = None, ids: list[int] | None = None) -> Iterator[Record]:
        """Rows in id order, optionally only those with id > `after`, optionally within `ids` (sorted)."""
        order = self.ids if ids is None else ids
        start = 0 if after is None else bisect.bisect_right(order, after)
        for index in range(start, len(order)):
            row = self.rows.get(order[index])
            if row is not None:
                yield row

    def find(self, key: str, value: Any) -> Record | None:
        """First row whose `key` equals `value`; strings compare case-insensitively like SQL Server does."""
        folded = value.lower() if isinstance(value, str) else value
        for row in self.rows.values():
            candidate = row.get(key)
            if isinstance(candidate, str):
                candidate = candidate.lower()
            if candidate == folded:
                return row
        return None


class ChildTable(Table):
    """Records that belong to a parent (line items and notes belong to a PO); ids are global, like ConnectWise."""

    def __init__(self, parent_field: str, first_id: int = 1) -> None:
        super().__init__(first_id)
        self.parent_field = parent_field
        self.by_parent: dict[int, list[int]] = {}

    def clear(self) -> None:
        super().clear()
        self.by_parent.clear()

    def insert(self, row: Record) -> Record:
        row = super().insert(row)
        bisect.insort(self.by_parent.setdefault(int(row[self.parent_field]), []), row["id"])
        return row

    def delete(self, row_id: int) -> Record | None:
        row = super().delete(row_id)
        if row is not None:
            siblings = self.by_parent.get(int(row[self.parent_field]), [])
            index = bisect.bisect_left(siblings, row_id)
            if index < len(siblings) and siblings[index] == row_id:
                del siblings[index]
        return row

    def children(self, parent_id: int) -> list[int]:
        return self.by_parent.get(parent_id, [])

    def delete_children(self, parent_id: int) -> None:
        for row_id in list(self.by_parent.pop(parent_id, [])):
            super().delete(row_id)
