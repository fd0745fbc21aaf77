"""Reading field values from a write and checking a whole record before it is stored.

ConnectWise is a .NET service: body keys bind case-insensitively and unknown keys are ignored, numbers
may arrive as strings (PYW sends `"receivedQuantity": "5"` and gets 200), and messages follow the .NET
data-annotation wording ("The X field is required.", "The field X must be between A and B."). The same
`check_record` runs after every POST, PUT and PATCH, because a PATCH revalidates the entire stored record
(reference §5, PHPB live report).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from .errors import FieldError
from .schema import FieldSpec, RecordSchema

# (lookup table, reference as sent) -> canonical reference, or None when nothing matches
Resolver = Callable[[str, Mapping[str, Any]], dict[str, Any] | None]

_NEWLINES = str.maketrans({"\r": " ", "\n": " ", "\b": " ", "\f": " "})


class FieldProblem(Exception):
    def __init__(self, message: str, code: str = "InvalidField") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def format_datetime(moment: datetime) -> str:
    """Second precision, UTC, `Z`: the one date format ConnectWise reads and writes (reference §1.5)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(text: str) -> datetime:
    moment = datetime.fromisoformat(text.strip().replace("z", "Z"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def coerce(name: str, spec: FieldSpec, value: Any, resolve: Resolver, *, flatten_newlines: bool) -> Any:
    """The stored form of one incoming value; None means "unset"."""
    if value is None or spec.type in ("any", "custom"):
        return value
    kind = spec.type
    if kind == "str":
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise FieldProblem(f"The value for {name} must be a string.")
        text = str(value)
        # DG "Escaping Characters": \b \r \n \f are "Not Supported"; a newline comes back as a space.
        return text.translate(_NEWLINES) if flatten_newlines else text
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise FieldProblem(f"The value '{value}' is not a valid Boolean for {name}.")
    if kind in ("int", "float"):
        return _number(name, kind, value)
    if kind == "datetime":
        if not isinstance(value, str):
            raise FieldProblem(f"The value for {name} must be a date-time string.")
        try:
            return format_datetime(parse_datetime(value))
        except ValueError:
            raise FieldProblem(f"The value '{value}' is not a valid date-time for {name}.") from None
    if kind == "enum":
        for choice in spec.choices:
            if isinstance(value, str) and value.lower() == choice.lower():
                return choice
        raise FieldProblem(f"The value '{value}' is not valid for {name}; expected one of {', '.join(spec.choices)}.")
    if kind == "ref":
        if not isinstance(value, Mapping):
            raise FieldProblem(f'The value for {name} must be an object reference such as {{"id": 1}}.')
        if spec.lookup is None:
            return dict(value)
        found = resolve(spec.lookup, value)
        if found is None:
            shown = ", ".join(f"{k}={v!r}" for k, v in value.items() if k != "_info") or "empty reference"
            raise FieldProblem(f"The {name} ({shown}) was not found.")
        return found
    raise FieldProblem(f"{name} cannot be written.")  # pragma: no cover - schema types are closed


def _number(name: str, kind: str, value: Any) -> int | float:
    if isinstance(value, bool):
        raise FieldProblem(f"The value '{value}' is not a valid number for {name}.")
    number: float
    if isinstance(value, int | float):
        number = value
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise FieldProblem(f"The value '{value}' is not a valid number for {name}.") from None
    else:
        raise FieldProblem(f"The value for {name} must be a number.")
    if kind == "int":
        if number != int(number):
            raise FieldProblem(f"The value '{value}' is not a valid integer for {name}.")
        return int(number)
    return float(number)


def read_body(
    schema: RecordSchema, body: Mapping[str, Any], resolve: Resolver, *, flatten_newlines: bool
) -> tuple[dict[str, Any], list[FieldError]]:
    """Writable fields of a POST/PUT body under their canonical names; read-only and unknown keys are dropped."""
    values: dict[str, Any] = {}
    errors: list[FieldError] = []
    for key, raw in body.items():
        name = schema.canonical(key)
        if name is None:
            continue
        spec = schema.fields[name]
        if spec.read_only and name != "closedFlag":
            continue
        try:
            values[name] = coerce(name, spec, raw, resolve, flatten_newlines=flatten_newlines)
        except FieldProblem as problem:
            errors.append(FieldError(problem.code, problem.message, schema.resource, name))
    return values, errors


def check_record(schema: RecordSchema, record: Mapping[str, Any], *, updating: bool) -> list[FieldError]:
    """Everything wrong with a record as it would be stored."""
    errors: list[FieldError] = []
    for name, spec in schema.fields.items():
        value = record.get(name)
        if (spec.required or (updating and spec.required_on_update)) and value in (None, ""):
            errors.append(FieldError("MissingRequiredField", f"The {name} field is required.", schema.resource, name))
        elif spec.max_length is not None and isinstance(value, str) and len(value) > spec.max_length:
            # Wording is .NET StringLength's; the error code ConnectWise uses for it is UNCONFIRMED.
            message = f"The field {name} must be a string with a maximum length of {spec.max_length}."
            errors.append(FieldError("InvalidField", message, schema.resource, name))
    received, quantity = record.get("receivedQuantity"), record.get("quantity")
    if isinstance(received, int) and isinstance(quantity, int | float) and not 0 <= received <= quantity:
        message = f"The field receivedQuantity must be between 0 and {quantity:g}."
        errors.append(FieldError("OutOfRange", message, schema.resource, "receivedQuantity"))
    return errors
