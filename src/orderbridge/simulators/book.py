"""The demo book: about fifty POs seeded consistently into both simulators.

Most orders are generated (`generate_order`, a fixed seed, so every demo tells the same story); a few
are the situations an MSP meets every week and that the demo should show handled: a PO TD SYNNEX has
never heard of, a back-order, a PO a person cancelled by hand, and a PO nobody marked for tracking.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta

from orderbridge.core.clock import Clock
from orderbridge.simulators.connectwise.context_seed import seed_demo_context
from orderbridge.simulators.connectwise.state import ConnectWiseState
from orderbridge.simulators.tdsynnex.lifecycle import OrderScript, generate_order
from orderbridge.simulators.tdsynnex.state import DEMO_ACCOUNT, TDSynnexState

DEMO_SEED = 20260105
INITIAL_STATUS = "Sent to Vendor"


@dataclass
class DemoBook:
    po_numbers: list[str] = field(default_factory=list)
    scenarios: dict[str, str] = field(default_factory=dict)


def cw_lines_for(script: OrderScript) -> list[dict[str, object]]:
    """The ConnectWise side of a scripted order: one PO line per TD SYNNEX PO line."""
    return [
        {
            "lineNumber": line.line_number,
            "description": line.product_name,
            "product": {"identifier": line.mfg_pn},
            "quantity": line.quantity,
            "vendorSku": line.sku,
            "unitCost": float(line.unit_price),
        }
        for line in script.lines
    ]


def seed_demo_book(
    connectwise: ConnectWiseState,
    tdsynnex: TDSynnexState,
    clock: Clock,
    *,
    orders: int = 50,
    seed: int = DEMO_SEED,
    customer_number: str = DEMO_ACCOUNT.customer_number,
    first_number: int = 1001,
) -> DemoBook:
    rng = random.Random(seed)
    start = clock.now()
    book = DemoBook()
    specials = min(3, max(0, orders - 1))
    for index in range(orders - specials):
        po_number = f"PO-{first_number + index}"
        placed_at = start - timedelta(hours=rng.randint(1, 60))
        profile = "troubled" if index % 10 == 9 else "mixed"
        script = generate_order(
            rng,
            customer_number=customer_number,
            po_number=po_number,
            placed_at=placed_at,
            n_lines=rng.randint(1, 5),
            profile=profile,
        )
        tdsynnex.add_order(script)
        connectwise.add_purchase_order(po_number=po_number, status_name=INITIAL_STATUS, lines=cw_lines_for(script))
        book.po_numbers.append(po_number)
    number = first_number + orders - specials
    if specials >= 1:
        # A PO typed with a wrong number: TD SYNNEX answers notFound, orderbridge reports it every cycle.
        po_number = f"PO-{number}X"
        connectwise.add_purchase_order(
            po_number=po_number,
            status_name=INITIAL_STATUS,
            lines=[{"lineNumber": 1, "description": "Dock", "product": {"identifier": "DOCK-1"}, "quantity": 1}],
        )
        book.po_numbers.append(po_number)
        book.scenarios[po_number] = "unknown at TD SYNNEX (notFound)"
    if specials >= 2:
        # Marked for tracking but a person later cancels it in ConnectWise: the status is theirs.
        po_number = f"PO-{number + 1}"
        script = generate_order(
            rng, customer_number=customer_number, po_number=po_number, placed_at=start, n_lines=2, profile="mixed"
        )
        tdsynnex.add_order(script)
        connectwise.add_purchase_order(po_number=po_number, status_name=INITIAL_STATUS, lines=cw_lines_for(script))
        book.po_numbers.append(po_number)
        book.scenarios[po_number] = "cancelled by a person after the first sync"
    if specials >= 3:
        # Not marked "Send to TDS": orderbridge must leave it alone.
        po_number = f"PO-{number + 2}"
        connectwise.add_purchase_order(
            po_number=po_number,
            status_name="New",
            tracked=False,
            lines=[{"lineNumber": 1, "description": "Cable", "product": {"identifier": "CBL-6"}, "quantity": 4}],
        )
        book.scenarios[po_number] = "not marked Send to TDS (ignored)"
    seed_demo_context(connectwise, book.po_numbers)  # customers, tickets, projects: who reach can tell
    return book
