"""Process-wide tuning for a process that runs sync cycles (`orderbridge sync`, `run`, `worker`, the bench).

Only the garbage collector. The process holds a few hundred thousand long-lived objects from start-up
(modules, SQLAlchemy's and pydantic's schemas) that every full collection would walk again and never
free, so they are frozen: moved where the collector no longer looks. Cycles made later are still
collected as usual.

The young generation keeps CPython's threshold on purpose. The second performance pass also raised
it to 50,000 objects; that bought no measurable CPU (back to back at N=2,000: 1.50-1.55 s first-cycle
CPU with it, 1.46-1.57 s without) and cost memory that grew with the book: peak RSS at N=30,000 was
107.7 MB with it and 98.0 MB without, 128.1 MB at N=100,000 (docs/performance.md). A cycle's
teardown garbage (closed connections, the engine's caches) then waited into the next cycle, and
memory once spread that way is not handed back.
"""

from __future__ import annotations

import gc


def tune_for_sync() -> None:
    """Call once, after start-up and before the first cycle. Safe to call again (it only re-freezes)."""
    gc.collect()  # start-up garbage goes first, so the frozen set is what lives
    gc.freeze()


__all__ = ["tune_for_sync"]
