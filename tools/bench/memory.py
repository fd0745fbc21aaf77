"""Where the bench process's memory goes during the measured cycles (`ORDERBRIDGE_BENCH_TRACEMALLOC`).

Peak RSS says how much, not what. With `ORDERBRIDGE_BENCH_TRACEMALLOC=/path/prefix` set, the measured
cycles run under `tracemalloc`; a background task takes a snapshot every few seconds and keeps the
largest, and after each cycle the top allocation sites of that snapshot are written to
`<prefix>-<cycle>.txt` with the traced peak. Comparing the files of two book sizes shows what grows with
N. It slows the cycle down (tracemalloc hooks every allocation), so its timings are not figures.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path

ENV = "ORDERBRIDGE_BENCH_TRACEMALLOC"
EVERY_S = 2.0
TOP = 25


@contextlib.asynccontextmanager
async def traced(label: str) -> AsyncIterator[None]:
    """Trace allocations around one measured cycle when the environment asks for it; else do nothing."""
    prefix = os.environ.get(ENV)
    if not prefix:
        yield
        return
    tracemalloc.start(8)
    largest: list[tracemalloc.Snapshot | None] = [None]
    largest_size = [0]

    async def sample() -> None:
        while True:
            await asyncio.sleep(EVERY_S)
            size, _ = tracemalloc.get_traced_memory()
            if size > largest_size[0]:
                largest[0], largest_size[0] = tracemalloc.take_snapshot(), size

    sampler = asyncio.create_task(sample())
    try:
        yield
    finally:
        sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler
        _, peak = tracemalloc.get_traced_memory()
        snapshot = largest[0] or tracemalloc.take_snapshot()
        tracemalloc.stop()
        lines = [f"traced peak {peak / 2**20:.1f} MiB; largest sample {largest_size[0] / 2**20:.1f} MiB"]
        for stat in snapshot.statistics("traceback")[:TOP]:
            lines.append(f"{stat.size / 2**20:8.2f} MiB {stat.count:8d} blocks")
            lines.extend(f"    {line}" for line in stat.traceback.format()[-6:])
        _write(Path(f"{prefix}-{label}.txt"), lines)


def _write(path: Path, lines: list[str]) -> None:
    # Between cycles, outside the measured time: blocking the loop here costs nothing measured.
    path.write_text("\n".join(lines) + "\n")
