"""Process-wide tuning for a process that runs sync cycles (`orderbridge sync`, `run`, `worker`, the bench).

Only the garbage collector. The process holds a few hundred thousand long-lived objects from start-up
(modules, SQLAlchemy's and pydantic's schemas) that every full collection would walk again and never
free, so they are frozen: moved where the collector no longer looks. Cycles made later are still
collected as usual, at CPython's default thresholds: a higher young-generation threshold let one
cycle's garbage live into the next and memory grow with the book (docs/performance.md).
"""

from __future__ import annotations

import gc


def tune_for_sync() -> None:
    """Call once, after start-up and before the first cycle. Safe to call again (it only re-freezes)."""
    gc.collect()  # start-up garbage goes first, so the frozen set is what lives
    gc.freeze()


__all__ = ["tune_for_sync"]
