"""runtime.tune_for_sync: what the sync processes run with (the bench measures the same)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from orderbridge.core.runtime import tune_for_sync


@pytest.fixture
def restored_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored_gc")
def test_start_up_objects_are_frozen_and_collections_keep_their_pace() -> None:
    gc.set_threshold(700, 10, 10)  # CPython's defaults, whatever ran before this test
    gc.unfreeze()
    tune_for_sync()
    assert gc.get_freeze_count() > 10_000  # modules, schemas: what lives after start-up
    # Regression: a young threshold of 50,000 let memory grow with the book (runtime.py's docstring).
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.isenabled()  # later, not never: cycles still get collected

    class Cycle:
        me: object = None

    garbage = Cycle()
    garbage.me = garbage
    del garbage
    assert gc.collect() >= 1  # a reference cycle made after tuning is still found
