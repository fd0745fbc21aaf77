"""Ship dates in PO notes are TD SYNNEX's calendar days, in TD SYNNEX's own zone ([tdsynnex] timezone).

TD SYNNEX's XML carries local times without an offset; the codec hands them over in UTC. A package that
left a Pacific warehouse at 17:30 is 01:30 UTC the next day, and 4 of 7 shipment notes of a real 2025
answer named that next day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from world import simple_order, world

from orderbridge.core.domain import (
    DistributorLine,
    DistributorOrder,
    Package,
    Plan,
    PurchaseOrder,
    Reference,
    Stage,
    StatusCode,
)
from orderbridge.reports.facts import facts_row
from orderbridge.runners.setup import run_setup
from orderbridge.store import Store

PACIFIC = ZoneInfo("America/Los_Angeles")


async def test_a_1730_pacific_shipment_is_noted_on_that_day(store: Store) -> None:
    async with world(store) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        day = w.clock.now().astimezone(PACIFIC).date() - timedelta(days=1)
        shipped_at = datetime.combine(day, time(17, 30), PACIFIC)
        assert shipped_at.astimezone(UTC).date() == day + timedelta(days=1)  # the case that went wrong
        start = shipped_at - timedelta(days=1)
        record = w.add(simple_order("PO-EVENING", start, ship_after=timedelta(days=1), invoice_after=None))
        await w.engine.run_cycle()
        notes = " ".join(str(note["text"]) for note in w.cw.notes(record["id"]))
    assert f"shipped {day.isoformat()} via" in notes, notes
    assert f"shipped {(day + timedelta(days=1)).isoformat()}" not in notes


def test_the_reports_first_ship_date_is_tdsynnex_day_too() -> None:
    shipped_at = datetime(2026, 3, 3, 17, 30, tzinfo=PACIFIC).astimezone(UTC)  # as the codec gives it
    line = DistributorLine(
        1, StatusCode.SHIPPED, "shipped", order_number="41000001", ship_datetime=shipped_at, packages=(Package("1"),)
    )
    order = DistributorOrder("100001", "PO-7", StatusCode.SHIPPED, "shipped", lines=(line,))
    po = PurchaseOrder(id=7, po_number="PO-7", status=Reference(1, "TDS Shipped"))
    row = facts_row("t", po, order, Plan(po_id=7, po_number="PO-7", stage=Stage.SHIPPED), shipped_at, None)
    assert row.first_ship_date == date(2026, 3, 3)
