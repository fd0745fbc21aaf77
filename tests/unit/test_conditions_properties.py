"""Hypothesis properties of the condition grammar: quoting is injection-proof, rendering round-trips,
and no input makes the parser fail with anything but `ConditionSyntaxError`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from orderbridge.connectwise.conditions import (
    And,
    Comparison,
    Condition,
    ConditionSyntaxError,
    Not,
    Or,
    condition,
    parse_conditions,
    quote,
)

FIELDS = ["poNumber", "PONumber", "closedFlag", "total", "status/name", "_info/lastUpdated", "LastUpdated", "missing"]
SCALAR_OPS = ["=", "!=", "<", "<=", ">", ">=", "contains", "like", "not contains", "not like"]
LIST_OPS = ["in", "not in"]

# Text biased towards the characters that matter to the grammar: quotes, escapes, wildcards, keywords.
tricky_text = st.one_of(
    st.text(),
    st.lists(st.sampled_from([*"aB1 \"'\\*%()[],=!<>", " AND ", " or ", " not "]), max_size=12).map("".join),
)
aware_datetimes = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))
scalars = st.one_of(
    tricky_text,
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    aware_datetimes,
)


@st.composite
def comparisons(draw: st.DrawFn) -> Comparison:
    field = draw(st.sampled_from(FIELDS))
    if draw(st.booleans()):
        members = tuple(draw(st.lists(scalars, min_size=1, max_size=3)))
        return Comparison(field, draw(st.sampled_from(LIST_OPS)), members)
    return Comparison(field, draw(st.sampled_from(SCALAR_OPS)), draw(scalars))


def _combine(children: st.SearchStrategy[Condition]) -> st.SearchStrategy[Condition]:
    groups = st.lists(children, min_size=2, max_size=3).map(tuple)
    return st.one_of(groups.map(And), groups.map(Or), children.map(Not))


conditions = st.recursive(comparisons(), _combine, max_leaves=10)

record_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-1000, max_value=1000),
    st.sampled_from(["PO-1", "po-1", "true", "FALSE", "12", "", "a*b", "TDS Shipped", "2026-06-04T17:54:53Z"]),
    tricky_text,
)
records = st.fixed_dictionaries(
    {},
    optional={
        "poNumber": record_values,
        "closedFlag": record_values,
        "total": record_values,
        "status": st.fixed_dictionaries({}, optional={"name": record_values}),
        "_info": st.fixed_dictionaries({}, optional={"lastUpdated": record_values}),
    },
)


def normalized(cond: Condition) -> Condition:
    """What the parser returns for `cond`'s text: nested ANDs (and ORs) are flattened into their parent."""
    if isinstance(cond, And | Or):
        flat: list[Condition] = []
        for part in map(normalized, cond.parts):
            flat.extend(part.parts if type(part) is type(cond) else (part,))
        return type(cond)(tuple(flat))
    if isinstance(cond, Not):
        return Not(normalized(cond.part))
    return cond


@given(tricky_text)
def test_any_string_quotes_to_exactly_one_literal(value: str) -> None:
    assert parse_conditions(f"poNumber={quote(value)}") == Comparison("poNumber", "=", value)
    assert parse_conditions(condition("summary", "not contains", value)) == Comparison("summary", "not contains", value)
    # Embedded between two other comparisons, the value still cannot change the shape of the query.
    parsed = parse_conditions(f"a=1 AND b={quote(value)} OR c=2")
    assert parsed == Or((And((Comparison("a", "=", 1), Comparison("b", "=", value))), Comparison("c", "=", 2)))


@given(scalars)
def test_every_scalar_quotes_to_itself(value: Any) -> None:
    parsed = parse_conditions(f"x={quote(value)}")
    assert isinstance(parsed, Comparison)
    assert type(parsed.value) is type(value)
    assert parsed.value == value


@settings(max_examples=300)
@given(conditions, st.lists(records, max_size=5))
def test_rendered_conditions_reparse_to_the_same_meaning(cond: Condition, sample: list[dict[str, Any]]) -> None:
    text = cond.to_text()
    reparsed = parse_conditions(text)
    assert reparsed == normalized(cond)
    assert reparsed.to_text() == normalized(cond).to_text()
    for record in sample:
        assert reparsed.matches(record) == cond.matches(record)


grammar_soup = st.lists(
    st.sampled_from(
        [
            *["a", "b/c", "=", "!=", "<", ">=", "<>", "(", ")", ",", " ", "AND", "or", "not", "in", "like", "contains"],
            *['"x"', "'y'", '"', "\\", "1", "-2.5", "1e999", "true", "NULL", "[2016-08-20T18:04:26Z]", "[", "]", "#"],
        ]
    ),
    max_size=25,
).map(" ".join)


@settings(max_examples=500)
@given(st.one_of(st.text(), grammar_soup), records)
def test_parser_only_ever_raises_condition_syntax_error(text: str, record: dict[str, Any]) -> None:
    try:
        parsed = parse_conditions(text)
    except ConditionSyntaxError as error:
        assert 1 <= error.position <= len(text) + 1
        return
    assert parse_conditions(parsed.to_text()) == parsed
    assert parsed.matches(record) in (True, False)
