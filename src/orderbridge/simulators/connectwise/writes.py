"""Create, replace, patch and delete: one pipeline for every record kind, API and Python seeding alike.

Each write builds a candidate copy, applies the incoming values, lets the kind derive its computed fields,
revalidates the *whole* candidate (a PATCH revalidates the entire stored record: reference §5), and only
then stores it and bumps `_info`. A refused write leaves the stored record untouched.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import custom_fields, patch
from .custom_fields import LINE_SCREEN, PO_SCREEN
from .errors import BadRequest, FieldError, InvalidObject, NotFound
from .kinds import LINE_ITEM, PURCHASE_ORDER, Kind, Write, refresh_totals, stamp
from .tables import Record
from .validation import FieldProblem, check_record, coerce, read_body

if TYPE_CHECKING:
    from .state import ConnectWiseState

_SCREENS = {"purchaseOrder": PO_SCREEN, "purchaseOrderLineItem": LINE_SCREEN}


def find(state: ConnectWiseState, kind: Kind, record_id: int, parent: Record | None = None) -> Record:
    """The stored record, or the 404 ConnectWise gives for it (also when it belongs to another PO)."""
    record = kind.table(state).get(record_id)
    if record is None or (parent is not None and record_id not in kind.children(state, parent["id"])):
        raise NotFound(f"{kind.schema.label} {record_id} not found")
    return record


def _assign(write: Write, kind: Kind, name: str, value: Any, errors: list[FieldError]) -> None:
    state, spec = write.state, kind.schema.fields[name]
    try:
        if spec.type == "custom":
            definitions = state.custom_definitions(_SCREENS.get(kind.schema.resource, ""))
            stored: Any = custom_fields.merge(definitions, write.record.get(name), value if value is not None else [])
        else:
            stored = coerce(name, spec, value, state.resolve, flatten_newlines=state.flatten_newlines)
    except FieldProblem as problem:
        errors.append(FieldError(problem.code, problem.message, kind.schema.resource, name))
        return
    if stored is None:
        write.record.pop(name, None)
    else:
        write.record[name] = stored


def _apply_body(write: Write, kind: Kind, body: Any) -> list[FieldError]:
    if not isinstance(body, Mapping):
        raise BadRequest(f"The request body must be a JSON {kind.schema.resource} object.")
    state = write.state
    values, errors = read_body(kind.schema, body, state.resolve, flatten_newlines=state.flatten_newlines)
    closed_spec = kind.schema.fields.get("closedFlag")
    claimed_closed = values.pop("closedFlag", None) if closed_spec is not None and closed_spec.read_only else None
    for name in kind.commands:
        write.commands[name] = bool(values.pop(name, False))
    for name, value in values.items():
        _assign(write, kind, name, value, errors)
    kind.derive(write)
    if claimed_closed is not None and claimed_closed != write.record.get("closedFlag"):
        # A GET-then-PUT client echoes closedFlag unchanged; only an attempt to change it is refused.
        errors.append(FieldError("InvalidField", patch.CLOSED_FLAG_MESSAGE, kind.schema.resource, "closedFlag"))
    return errors


def _unique(state: ConnectWiseState, kind: Kind, record: Record) -> list[FieldError]:
    errors = []
    for name in kind.unique:
        value = record.get(name)
        clash = kind.table(state).find(name, value) if isinstance(value, str) else None
        if clash is not None and clash.get("id") != record.get("id"):
            # ObjectExists is the documented duplicate code (reference §6.3); that names must be unique is inferred.
            message = f"A {kind.schema.label.lower()} with the {name} '{value}' already exists."
            errors.append(FieldError("ObjectExists", message, kind.schema.resource, name))
    return errors


def _finish(write: Write, kind: Kind, errors: list[FieldError], *, updating: bool, strict: bool) -> Record:
    state, record = write.state, write.record
    errors = errors + check_record(kind.schema, record, updating=updating) + _unique(state, kind, record)
    if errors and strict:
        raise InvalidObject(kind.schema.resource, errors)
    record["_info"] = stamp(state, (write.previous or {}).get("_info"), write.member)
    table = kind.table(state)
    if write.previous is None:
        table.insert(record)
    else:
        table.rows[record["id"]] = record
    kind.after_write(write)
    return record


def create(
    state: ConnectWiseState,
    kind: Kind,
    body: Any,
    *,
    parent: Record | None = None,
    member: str | None = None,
    strict: bool = True,
) -> Record:
    """POST. `strict=False` (Python seeding only) stores records that would fail validation, so tests can
    reproduce tenants holding data the API would now refuse."""
    write = Write(state, {}, None, parent, member or state.api_member)
    kind.defaults(write)
    errors = _apply_body(write, kind, body)
    if not strict and errors:
        raise ValueError("; ".join(error.message for error in errors))
    return _finish(write, kind, errors, updating=False, strict=strict)


def replace(state: ConnectWiseState, kind: Kind, record_id: int, body: Any, *, parent: Record | None = None) -> Record:
    """PUT: fields not sent go back to their defaults (DG "Put"); identity and creation stamps stay."""
    previous = find(state, kind, record_id, parent)
    write = Write(state, {}, previous, parent, state.api_member)
    kind.defaults(write)
    for name, spec in kind.schema.fields.items():
        if spec.read_only and name in previous:
            write.record[name] = copy.deepcopy(previous[name])
    # Custom fields omitted from a PUT keep their values: the same UNCONFIRMED reading as for PATCH.
    if "customFields" in previous:
        write.record["customFields"] = copy.deepcopy(previous["customFields"])
    errors = _apply_body(write, kind, body)
    return _finish(write, kind, errors, updating=True, strict=True)


def apply_patch(
    state: ConnectWiseState, kind: Kind, record_id: int, body: Any, *, parent: Record | None = None
) -> Record:
    previous = find(state, kind, record_id, parent)
    write = Write(state, copy.deepcopy(previous), previous, parent, state.api_member)
    changes, errors = patch.translate(kind.schema, previous, body)
    for change in changes:
        if change.name in kind.commands:
            write.commands[change.name] = bool(change.value)
        elif change.remove:
            write.record.pop(change.name, None)
        else:
            _assign(write, kind, change.name, change.value, errors)
    kind.derive(write)
    return _finish(write, kind, errors, updating=True, strict=True)


def delete(state: ConnectWiseState, kind: Kind, record_id: int, *, parent: Record | None = None) -> None:
    find(state, kind, record_id, parent)
    kind.table(state).delete(record_id)
    if kind is PURCHASE_ORDER:
        state.line_item_table.delete_children(record_id)
        state.note_table.delete_children(record_id)
    elif kind is LINE_ITEM and parent is not None:
        refresh_totals(state, parent)
