"""Process-wide tuning for a process that runs sync cycles (`orderbridge sync`, `run`, `worker`, the bench).

Only the garbage collector, for now. A cycle allocates millions of short-lived objects (replies, rows,
dataclasses) and keeps almost none, while the process holds a few hundred thousand long-lived ones
(modules, SQLAlchemy's and pydantic's schemas). With CPython's default thresholds the collector ran a
young collection every 700 net allocations and now and then walked every long-lived object, which
was about 6% of a cycle's CPU (docs/performance.md) and found almost nothing: the engine's data has
no reference cycles worth the walk. So what exists after start-up is frozen (never scanned again), and
young collections run less often. Memory stays bounded: reference counting still frees almost
everything at once, and the collector still runs, only later.
"""

from __future__ import annotations

import gc

# Young objects allowed before a collection (CPython's default is 700). At 50,000 a young collection
# still runs every few hundred POs and scans only what they left behind.
YOUNG_THRESHOLD = 50_000


def tune_for_sync() -> None:
    """Call once, after start-up and before the first cycle. Safe to call again (it only re-freezes)."""
    gc.collect()  # start-up garbage goes first, so the frozen set is what lives
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)


__all__ = ["YOUNG_THRESHOLD", "tune_for_sync"]
