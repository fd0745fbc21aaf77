"""Shared PO numbers (sync/duplicates.py): found whatever the order, case or spacing; every PO named."""

from __future__ import annotations

from collections import defaultdict

from hypothesis import given
from hypothesis import strategies as st

from orderbridge.sync.duplicates import NumberIndex, number_key


def test_case_and_spaces_do_not_make_a_number_distinct() -> None:
    assert number_key(" po-12 ") == number_key("PO-12") == number_key("PO -12") == "po-12"
    assert number_key("PO-12") != number_key("PO-120")


def test_three_pos_share_a_number_and_each_message_names_all_three() -> None:
    index = NumberIndex()
    for po_id, number in ((40, "PO-7"), (12, "po-7"), (9, "PO-8"), (41, " PO-7"), (50, None), (51, "  ")):
        index.add(po_id, number)
    problems = index.problems()
    assert set(problems) == {12, 40, 41}
    assert problems[12] == (
        "PO number PO-7 is on ConnectWise POs #12, #40 and #41; TD SYNNEX cannot tell them apart: "
        "give one of them a distinct number"
    )


def test_a_po_listed_twice_is_not_its_own_duplicate() -> None:
    index = NumberIndex()
    index.add(7, "PO-1")
    index.add(7, "PO-1")
    assert index.problems() == {}


numbers = st.sampled_from(["PO-1", "po-1", " PO-1", "PO-2", "PO-3", "p o-3", "", None])


@given(st.lists(st.tuples(st.integers(1, 60), numbers), max_size=40, unique_by=lambda pair: pair[0]))
def test_exactly_the_pos_whose_key_is_shared_are_reported(pairs: list[tuple[int, str | None]]) -> None:
    index = NumberIndex()
    by_key: dict[str, set[int]] = defaultdict(set)
    for po_id, number in pairs:
        index.add(po_id, number)
        if number and number.strip():
            by_key[number_key(number)].add(po_id)
    problems = index.problems()
    assert set(problems) == {po_id for ids in by_key.values() if len(ids) > 1 for po_id in ids}
    for po_id, message in problems.items():
        assert f"#{po_id}" in message
