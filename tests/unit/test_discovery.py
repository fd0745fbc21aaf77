"""Discovery's pure parts: `id in (...)` chunks that keep URLs under 2,000 characters."""

from __future__ import annotations

import httpx
from hypothesis import given
from hypothesis import strategies as st

from orderbridge.connectwise.client import PO_PATH
from orderbridge.sync.discovery import MAX_URL, by_id_condition, chunk_ids

BASE = "https://api-na.myconnectwise.net/v4_6_release/apis/3.0"
PARAMS = {"customFieldConditions": '(caption="Send to TDS" AND value=true)', "pageSize": 1000}


def url_length(ids: list[int]) -> int:
    return len(str(httpx.URL(BASE + PO_PATH, params={**PARAMS, "conditions": by_id_condition(ids)})))


def test_six_digit_ids_fit_about_180_to_a_url() -> None:
    chunks = chunk_ids(BASE, PARAMS, list(range(100_000, 101_000)))
    assert [len(chunk) for chunk in chunks[:-1]] == [len(chunks[0])] * (len(chunks) - 1)
    assert 150 <= len(chunks[0]) <= 200
    assert all(url_length(chunk) <= MAX_URL for chunk in chunks)
    assert url_length([*chunks[0], 100_999]) > MAX_URL, "each chunk is as full as the limit allows"


def test_the_condition_names_the_ids_in_order() -> None:
    assert by_id_condition([3, 1]) == "id in (3, 1)"


@given(st.lists(st.integers(min_value=1, max_value=10**12), unique=True, max_size=600))
def test_chunks_cover_every_id_once_in_order_and_each_url_fits(ids: list[int]) -> None:
    chunks = chunk_ids(BASE, PARAMS, ids)
    assert [po_id for chunk in chunks for po_id in chunk] == ids
    assert all(chunk and url_length(chunk) <= MAX_URL for chunk in chunks)


def test_no_ids_no_chunks() -> None:
    assert chunk_ids(BASE, PARAMS, []) == []
