"""Untrusted text made safe for a terminal: escape sequences and invisible controls shown, not obeyed.

PO numbers, TD SYNNEX and ConnectWise values and the error messages that quote them reach an
operator's terminal in `show`, `log`, `doctor` and the rest. A value holding ESC can clear the screen,
retitle the window or forge a hyperlink (CSI/OSC sequences), and a bidi override (U+202E) makes
"PO-1001" read as another number. Every such character is printed as its Python escape (`\\x1b`,
`\\u202e`) so a person sees that it is there. JSON and CSV output stay data and are not passed here.
"""

from __future__ import annotations

import unicodedata

# The Unicode bidi controls (embeddings, overrides, isolates, marks; UAX #9): invisible, yet they reorder
# what is shown. The line and paragraph separators break a line where the terminal draws none.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_SEPARATORS = frozenset("\u2028\u2029")
# Newline and tab lay text out and carry no escape sequence; multi-line error messages keep them.
_LAYOUT = frozenset("\n\t")


def _escaped(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _unsafe(char: str) -> bool:
    # Category Cc is C0 (U+0000-001F), DEL and C1 (U+0080-009F): ESC and CSI (U+009B) start sequences.
    return char in _BIDI or char in _SEPARATORS or (unicodedata.category(char) == "Cc" and char not in _LAYOUT)


def for_terminal(value: object, *, newlines: bool = True) -> str:
    """`value` as text with every control, bidi and separator character escaped; `None` is ''.

    `newlines=False` escapes newline and tab too, for values that must stay on one line (a PO number
    in a heading)."""
    if value is None:
        return ""
    text = str(value)
    if text.isascii() and text.isprintable():  # the common case: nothing to do
        return text
    return "".join(_escaped(char) if _unsafe(char) or (not newlines and char in _LAYOUT) else char for char in text)
