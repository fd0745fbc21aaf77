"""The priming routes leave the same ConnectWise book and the same store, and the bench's marks count right.

`--prime subprocess` runs the priming cycle in a process of its own over loopback sockets; `inprocess` in
the simulator process with the clients mounted on the apps; `cycle` in the bench process over loopback
sockets. With the same start (so the same TD SYNNEX book) they must be indistinguishable to the measured
cycles: the same book digest (every PO, line and note, ConnectWise's own clock stamps left out), the same
store digest (answer fingerprints, invoice counts, stage, ownership, event keys, clock-free facts), and
the same first and second cycle. Latency is scaled down and nothing is timed: the machine is shared.
"""

from __future__ import annotations

import io
from array import array
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from tools.bench.marks import StoreMarks
from tools.bench.run import BenchOptions, run_bench

START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def small(**changes: Any) -> BenchOptions:
    """30 POs with latency cut to a few milliseconds, so both cycles take well under a second."""
    return replace(BenchOptions(orders=30, start=START, tds_latency=(0.004, 0.02), cw_latency=(0.002, 0.01)), **changes)


@pytest.mark.parametrize("route", ["subprocess", "inprocess"])
async def test_every_priming_route_leaves_the_book_and_store_of_a_priming_cycle_here(route: str) -> None:
    fast = await run_bench(small(prime=route), log=io.StringIO())
    slow = await run_bench(small(prime="cycle"), log=io.StringIO())
    assert fast["detail"]["priming"]["route"] == route
    assert slow["detail"]["priming"]["route"] == "cycle"
    # The digests are over rows that exist: 30 POs synced, each written at least once.
    assert fast["detail"]["priming"]["seen"] == 30
    assert fast["detail"]["primed"]["writes_logged"] >= 30
    assert fast["detail"]["primed"] == slow["detail"]["primed"]
    assert fast["detail"]["priming"]["writes"] == slow["detail"]["priming"]["writes"]
    assert fast["detail"]["changes"] == slow["detail"]["changes"]
    assert fast["detail"]["calls_by_kind"] == slow["detail"]["calls_by_kind"]
    assert fast["result"]["second_cycle_writes"] == slow["result"]["second_cycle_writes"] == 0
    assert fast["detail"]["changes"]["answers_changed"] > 0  # the clock moved: the first cycle had work
    assert "priming ran in another process" in fast["detail"]["peak_rss"]["covers"]
    assert slow["detail"]["peak_rss"]["covers"] == "priming and both measured cycles"


async def test_a_different_book_gives_a_different_digest() -> None:
    # The comparison above can fail: another start places the orders differently, and both digests see it.
    first = await run_bench(small(), log=io.StringIO())
    other = await run_bench(small(start=START.replace(hour=20)), log=io.StringIO())
    assert first["detail"]["primed"]["book"] != other["detail"]["primed"]["book"]
    assert first["detail"]["primed"]["store"] != other["detail"]["primed"]["store"]


async def test_an_unknown_priming_route_is_refused() -> None:
    with pytest.raises(ValueError, match="subprocess, inprocess, cycle"):
        await run_bench(BenchOptions(orders=1, prime="bulk"), log=io.StringIO())


def test_marks_count_changed_answers_and_new_invoices() -> None:
    a, b, gone = b"A" * 8, b"B" * 8, bytes(8)
    before = StoreMarks(answers=a + a + gone + a, invoices=array("I", [0, 1, 0, 2]), state="s")
    after = StoreMarks(answers=a + b + a + a, invoices=array("I", [1, 1, 0, 1]), state="s")
    assert before.answers_changed(after) == 2  # the second changed, the third appeared
    assert before.pos_with_new_invoices(after) == 1  # a lost invoice is not a new one
    assert before.digest() != after.digest()
    assert before.digest() == StoreMarks(before.answers, array("I", before.invoices), "s").digest()
