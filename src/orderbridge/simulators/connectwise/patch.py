"""JSON Patch as ConnectWise reads it: an array of `{op, path, value}` turned into field changes.

Only `add`, `replace` and `remove` exist (DG "Patch"); paths are `x` or `/x` and case-sensitive. A
reference is replaced whole (`status` ← `{"id": 3}`); a `status/id` sub-path is also accepted because a
live report says it works, even though the DG warns it can "give a false 200" (reference §5).
`customFields/<index>/value` (JSON-Pointer element paths, seen only in a mock) is translated into the
whole-array form so both spellings land on the same code path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import BadRequest, FieldError
from .schema import RecordSchema

OPERATIONS = ("add", "replace", "remove")
CLOSED_FLAG_MESSAGE = (
    "The closed flag can only be updated via updating the purchase order status to a closed/open status."
)


@dataclass(frozen=True, slots=True)
class Change:
    """Set (or with `remove`, unset) one top-level field."""

    name: str
    value: Any = None
    remove: bool = False


def _hint(schema: RecordSchema, segment: str) -> str:
    canonical = schema.canonical(segment)
    return f" Field names are case-sensitive: did you mean '{canonical}'?" if canonical else ""


def _operation(raw: Any, position: int) -> tuple[str, list[str], Any]:
    if not isinstance(raw, Mapping):
        raise BadRequest(f"Patch operation {position} must be an object with op, path and value.")
    op, path = raw.get("op"), raw.get("path")
    if not isinstance(op, str) or op.lower() not in OPERATIONS:
        raise BadRequest(f"Patch operation {position}: op must be one of add, replace, remove (got {op!r}).")
    if not isinstance(path, str) or not path.strip("/"):
        raise BadRequest(f"Patch operation {position}: path must name a field (got {path!r}).")
    return op.lower(), path.strip().lstrip("/").split("/"), raw.get("value")


def translate(schema: RecordSchema, record: Mapping[str, Any], body: Any) -> tuple[list[Change], list[FieldError]]:
    """The field changes a patch body asks for, and the per-field errors it already has."""
    if not isinstance(body, list):
        raise BadRequest("The request body for a PATCH must be a JSON array of patch operations.")
    changes: list[Change] = []
    errors: list[FieldError] = []

    def fail(name: str, message: str) -> None:
        errors.append(FieldError("InvalidField", message, schema.resource, name))

    for position, raw in enumerate(body):
        op, segments, value = _operation(raw, position)
        head = segments[0]
        spec = schema.fields.get(head)
        if spec is None:
            fail(head, f"The target location specified by path segment '{head}' was not found.{_hint(schema, head)}")
            continue
        if spec.read_only:
            fail(head, CLOSED_FLAG_MESSAGE if head == "closedFlag" else f"The {head} field is read-only.")
            continue
        if len(segments) == 1:
            changes.append(Change(head, None if op == "remove" else value, remove=op == "remove"))
        elif spec.type == "ref" and len(segments) == 2 and op != "remove":
            changes.append(Change(head, {segments[1]: value}))
        elif spec.type == "custom":
            change = _custom_field_element(record, segments, op, value)
            if change is None:
                fail(head, f"The target location specified by path '{'/'.join(segments)}' was not found.")
            else:
                changes.append(change)
        else:
            fail(head, f"The target location specified by path '{'/'.join(segments)}' was not found.")
    return changes, errors


def _custom_field_element(record: Mapping[str, Any], segments: list[str], op: str, value: Any) -> Change | None:
    """`customFields/1/value` → the whole-array change for entry 1 (by position in the record as stored)."""
    entries = record.get("customFields") or []
    if not segments[1].isdigit() or int(segments[1]) >= len(entries) or len(segments) > 3:
        return None
    entry_id = entries[int(segments[1])]["id"]
    if len(segments) == 3:
        if segments[2] != "value":
            return None
        return Change("customFields", [{"id": entry_id, "value": None if op == "remove" else value}])
    if op == "remove":
        return Change("customFields", [{"id": entry_id, "value": None}])
    if not isinstance(value, Mapping):
        return None
    return Change("customFields", [{**value, "id": entry_id}])
