"""PageWindow keeps the last pages admitted and names the ids of each page that falls out."""

from __future__ import annotations

from orderbridge.store.pagewindow import PageWindow


def test_the_oldest_page_falls_out_once_the_window_is_full() -> None:
    window = PageWindow(pages=2)
    assert window.admit([1, 2]) == []
    assert window.admit(iter([3])) == []
    assert window.admit([4, 5]) == [1, 2]
    window.clear()
    assert window.admit([6]) == [] and window.admit([7]) == [] and window.admit([8]) == [6]
