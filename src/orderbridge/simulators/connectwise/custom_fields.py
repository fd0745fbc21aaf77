"""Custom fields: definitions as `/system/userDefinedFields` shows them, values as records carry them.

Every record lists every defined field, `value: null` when unset (reference §4.1, AMP live fixture). A write
sends the `customFields` array "as a whole" (DG), but scripts in the wild send only the changed entries,
sometimes only `{id, value}`, and get 200. Whether the omitted entries are cleared is UNCONFIRMED; this
simulator keeps them, which is the reading under which both kinds of client behave correctly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .validation import FieldProblem, format_datetime, parse_datetime

PO_SCREEN = "purchase_order"  # TRI: screen id of PO-header custom fields (reference §4.2)
LINE_SCREEN = "purchase_order_line"  # UNCONFIRMED: the real line-item screen id is not known
FIELD_TYPES = (
    "TextArea",
    "Button",
    "Currency",
    "Date",
    "Hyperlink",
    "IPAddress",
    "Checkbox",
    "Number",
    "Percent",
    "PhoneNumber",
    "Text",
    "Password",
)
ENTRY_METHODS = ("Date", "EntryField", "List", "Option")
_MAX_VALUE_LENGTH = 1000  # values are stored as nvarchar(1000) (TRI claim, reference §4.1)


def entry(definition: Mapping[str, Any], value: Any = None) -> dict[str, Any]:
    """The `CustomFieldValue` a record carries for one definition."""
    return {
        "id": definition["id"],
        "caption": definition["caption"],
        "type": definition["fieldTypeIdentifier"],
        "entryMethod": definition["entryTypeIdentifier"],
        "numberOfDecimals": definition.get("numberDecimals", 0),
        "value": value,
    }


def blank_entries(definitions: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [entry(definition) for definition in definitions]


def coerce_value(definition: Mapping[str, Any], value: Any) -> Any:
    """A value in the JSON type the field type implies; checkbox booleans are JSON true/false (DG example)."""
    if value is None:
        return None
    kind = definition["fieldTypeIdentifier"]
    caption = definition["caption"]
    if kind == "Checkbox":
        if isinstance(value, bool):
            return value
        # String "true"/"false" acceptance is UNCONFIRMED; accepted so either client habit works.
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise FieldProblem(f"The value '{value}' is not a valid Boolean for custom field {caption}.")
    if kind in ("Number", "Currency", "Percent"):
        if isinstance(value, bool):
            raise FieldProblem(f"The value '{value}' is not a valid number for custom field {caption}.")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise FieldProblem(f"The value '{value}' is not a valid number for custom field {caption}.") from None
        return int(number) if number == int(number) and not definition.get("numberDecimals") else number
    if kind == "Date":
        try:
            return format_datetime(parse_datetime(str(value)))
        except ValueError:
            raise FieldProblem(f"The value '{value}' is not a valid date for custom field {caption}.") from None
    if isinstance(value, dict | list):
        raise FieldProblem(f"The value for custom field {caption} must be a scalar.")
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if len(text) > _MAX_VALUE_LENGTH:
        raise FieldProblem(f"The value for custom field {caption} is longer than {_MAX_VALUE_LENGTH} characters.")
    return text


def _definition_for(item: Mapping[str, Any], definitions: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    raw_id = item.get("id")
    if raw_id is not None:
        for definition in definitions:
            if str(definition["id"]) == str(raw_id):
                return definition
        # Real behaviour for an undefined id is UNCONFIRMED; refusing it surfaces a wrong id instead of a no-op.
        raise FieldProblem(f"Custom field id {raw_id} is not defined for this record type.")
    caption = item.get("caption")
    if isinstance(caption, str):
        for definition in definitions:
            if definition["caption"].lower() == caption.lower():
                return definition
        raise FieldProblem(f"Custom field '{caption}' is not defined for this record type.")
    raise FieldProblem("Each customFields entry needs an id.")


def merge(
    definitions: Sequence[Mapping[str, Any]], current: Sequence[Mapping[str, Any]] | None, incoming: Any
) -> list[dict[str, Any]]:
    """The full `customFields` array after a write of `incoming` (entries matched by id, then caption)."""
    if not isinstance(incoming, list) or not all(isinstance(item, Mapping) for item in incoming):
        raise FieldProblem("customFields must be an array of custom field objects.")
    values = {item["id"]: item.get("value") for item in current or ()}
    for item in incoming:
        definition = _definition_for(item, definitions)
        if "value" in item:
            values[definition["id"]] = coerce_value(definition, item["value"])
    return [entry(definition, values.get(definition["id"])) for definition in definitions]
