"""Table-driven tests for the ConnectWise condition grammar: every example the reference quotes, plus errors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from orderbridge.connectwise.conditions import (
    And,
    Comparison,
    ConditionSyntaxError,
    Not,
    Or,
    UnknownConditionField,
    all_of,
    any_of,
    condition,
    matches_custom_fields,
    parse_conditions,
    quote,
)

PO: dict[str, Any] = {
    "id": 17,
    "poNumber": "C9PO123",
    "closedFlag": False,
    "summary": "Replacement laptops, High Priority",
    "vendorCompany": {"id": 250, "identifier": "Ingram", "name": "Ingram Micro"},
    "status": {"id": 2, "name": "TDS Shipped"},
    "board": {"id": 3},
    "total": 1299.5,
    "parentTicketId": None,
    "_info": {"lastUpdated": "2026-06-04T17:54:53Z"},
}

C = Comparison
AUG_20 = datetime(2016, 8, 20, 18, 4, 26, tzinfo=UTC)

PARSED = [
    ("closedFlag = True", Comparison("closedFlag", "=", True)),
    ("closedFlag=false", Comparison("closedFlag", "=", False)),
    ('vendorCompany/identifier="ingram"', Comparison("vendorCompany/identifier", "=", "ingram")),
    ("board/id in (3, 2, 4)", Comparison("board/id", "in", (3, 2, 4))),
    ('summary not contains "Low Priority"', Comparison("summary", "not contains", "Low Priority")),
    ("lastUpdated > [2016-08-20T18:04:26Z]", Comparison("lastUpdated", ">", AUG_20)),
    ("value != null", Comparison("value", "!=", None)),
    ("poNumber='C9PO123'", Comparison("poNumber", "=", "C9PO123")),
    ('name in ("John", \'Ben\')', Comparison("name", "in", ("John", "Ben"))),
    ("total >= -12.75", Comparison("total", ">=", -12.75)),
    (
        'a LIKE "x*" and b NOT IN (1) Or c CONTAINS "y"',
        Or((And((C("a", "like", "x*"), C("b", "not in", (1,)))), C("c", "contains", "y"))),
    ),
    ('s="say \\"hi\\" \\\\ back"', Comparison("s", "=", 'say "hi" \\ back')),
    ('p="C:\\temp"', Comparison("p", "=", "C:\\temp")),
    ("NOT (a=1)", Not(Comparison("a", "=", 1))),
    ("a=1 AND (b=2 OR c=3)", And((C("a", "=", 1), Or((C("b", "=", 2), C("c", "=", 3)))))),
    ("(a=1 AND b=2) AND c=3", And((C("a", "=", 1), C("b", "=", 2), C("c", "=", 3)))),
    ("not not a=1", Not(Not(C("a", "=", 1)))),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), PARSED)
def test_parses_reference_examples_to_the_expected_tree(text: str, expected: object) -> None:
    assert parse_conditions(text) == expected


MATCHES = [
    ("closedFlag = True", False),
    ("closedFlag=false", True),
    ("ClosedFlag = FALSE", True),
    ('vendorCompany/identifier="ingram"', True),  # case-insensitive collation (inferred)
    ('VendorCompany/Identifier="INGRAM"', True),
    ('vendorCompany/identifier="techdata"', False),
    ("board/id in (3, 2, 4)", True),
    ("board/id not in (5, 6)", True),
    ('summary not contains "Low Priority"', True),
    ('summary contains "high priority"', True),
    ("lastUpdated > [2016-08-20T18:04:26Z]", True),
    ("LastUpdated >= [2026-06-04T17:54:53Z]", True),
    ("_info/lastUpdated > [2026-06-05T00:00:00Z]", False),
    ("_info/LastUpdated < [2026-06-05]", True),
    ("parentTicketId = null", True),
    ("missingField = null", True),
    ("parentTicketId != null", False),
    ("poNumber != null", True),
    ("poNumber='C9PO123'", True),
    ('poNumber="C9PO*"', True),  # DG: strings accept * for wildcards
    ('poNumber="*PO1*"', True),
    ('poNumber="C9PO"', False),
    ('summary like "replacement*"', True),
    ('summary like "%laptops%"', True),
    ('summary not like "%desktop%"', True),
    ('summary like "laptops"', False),
    ("total > 1000", True),
    ("total <= 1299.5", True),
    ("id = 17 AND closedFlag = false", True),
    ("id = 18 OR closedFlag = false AND board/id = 3", True),
    ("(id = 18 OR closedFlag = false) AND board/id = 4", False),
    ("id = 18 OR id = 19 and board/id = 3", False),
    ('status/name = "TDS Shipped" and NOT (closedFlag = true)', True),
    ('status/name < "TDS Z"', True),
]


@pytest.mark.parametrize(("text", "expected"), MATCHES)
def test_evaluates_like_connectwise(text: str, expected: bool) -> None:
    assert parse_conditions(text).matches(PO) is expected


CUSTOM_FIELDS: list[dict[str, Any]] = [
    {"id": 4, "caption": "Send to TDS", "type": "Checkbox", "entryMethod": "EntryField", "value": True},
    {"id": 5, "caption": "TomNumber", "type": "Text", "entryMethod": "EntryField", "value": None},
    {"id": 6, "caption": "MMSI", "type": "Text", "entryMethod": "EntryField", "value": ""},
    {"id": 7, "caption": "is_synced", "type": "Text", "entryMethod": "List", "value": "false"},
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('caption="Send to TDS" AND value=true', True),
        ('caption="Send to TDS" AND value=false', False),
        ('caption="TomNumber" AND value !=null', False),
        ('caption="TomNumber" AND value = ""', True),  # UNCONFIRMED: empty string also finds null
        ('caption="MMSI" AND value=""', True),
        ("caption='is_synced' and value=false", True),  # record text "false" read as a boolean
        ('caption="Nope" AND value=null', False),
    ],
)
def test_custom_field_conditions_need_one_entry_to_satisfy_the_whole_condition(text: str, expected: bool) -> None:
    assert matches_custom_fields(parse_conditions(text), CUSTOM_FIELDS) is expected


def test_custom_field_conditions_do_not_mix_entries() -> None:
    # caption of entry 5 and value of entry 4 must not combine into a match
    assert not matches_custom_fields(parse_conditions('caption="TomNumber" AND value=true'), CUSTOM_FIELDS)


def test_booleans_numbers_and_dates_tolerate_text_in_records() -> None:
    record = {"flag": "TRUE", "count": "12", "when": "2026-06-04T17:54:53Z", "bit": 1, "obj": {"a": 1}}
    assert parse_conditions("flag = true AND bit = true AND count > 11.5").matches(record)
    assert parse_conditions("when < [2026-06-04T18:00:00+00:00] AND when > [2026-06-04T17:54:52]").matches(record)
    assert not parse_conditions('obj = "x" or count = true or when > 5').matches(record)
    assert parse_conditions('obj != "x"').matches(record)


SYNTAX_ERRORS = [
    ('summary="unterminated', "Unterminated string starting at column 9", 9),
    ("closedFlag =", "Expected a value after '=' at column 13, found end of input", 13),
    ("closedFlag = AND x=1", "Expected a value after '=' at column 14, found 'AND'", 14),
    ("status/name = Open", "found 'Open' (strings must be quoted)", 15),
    ("(a=1 AND b=2", "Unbalanced parenthesis: '(' at column 1 is never closed", 13),
    ("a=1)", "Unexpected ')' at column 4", 4),
    ('summary equals "x"', "Unknown operator 'equals' after 'summary' at column 9", 9),
    ("summary", "Expected an operator after 'summary' at column 8, found end of input", 8),
    ('summary not "x"', "Expected contains, like or in after 'not' at column 13", 13),
    ("board/id in 3", "Expected '(' after 'in' at column 13", 13),
    ("board/id in (3 4)", "Expected ',' or ')' in list at column 16", 16),
    ("board/id in ()", "Expected a value after '(' at column 14", 14),
    ("a=1 b=2", "Expected AND, OR or end of input at column 5, found 'b'", 5),
    ("a=[yesterday]", "Invalid datetime [yesterday] at column 3", 3),
    ("a=[2016-08-20", "Unterminated datetime starting at column 3", 3),
    ("a=1 # b", "Unexpected character '#' at column 5", 5),
    ("", "Expected a field name at column 1, found end of input", 1),
    ("a=1 AND", "Expected a field name at column 8, found end of input", 8),
    ("a=1 AND or=2", "Expected a field name at column 9, found 'or'", 9),
    ("(" * 100 + "a=1" + ")" * 100, "nested too deeply", 65),
]


@pytest.mark.parametrize(("text", "message", "column"), SYNTAX_ERRORS)
def test_syntax_errors_quote_the_token_and_column(text: str, message: str, column: int) -> None:
    with pytest.raises(ConditionSyntaxError) as caught:
        parse_conditions(text)
    assert message in str(caught.value)
    assert caught.value.position == column


def test_fields_lists_every_referenced_path() -> None:
    parsed = parse_conditions('status/name="x" OR (closedFlag=false AND _info/lastUpdated>[2020-01-01] AND id in (1))')
    assert parsed.fields() == frozenset({"status/name", "closedFlag", "_info/lastUpdated", "id"})


def test_check_fields_accepts_known_fields_and_the_last_updated_alias() -> None:
    parsed = parse_conditions("Id=1 AND LastUpdated>[2020-01-01] AND closedFlag=false")
    parsed.check_fields(lambda name: name.casefold() in {"id", "closedflag"})


def test_check_fields_raises_unknown_condition_field() -> None:
    known = {"id", "closedflag"}
    parsed = parse_conditions("id=1 AND LastUpdated>[2020-01-01] AND typeids=3 AND other=4")
    with pytest.raises(UnknownConditionField) as caught:
        parsed.check_fields(lambda name: name.casefold() in known)
    assert caught.value.name == "typeids"
    assert str(caught.value) == "typeids is not a recognized name."


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ('PO"1', '"PO\\"1"'),
        ("back\\slash", '"back\\\\slash"'),
        ("x' OR 1=1", '"x\' OR 1=1"'),
        (None, "null"),
        (True, "true"),
        (False, "false"),
        (-42, "-42"),
        (1e20, "100000000000000000000.0"),
        (datetime(2016, 8, 20, 18, 4, 26, tzinfo=UTC), "[2016-08-20T18:04:26Z]"),
        (datetime(2016, 8, 20, 18, 4, 26), "[2016-08-20T18:04:26Z]"),
    ],
)
def test_quote_writes_connectwise_literals(value: Any, literal: str) -> None:
    assert quote(value) == literal


def test_quote_refuses_values_with_no_literal() -> None:
    with pytest.raises(ValueError, match="no literal"):
        quote(float("nan"))


def test_condition_builds_one_comparison() -> None:
    assert condition("poNumber", "=", 'PO"1') == 'poNumber="PO\\"1"'
    assert condition("summary", "NOT  Contains", "Low") == 'summary not contains "Low"'
    assert condition("board/id", "in", [3, 2, 4]) == "board/id in (3, 2, 4)"
    assert condition("closedFlag", "=", False) == "closedFlag=false"


@pytest.mark.parametrize(
    ("field", "op", "value"),
    [("poNumber OR 1", "=", "x"), ("poNumber", "==", "x"), ("id", "in", "123"), ("id", "in", []), ("id", "=", [1])],
)
def test_condition_refuses_anything_that_could_change_the_query_shape(field: str, op: str, value: Any) -> None:
    with pytest.raises(ValueError):
        condition(field, op, value)


def test_all_of_and_any_of_keep_precedence() -> None:
    joined = all_of("a=1 OR b=2", "c=3", "(d=4 OR e=5)")
    assert joined == "((a=1 OR b=2) AND c=3 AND (d=4 OR e=5))"
    assert not parse_conditions(joined).matches({"a": 1, "c": 4, "d": 4})
    assert any_of("a=1 AND b=2", "c=3") == "(a=1 AND b=2 OR c=3)"
    assert all_of("(a=1)") == "(a=1)"
    with pytest.raises(ValueError):
        all_of()
    with pytest.raises(ConditionSyntaxError):
        all_of('poNumber="x', "c=3")
