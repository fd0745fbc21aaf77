"""The read-side query parameters: `conditions`, `customFieldConditions`, `orderBy` and `fields`.

The grammar itself is `orderbridge.connectwise.conditions` (shared with our client); this module binds it
to a record kind: unknown fields become `ApiFindCondition` 400s worded like the live API ("typeids is
not a recognized name."), and parsed conditions are cached because a paging client repeats them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from orderbridge.connectwise.conditions import (
    Condition,
    ConditionSyntaxError,
    UnknownConditionField,
    matches_custom_fields,
    parse_conditions,
)

from .errors import ConditionError
from .schema import RecordSchema
from .tables import Record

Predicate = Callable[[Record], bool]
_CUSTOM_FIELD_KEYS = frozenset({"id", "caption", "type", "entrymethod", "numberofdecimals", "value", "connectwiseid"})


@lru_cache(maxsize=256)
def _parsed(text: str) -> Condition:
    return parse_conditions(text)


def _condition(text: str, known: Callable[[str], bool]) -> Condition:
    try:
        condition = _parsed(text)
        condition.check_fields(known)
    except ConditionSyntaxError as error:
        raise ConditionError(str(error)) from None
    except UnknownConditionField as error:
        raise ConditionError(f"{error.name} is not a recognized name.") from None
    return condition


def compile_filter(schema: RecordSchema, conditions: str | None, custom_conditions: str | None) -> Predicate | None:
    """One predicate for both parameters, or None when neither filters anything."""
    tests: list[Predicate] = []
    if conditions and conditions.strip():
        tests.append(_condition(conditions, schema.knows).matches)
    if custom_conditions and custom_conditions.strip():
        custom = _condition(custom_conditions, lambda path: path.lower() in _CUSTOM_FIELD_KEYS)
        tests.append(lambda record: matches_custom_fields(custom, record.get("customFields") or ()))
    if not tests:
        return None
    if len(tests) == 1:
        return tests[0]
    return lambda record: all(test(record) for test in tests)


def resolve(record: Mapping[str, Any], path: str) -> Any:
    """A `/` path looked up case-insensitively, as ConnectWise treats field names in queries."""
    current: Any = record
    for segment in path.split("/"):
        if not isinstance(current, Mapping):
            return None
        if segment in current:
            current = current[segment]
            continue
        folded = segment.lower()
        current = next((value for key, value in current.items() if key.lower() == folded), None)
    return current


def _sort_key(path: str) -> Callable[[Record], tuple[int, Any]]:
    def key(record: Record) -> tuple[int, Any]:
        value = resolve(record, path)
        if value is None:
            return (0, 0)  # nulls first ascending, like SQL Server
        if isinstance(value, str):
            return (2, value.lower())
        return (1, value)

    return key


def sort_records(schema: RecordSchema, records: list[Record], order_by: str) -> list[Record]:
    """`orderBy=field asc|desc[, field2 ...]`; ties keep id order."""
    keys: list[tuple[str, bool]] = []
    for part in order_by.split(","):
        words = part.split()
        if not words:
            continue
        if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise ConditionError(f"orderBy expects 'field asc' or 'field desc', not '{part.strip()}'.")
        if not schema.knows(words[0]):
            raise ConditionError(f"{words[0]} is not a recognized name.")
        keys.append((words[0], len(words) == 2 and words[1].lower() == "desc"))
    ordered = list(records)
    for path, descending in reversed(keys):
        ordered.sort(key=_sort_key(path), reverse=descending)
    return ordered


Projection = dict[str, "Projection"]


def parse_fields(text: str) -> Projection:
    tree: Projection = {}
    for item in text.split(","):
        node = tree
        for segment in (part.strip().lower() for part in item.split("/")):
            if segment:
                node = node.setdefault(segment, {})
    return tree


def project(record: Mapping[str, Any], tree: Projection) -> dict[str, Any]:
    """`fields=id,status/name` keeps only those keys; unknown names are skipped.

    An empty result falls back to the id, which is what a live `fields=*` was seen to return (reference §2.4).
    """
    out = _project_mapping(record, tree)
    if not out and "id" in record:
        out["id"] = record["id"]
    return out


def _project_mapping(record: Mapping[str, Any], tree: Projection) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in record.items():
        subtree = tree.get(key.lower())
        if subtree is None:
            continue
        out[key] = _project_value(value, subtree) if subtree else value
    return out


def _project_value(value: Any, tree: Projection) -> Any:
    if isinstance(value, Mapping):
        return _project_mapping(value, tree)
    if isinstance(value, list):
        return [_project_value(item, tree) for item in value]
    return value
