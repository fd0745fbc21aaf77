"""The lexical layer of the ConnectWise condition grammar, both ways: reading tokens and writing literals.

Split from `conditions.py` so the parser reads as grammar rules. This module knows only lexical shapes
(quoted strings with backslash escapes, numbers, `[datetimes]`, field paths, operators) and the syntax
error every stage of parsing raises; `quote` is the exact inverse of the literal readers here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from math import isfinite

from orderbridge.connectwise.condition_eval import ALL_OPS, SYMBOL_OPS, Scalar, as_aware

# A field path: segments joined by `/` (`vendorCompany/identifier`, `_info/lastUpdated`).
FIELD_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*")
_SIMPLE = re.compile(
    r"(?P<op><=|>=|!=|<>|=|<|>)"
    r"|(?P<lp>\()|(?P<rp>\))|(?P<comma>,)"
    r"|(?P<num>-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<word>" + FIELD_PATH.pattern + r")"
)
_ESCAPABLE = frozenset("\"'\\")
# The logic words can never name a field, or `not not contains "x"` would have two readings.
RESERVED = frozenset({"and", "or", "not"})


def is_field_path(text: str) -> bool:
    return FIELD_PATH.fullmatch(text) is not None and text.casefold() not in RESERVED


class ConditionSyntaxError(ValueError):
    """A condition string that does not parse. `position` is the 1-based column of the offending token."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # op lp rp comma num word str dt end
    text: str  # as written (for strings and datetimes: the whole literal including its delimiters)
    column: int
    value: Scalar = None

    def is_word(self, keyword: str) -> bool:
        return self.kind == "word" and self.text.casefold() == keyword

    def describe(self) -> str:
        return "end of input" if self.kind == "end" else f"'{self.text}'"


def _string(text: str, start: int) -> tuple[Token, int]:
    quote_char = text[start]
    chars: list[str] = []
    index = start + 1
    while index < len(text):
        char = text[index]
        # Only \" \' \\ are escapes; any other backslash is kept, so Windows paths survive unquoted.
        if char == "\\" and index + 1 < len(text) and text[index + 1] in _ESCAPABLE:
            chars.append(text[index + 1])
            index += 2
            continue
        if char == quote_char:
            end = index + 1
            return Token("str", text[start:end], start + 1, "".join(chars)), end
        chars.append(char)
        index += 1
    raise ConditionSyntaxError(f"Unterminated string starting at column {start + 1}", start + 1)


def _datetime(text: str, start: int) -> tuple[Token, int]:
    close = text.find("]", start)
    if close < 0:
        raise ConditionSyntaxError(f"Unterminated datetime starting at column {start + 1}", start + 1)
    literal = text[start : close + 1]
    try:
        moment = datetime.fromisoformat(literal[1:-1].strip())
    except ValueError:
        raise ConditionSyntaxError(
            f"Invalid datetime {literal} at column {start + 1} (expected e.g. [2016-08-20T18:04:26Z])", start + 1
        ) from None
    return Token("dt", literal, start + 1, as_aware(moment)), close + 1


def _number(text: str, column: int) -> int | float:
    try:
        number: int | float = int(text) if re.fullmatch(r"-?[0-9]+", text) else float(text)
    except ValueError:  # beyond int()'s digit limit
        number = float("inf")
    if isinstance(number, float) and not isfinite(number):
        raise ConditionSyntaxError(f"Number '{text[:20]}' at column {column} is out of range", column)
    return number


def tokenize(text: str) -> list[Token]:
    """All tokens of `text`, ending with one `end` token whose column is just past the input."""
    tokens: list[Token] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char.isspace():
            index += 1
            continue
        if char in "\"'":
            token, index = _string(text, index)
        elif char == "[":
            token, index = _datetime(text, index)
        else:
            match = _SIMPLE.match(text, index)
            if match is None:
                raise ConditionSyntaxError(f"Unexpected character '{char}' at column {index + 1}", index + 1)
            kind = match.lastgroup or ""
            lexeme = match.group()
            value = _number(lexeme, index + 1) if kind == "num" else None
            token = Token(kind, lexeme, index + 1, value)
            index = match.end()
        tokens.append(token)
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


def quote(value: Scalar) -> str:
    """A literal that parses back as exactly `value` and nothing else, whatever the string holds."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not isfinite(value):
            raise ValueError(f"ConnectWise conditions have no literal for {value!r}")
        # repr is the shortest exact form; the tokenizer reads exponents too, but plain digits are what
        # every ConnectWise example uses, so expand them (the ".0" keeps the literal a decimal).
        text = repr(value)
        if "e" in text:
            text = format(Decimal(text), "f")
        return text if "." in text else text + ".0"
    if isinstance(value, datetime):
        moment = as_aware(value).astimezone(UTC).replace(tzinfo=None)
        return f"[{moment.isoformat()}Z]"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise TypeError(f"cannot quote {type(value).__name__}")


def condition(field: str, op: str, value: Scalar | Iterable[Scalar]) -> str:
    """One comparison as text, e.g. `condition("poNumber", "=", 'PO"1')` → `poNumber="PO\\"1"`.

    Note `*` inside an `=` string is a wildcard on ConnectWise's side (DG); there is no documented escape.
    """
    normalized = " ".join(op.casefold().split())
    normalized = "!=" if normalized == "<>" else normalized
    if not is_field_path(field):
        raise ValueError(f"not a field path: {field!r}")
    if normalized not in ALL_OPS:
        raise ValueError(f"unknown operator {op!r}")
    if normalized.endswith("in"):
        if isinstance(value, str | bytes) or not isinstance(value, Iterable):
            raise ValueError(f"operator {op!r} needs a list of values")
        items = [quote(item) for item in value]
        if not items:
            raise ValueError(f"operator {op!r} needs at least one value")
        return f"{field} {normalized} ({', '.join(items)})"
    if not isinstance(value, str | int | float | datetime) and value is not None:
        raise ValueError(f"operator {op!r} needs a single value")
    if normalized in SYMBOL_OPS:
        return f"{field}{normalized}{quote(value)}"
    return f"{field} {normalized} {quote(value)}"
