"""Pure translation of planned field changes into ConnectWise JSON Patch operations.

Separate from the client so the exact bytes we would send are testable (and printable in --dry-run)
without HTTP. Only `replace` ops of absolute values are produced, which is what makes a PATCH safe
to retry: sending it twice leaves the record as sending it once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from orderbridge.core.domain import CustomField, FieldChange
from orderbridge.core.errors import SetupError

CUSTOM_FIELDS_PATH = "customFields"
IDEMPOTENT_OPS = frozenset({"replace", "add"})


def _bare(path: str) -> str:
    # The DG writes bare names (`summary`); some clients send JSON-Pointer `/summary`. We send bare.
    bare = path.lstrip("/")
    if not bare:
        raise ValueError(f"empty JSON Patch path {path!r}")
    return bare


def changes_to_ops(changes: Sequence[FieldChange]) -> list[dict[str, Any]]:
    """One `replace` per field, in first-seen order; when a field repeats, the last change wins.

    All changes must target one record (the PO header, or one line): the caller groups them, and a
    mixed batch would PATCH a line's field onto the header.
    """
    targets = {change.line_id for change in changes}
    if len(targets) > 1:
        raise ValueError(f"changes for different records in one PATCH: {sorted(map(str, targets))}")
    latest: dict[str, Any] = {}
    for change in changes:
        latest[_bare(change.field)] = change.new
    return [{"op": "replace", "path": path, "value": value} for path, value in latest.items()]


def custom_field_json(field: CustomField, value: Any) -> dict[str, Any]:
    return {
        "id": field.id,
        "caption": field.caption,
        "type": field.type,
        "entryMethod": field.entry_method,
        "numberOfDecimals": field.number_of_decimals,
        "value": value,
    }


def custom_fields_op(current: Sequence[CustomField], updates: Mapping[str, Any]) -> dict[str, Any]:
    """A `replace` of the WHOLE customFields array with `updates` (caption → value) applied.

    The DG: "you must pass in the entire array object — you cannot patch a single custom field
    record". Whether omitted entries are cleared is UNCONFIRMED, so every current entry is sent with
    its current value, which is right under either reading. Captions match case-insensitively, as
    they do in the ConnectWise UI; an update for a field the record lacks is a setup problem.
    """
    wanted = {caption.casefold(): value for caption, value in updates.items()}
    known = {field.caption.casefold() for field in current}
    missing = [caption for caption in updates if caption.casefold() not in known]
    if missing:
        raise SetupError(
            f"custom field(s) {', '.join(repr(m) for m in missing)} not on this record; "
            "define them in ConnectWise (System > Setup Tables > User Defined Fields) for purchase orders"
        )
    array = [custom_field_json(field, wanted.get(field.caption.casefold(), field.value)) for field in current]
    return {"op": "replace", "path": CUSTOM_FIELDS_PATH, "value": array}


def is_idempotent(ops: Sequence[Mapping[str, Any]]) -> bool:
    """Only `replace`/`add` of absolute values repeat safely; `remove` or an append (`/-`) do not."""
    return bool(ops) and all(
        op.get("op") in IDEMPOTENT_OPS and not str(op.get("path", "")).endswith("/-") for op in ops
    )
