"""`for_terminal`: no control, bidi or separator character survives; everything else is left alone."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from orderbridge.core.terminal import for_terminal

BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def test_escape_sequences_and_bidi_overrides_are_shown() -> None:
    assert for_terminal("PO-\x1b[2J\u202e1001") == "PO-\\x1b[2J\\u202e1001"
    assert for_terminal("\x1b]8;;https://x\x07link\x9b31m") == "\\x1b]8;;https://x\\x07link\\x9b31m"
    assert for_terminal("a\rb\u2028c\x00") == "a\\x0db\\u2028c\\x00"


def test_layout_and_ordinary_text_are_kept() -> None:
    assert for_terminal("line one\n\tline two") == "line one\n\tline two"
    assert for_terminal("Müller GmbH – 東京 [http] timeout_s") == "Müller GmbH – 東京 [http] timeout_s"
    assert for_terminal(None) == "" and for_terminal(42) == "42"


def test_one_line_values_escape_newlines_too() -> None:
    assert for_terminal("PO-1\nFAIL  forged", newlines=False) == "PO-1\\x0aFAIL  forged"


@given(st.text())
def test_nothing_unsafe_survives(text: str) -> None:
    out = for_terminal(text)
    for char in out:
        assert char in "\n\t" or unicodedata.category(char) != "Cc"
        assert char not in BIDI and char not in "\u2028\u2029"


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Zl", "Zp", "Cs"))))
def test_printable_text_is_unchanged(text: str) -> None:
    assert for_terminal(text) == text
