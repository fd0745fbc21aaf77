"""The benchmark book: N tracked POs with 2-5 lines each, spread over a week so every stage occurs.

Orders are generated with the simulator's own lifecycle scripts under a fixed seed, so two runs with
the same N see the same book. Placement times are spread over the week before the simulated "now";
TD SYNNEX scripts then decide each order's stage at any moment, which gives the realistic mix of
accepted, back-ordered, shipped and invoiced orders the cycles see.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from orderbridge.simulators.book import INITIAL_STATUS, cw_lines_for
from orderbridge.simulators.connectwise.state import ConnectWiseState
from orderbridge.simulators.tdsynnex.lifecycle import generate_order
from orderbridge.simulators.tdsynnex.state import DEMO_ACCOUNT, TDSynnexState

BENCH_SEED = 20261201
SPREAD = timedelta(days=7)


def po_number(index: int) -> str:
    return f"BP-{index:07d}"


def seed_book(cw: ConnectWiseState, tds: TDSynnexState, *, orders: int, now: datetime, seed: int = BENCH_SEED) -> int:
    """Seed `orders` POs into both simulators; returns the number of PO lines seeded."""
    rng = random.Random(seed)
    lines = 0
    spread_s = int(SPREAD.total_seconds())
    for index in range(orders):
        script = generate_order(
            rng,
            customer_number=DEMO_ACCOUNT.customer_number,
            po_number=po_number(index),
            placed_at=now - timedelta(seconds=rng.randint(3600, spread_s)),
            n_lines=rng.randint(2, 5),
            profile="troubled" if index % 20 == 19 else "mixed",
        )
        tds.add_order(script)
        cw_lines = cw_lines_for(script)
        lines += len(cw_lines)
        cw.add_purchase_order(po_number=script.po_number, status_name=INITIAL_STATUS, lines=cw_lines)
    return lines
