"""How one parsed ConnectWise comparison is tested against a record, the way ConnectWise's SQL would.

Kept apart from the grammar in `conditions.py` because these are the judgement calls (type coercion,
null handling, wildcards, case folding) that the simulator's fidelity rests on. Everything here is
compiled once per parsed condition so the simulator can filter 100,000 records with one parse.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

Scalar = str | int | float | bool | datetime | None
Literal = Scalar | tuple[Scalar, ...]
Test = Callable[[Any], bool]

SYMBOL_OPS = ("=", "!=", "<", "<=", ">", ">=")
WORD_OPS = ("contains", "like", "in", "not contains", "not like", "not in")
ALL_OPS = SYMBOL_OPS + WORD_OPS

_ORDERING: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_NUMERIC_TEXT = re.compile(r"\s*-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?\s*")
# AMP read.go: "All objects react to the LastUpdated query even if no such field exists in the object format."
_LAST_UPDATED_ALIAS = ("_info", "lastUpdated")


def _never(_value: Any) -> bool:
    return False


def as_text(value: Any) -> str | None:
    """The text SQL Server would compare a column value as; None for null and for structured values."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return None


def _as_number(value: Any) -> int | float | None:
    if isinstance(value, int | float):  # bool included on purpose: a bit column compares with 0/1
        return value
    if isinstance(value, str) and _NUMERIC_TEXT.fullmatch(value):
        text = value.strip()
        try:
            return int(text) if text.lstrip("-").isdigit() else float(text)
        except ValueError:  # more digits than int() accepts
            return None
    return None


def _as_bool(value: Any) -> bool | None:
    # Lenient on purpose: custom fields store text (AMP shows "value":"false"), so a record string
    # "true"/"false" counts as the boolean, and a 0/1 bit column does too.
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return {"true": True, "false": False}.get(value.strip().casefold())
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    return None


def as_aware(moment: datetime) -> datetime:
    """ConnectWise datetimes are UTC ("Z"); a naive one is read as UTC rather than local time."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return as_aware(value)
    if isinstance(value, str):
        try:
            return as_aware(datetime.fromisoformat(value.strip()))
        except ValueError:
            return None
    return None


def wildcard_regex(pattern: str, wildcards: str) -> re.Pattern[str]:
    """A case-folded full-match regex where each of `wildcards` matches any run of characters."""
    pieces: list[str] = []
    for char in pattern.casefold():
        pieces.append(".*" if char in wildcards else re.escape(char))
    return re.compile("".join(pieces), re.DOTALL)


def _text_test(regex: re.Pattern[str]) -> Test:
    def test(value: Any) -> bool:
        text = as_text(value)
        return text is not None and regex.fullmatch(text.casefold()) is not None

    return test


def _coerced_test(coerce: Callable[[Any], Any], compare: Callable[[Any, Any], bool], literal: Any) -> Test:
    def test(value: Any) -> bool:
        coerced = coerce(value)
        if coerced is None:
            return False
        try:
            return compare(coerced, literal)
        except TypeError:  # naive vs aware cannot happen (both made aware); other mixes simply do not match
            return False

    return test


def _string_test(op: str, literal: str) -> Test:
    folded = literal.casefold()
    if op == "=" and literal == "":
        # UNCONFIRMED: TRI uses `caption="MMSI" AND value=""` (claimed live) to find empty custom fields,
        # yet AMP shows empty custom fields come back as null. Matching both readings keeps that query useful.
        return lambda value: value is None or as_text(value) == ""
    if op == "=" and "*" in literal:
        return _text_test(wildcard_regex(literal, "*"))  # DG: strings "accept * for wildcards"
    compare = _ORDERING[op]

    def test(value: Any) -> bool:
        text = as_text(value)
        # Inferred: ConnectWise runs on SQL Server with a case-insensitive collation.
        return text is not None and compare(text.casefold(), folded)

    return test


def _positive_test(op: str, literal: Literal) -> Test:
    if op == "in":
        assert isinstance(literal, tuple)
        members = [_positive_test("=", item) for item in literal]
        return lambda value: any(member(value) for member in members)
    assert not isinstance(literal, tuple)
    if op in ("contains", "like"):
        needle = as_text(literal)
        if needle is None:
            return _never
        if op == "like":
            # UNCONFIRMED which wildcard `like` uses: both `%` (infrascale) and `*` (zynk) are reported.
            return _text_test(wildcard_regex(needle, "*%"))
        folded = needle.casefold()
        return lambda value: (text := as_text(value)) is not None and folded in text.casefold()
    if literal is None:
        # Ordering against null is never true in SQL; `= null` means "absent or null".
        return (lambda value: value is None) if op == "=" else _never
    compare = _ORDERING[op]
    if isinstance(literal, bool):
        return _coerced_test(_as_bool, compare, literal)
    if isinstance(literal, int | float):
        return _coerced_test(_as_number, compare, literal)
    if isinstance(literal, datetime):
        return _coerced_test(_as_datetime, compare, as_aware(literal))
    return _string_test(op, literal)


def compile_test(op: str, literal: Literal) -> Test:
    """The predicate for `field op literal`, applied to the field's value (None when absent).

    UNCONFIRMED: negated operators are the plain complement of the positive ones, so a record with no
    summary *does* satisfy `summary not contains "x"` and `summary != "x"`. SQL's three-valued logic
    would exclude it; the complement is the reading that loses no records a caller might expect.
    """
    if op == "!=":
        positive = _positive_test("=", literal)
        return lambda value: not positive(value)
    if op.startswith("not "):
        positive = _positive_test(op[4:], literal)
        return lambda value: not positive(value)
    return _positive_test(op, literal)


class FieldPath:
    """A `/`-separated path resolved case-insensitively against nested mappings.

    Records of one collection share their key spelling, so the key found last time is tried first;
    the case-insensitive scan runs only on a miss. The hints are a cache, never part of the meaning.
    """

    __slots__ = ("_fallback", "_folded", "_hints")

    def __init__(self, path: str) -> None:
        segments = tuple(path.split("/"))
        self._folded = tuple(segment.casefold() for segment in segments)
        self._hints = list(segments)
        self._fallback = FieldPath("/".join(_LAST_UPDATED_ALIAS)) if self._folded == ("lastupdated",) else None

    def resolve(self, record: Mapping[str, Any]) -> Any:
        current: Any = record
        for index, folded in enumerate(self._folded):
            if not isinstance(current, Mapping):
                return None
            hint = self._hints[index]
            if hint in current:
                current = current[hint]
                continue
            found = next((key for key in current if isinstance(key, str) and key.casefold() == folded), None)
            if found is None:
                return self._fallback.resolve(record) if self._fallback is not None and index == 0 else None
            self._hints[index] = found
            current = current[found]
        return current
