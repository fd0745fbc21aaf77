"""TDS Released through both simulators: the v2.7 default carries fees on every item, as the real service."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from world import CUSTOMER, simple_order, world

from orderbridge.runners.setup import run_setup
from orderbridge.simulators.tdsynnex.lifecycle import LineEvent, OrderScript
from orderbridge.simulators.tdsynnex.state import DEMO_ACCOUNT
from orderbridge.store import Store


def released_order(po_number: str, start) -> OrderScript:  # type: ignore[no-untyped-def]
    """Accepted an hour ago, released to ship (picking began) just now, shipping in a day."""
    script = simple_order(po_number, start, invoice_after=None)
    line = script.lines[0]
    release = LineEvent(at=start - timedelta(minutes=5), kind="release", order_number="41000001")
    return replace(script, lines=[replace(line, events=[line.events[0], release, *line.events[1:]])])


@pytest.mark.parametrize(("version", "status"), [("2.7", "TDS Accepted"), ("2.4", "TDS Released")])
async def test_a_released_order_reads_released_only_where_fees_can_say_so(
    store: Store, version: str, status: str
) -> None:
    async with world(store) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        w.tds.add_account(replace(DEMO_ACCOUNT, customer_number=CUSTOMER, version=version))
        w.add(released_order("PO-REL", w.clock.now()))
        summary = await w.engine.run_cycle()
        assert (summary.changed, summary.failed) == (1, 0)
        assert w.po("PO-REL")["status"]["name"] == status
        w.clock.advance(timedelta(days=1, hours=1))
        await w.engine.run_cycle()
        assert w.po("PO-REL")["status"]["name"] == "TDS Shipped"
