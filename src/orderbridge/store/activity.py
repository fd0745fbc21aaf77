"""The activity log: turning a filter into a query, rows into entries, and entries into CSV/JSON.

Kept apart from `store.py` because the export formats are a contract with operators (spreadsheets,
SIEM imports): the column order below is fixed and only ever grows at the end.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, TextIO

from sqlalchemy import RowMapping, Select, select

from orderbridge.core.redaction import redact
from orderbridge.store.records import ActivityEntry, ActivityFilter
from orderbridge.store.tables import activity

ExportFormat = Literal["csv", "json", "jsonl", "table"]

COLUMNS: tuple[str, ...] = (
    "id",
    "at",
    "tenant",
    "cycle_id",
    "po_id",
    "po_number",
    "actor",
    "action",
    "field",
    "old_value",
    "new_value",
    "reason",
)
_INT_COLUMNS = frozenset({"id", "cycle_id", "po_id"})
# Spreadsheets run a cell that starts with one of these as a formula (CSV injection); TD SYNNEX and
# ConnectWise text reaches this log, so such cells are exported with a leading apostrophe.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def select_activity(f: ActivityFilter) -> Select[Any]:
    """Newest first; ties on `at` broken by id so paging and exports are stable."""
    query = select(activity)
    if f.tenant is not None:
        query = query.where(activity.c.tenant == f.tenant)
    if f.po_number is not None:
        query = query.where(activity.c.po_number == f.po_number)
    if f.po_id is not None:
        query = query.where(activity.c.po_id == f.po_id)
    if f.cycle_id is not None:
        query = query.where(activity.c.cycle_id == f.cycle_id)
    if f.actions:
        query = query.where(activity.c.action.in_(f.actions))
    if f.since is not None:
        query = query.where(activity.c.at >= f.since)
    if f.until is not None:
        query = query.where(activity.c.at < f.until)
    query = query.order_by(activity.c.at.desc(), activity.c.id.desc())
    if f.limit is not None:
        query = query.limit(f.limit)
    return query


def activity_row(entry: ActivityEntry) -> dict[str, Any]:
    """The row to insert. Free text is redacted here too: a secret in a reason must never be stored."""
    return {
        "at": entry.at,
        "tenant": entry.tenant,
        "cycle_id": entry.cycle_id,
        "po_id": entry.po_id,
        "po_number": entry.po_number,
        "actor": entry.actor,
        "action": entry.action,
        "field": entry.field,
        "old_value": None if entry.old_value is None else redact(entry.old_value),
        "new_value": None if entry.new_value is None else redact(entry.new_value),
        "reason": redact(entry.reason),
    }


def entry_from_row(row: RowMapping) -> ActivityEntry:
    return ActivityEntry(**{name: row[name] for name in COLUMNS})


def _cells(entry: ActivityEntry) -> dict[str, Any]:
    cells: dict[str, Any] = {name: getattr(entry, name) for name in COLUMNS}
    cells["at"] = entry.at.isoformat()
    return cells


def defuse_cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def export_activity(entries: Iterable[ActivityEntry], fmt: ExportFormat, out: TextIO) -> int:
    """Write entries to `out`; returns how many. CSV: header row, empty cell for NULL. JSON: one array.
    JSONL: one object per line. Table: aligned text for a terminal."""
    count = 0
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for entry in entries:
            cells = _cells(entry)
            writer.writerow([defuse_cell(cells[name]) for name in COLUMNS])
            count += 1
    elif fmt == "json":
        out.write("[")
        for entry in entries:
            out.write(("," if count else "") + "\n  " + json.dumps(_cells(entry), ensure_ascii=False))
            count += 1
        out.write("\n]\n" if count else "]\n")
    elif fmt == "jsonl":
        for entry in entries:
            out.write(json.dumps(_cells(entry), ensure_ascii=False) + "\n")
            count += 1
    elif fmt == "table":
        count = _write_table(list(entries), out)
    else:
        raise ValueError(f"unknown export format {fmt!r}; use csv, json, jsonl or table")
    return count


def _write_table(entries: Sequence[ActivityEntry], out: TextIO) -> int:
    shown = ("at", "po_number", "action", "field", "old_value", "new_value", "reason")
    rows = [[_clip(_cells(e)[name]) for name in shown] for e in entries]
    widths = [max([len(name), *(len(row[i]) for row in rows)]) for i, name in enumerate(shown)]
    out.write("  ".join(name.ljust(w) for name, w in zip(shown, widths, strict=True)).rstrip() + "\n")
    for row in rows:
        out.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() + "\n")
    return len(rows)


def _clip(value: Any, width: int = 40) -> str:
    text = "" if value is None else " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def load_activity(source: TextIO, fmt: Literal["csv", "json", "jsonl"]) -> list[ActivityEntry]:
    """Read an export back (for audits and tests). CSV cannot tell NULL from "", so empty reads as None."""
    if fmt == "csv":
        return [
            _entry_from_cells({k: _undefuse(v) if v else None for k, v in row.items()})
            for row in csv.DictReader(source)
        ]
    if fmt == "json":
        return [_entry_from_cells(item) for item in json.load(source)]
    if fmt == "jsonl":
        return [_entry_from_cells(json.loads(line)) for line in source if line.strip()]
    raise ValueError(f"unknown import format {fmt!r}; use csv, json or jsonl")


def _undefuse(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA_START) else text


def _entry_from_cells(cells: Mapping[str, Any]) -> ActivityEntry:
    values: dict[str, Any] = {name: cells.get(name) for name in COLUMNS}
    for name in _INT_COLUMNS:
        if values[name] is not None:
            values[name] = int(values[name])
    values["at"] = datetime.fromisoformat(str(values["at"]))
    values["reason"] = values["reason"] or ""
    return ActivityEntry(**values)
