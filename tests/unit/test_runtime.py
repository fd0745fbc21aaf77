"""runtime.tune_for_sync: what the sync processes run with (the bench measures the same)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from orderbridge.runtime import YOUNG_THRESHOLD, tune_for_sync


@pytest.fixture
def restored_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored_gc")
def test_start_up_objects_are_frozen_and_young_collections_run_less_often() -> None:
    gc.unfreeze()
    tune_for_sync()
    assert gc.get_freeze_count() > 10_000  # modules, schemas: what lives after start-up
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD
    assert gc.isenabled()  # later, not never: cycles still get collected

    class Cycle:
        me: object = None

    garbage = Cycle()
    garbage.me = garbage
    del garbage
    assert gc.collect() >= 1  # a reference cycle made after tuning is still found
