"""Line-level truth end to end: partial shipments weeks apart, invoices, Closed, packages, the Partner API."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from world import CUSTOMER, simple_order, world

from orderbridge.core.domain import Package
from orderbridge.runners.setup import run_setup
from orderbridge.simulators.tdsynnex.lifecycle import LineEvent, LineScript, OrderScript
from orderbridge.store import ActivityFilter, Store
from orderbridge.store.invoices import load_invoices

DAY = timedelta(days=1)


def three_part_order(po_number: str, start: datetime) -> OrderScript:
    """Line 1 ships on day 1 (sales order A, invoiced day 2); lines 2 and 3 leave a week apart on sales
    order B (days 8 and 15) and are invoiced together on day 16: three shipments, two invoices."""

    def line(number: int, so: str, ship_day: int, invoice_day: int, tracking: str) -> LineScript:
        return LineScript(
            number,
            f"33{number}6979",
            f"MPN-{number}",
            f"Laptop model {number}",
            1,
            Decimal("899.00"),
            [
                LineEvent(start - timedelta(hours=1), "accept", so, "SO", 1, "6", "FG"),
                LineEvent(
                    start + ship_day * DAY,
                    "ship",
                    so,
                    quantity=1,
                    warehouse="6",
                    ship_method="FG",
                    packages=(Package(tracking, ship_item_quantity=1, serial_numbers=(f"SN{number}00{number}",)),),
                ),
                LineEvent(start + invoice_day * DAY, "invoice", so),
            ],
        )

    return OrderScript(
        customer_number=CUSTOMER,
        po_number=po_number,
        placed_at=start - timedelta(hours=1),
        lines=[
            line(1, "41000101", 1, 2, "541877000101"),
            line(2, "41000102", 8, 16, "541877000202"),
            line(3, "41000102", 15, 16, "541877000303"),
        ],
    )


async def test_a_po_shipped_in_three_parts_ends_invoiced_twice_then_closed(store: Store) -> None:
    async with world(store) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        start = w.clock.now()
        record = w.add(three_part_order("PO-3P", start))
        po_id = record["id"]
        statuses = []
        for day in (0.5, 1.5, 8.5, 15.5, 16.5, 23.5):
            w.clock.set(start + timedelta(days=day))
            await w.engine.run_cycle()
            statuses.append(w.po("PO-3P")["status"]["name"])
        assert statuses == [
            "TDS Accepted",
            "TDS Shipped",
            "TDS Shipped",
            "TDS Shipped",
            "TDS Invoiced",
            "TDS Closed",
        ]
        lines = {line["lineNumber"]: line for line in w.cw.line_items(po_id)}
        assert {n: lines[n]["trackingNumber"] for n in lines} == {
            1: "541877000101",
            2: "541877000202",
            3: "541877000303",
        }
        ship_days = {n: lines[n]["shipDate"][:10] for n in lines}
        assert len(set(ship_days.values())) == 3, ship_days
        assert lines[3]["serialNumbers"] == "SN3003"
        events = store.events_for("default", po_id)
        assert sum(event.kind == "shipment" for event in events) == 3
        assert [e.stage.name for e in events if e.kind == "stage_changed" and e.stage] == [
            "ACCEPTED",
            "SHIPPED",
            "INVOICED",
            "CLOSED",
        ]
        invoices = load_invoices(store, "default", [po_id])[po_id]
        assert len(invoices) == 2
        po = w.po("PO-3P")
        assert po["vendorInvoiceNumber"] and po["closedFlag"] is True
        notes = " ".join(note["text"] for note in w.cw.notes(po_id))
        for invoice in invoices:
            assert invoice.invoice_number in notes
        assert len(w.cw.notes(po_id)) == len({e.note_id for e in events if e.note_id})


async def test_six_packages_keep_all_six_tracking_numbers_in_connectwise(store: Store) -> None:
    async with world(store, sync={"tracking_numbers_field": "TDS Tracking"}) as w:
        w.cw.add_custom_field("TDS Tracking", type="Text")
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        start = w.clock.now()
        numbers = [f"7712345678{n:02d}" for n in range(6)]
        script = simple_order("PO-6P", start, ship_after=timedelta(hours=-0.5), invoice_after=None, quantity=6)
        ship = script.lines[0].events[1]
        packages = tuple(Package(number, ship_item_quantity=1) for number in numbers)
        line = script.lines[0]
        events = [
            line.events[0],
            LineEvent(
                ship.at, "ship", ship.order_number, quantity=6, warehouse="6", ship_method="FG", packages=packages
            ),
        ]
        script = OrderScript(
            customer_number=CUSTOMER,
            po_number="PO-6P",
            placed_at=script.placed_at,
            lines=[LineScript(1, line.sku, line.mfg_pn, line.product_name, 6, line.unit_price, events)],
        )
        record = w.add(script)
        await w.engine.run_cycle()
        po = w.po("PO-6P")
        custom = {field["caption"]: field.get("value") for field in po["customFields"]}
        assert all(number in (custom["TDS Tracking"] or "") for number in numbers)
        notes = " ".join(note["text"] for note in w.cw.notes(record["id"]))
        assert all(number in notes for number in numbers)
        assert po["trackingNumber"] in numbers


async def test_a_hand_marked_po_known_only_by_sales_order_reaches_shipped_through_the_partner_api(
    store: Store,
) -> None:
    partner = {
        "enabled": True,
        "base_url": "https://tds.sim",
        "token_url": "https://tds.sim/oauth2/v1/token",
        "client_id": "demo-partner",
        "client_secret": "demo-partner-secret",
    }
    async with world(store, partner=partner) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        start = w.clock.now()
        # TD SYNNEX knows the order under the web-order number; the person typed their own PO number
        # in ConnectWise and pasted only the sales-order number into vendorOrderNumber.
        w.tds.add_order(simple_order("WEB-88812", start, order_number="41009001", ship_after=timedelta(hours=-0.5)))
        script = simple_order("PO-HAND", start)
        record = w.cw.add_purchase_order(
            po_number="PO-HAND",
            status_name="Sent to Vendor",
            vendor_order_number="41009001",
            lines=[
                {
                    "lineNumber": 1,
                    "description": "SBUY PRO",
                    "product": {"identifier": "C1E21UT#ABA"},
                    "quantity": 2,
                    "vendorSku": script.lines[0].sku,
                }
            ],
        )
        summary = await w.engine.run_cycle()
        assert summary.failed == 0, summary.failures
        po = w.po("PO-HAND")
        assert po["status"]["name"] == "TDS Shipped"
        assert po["trackingNumber"] == "541877002320"
        assert w.tenant.partner is not None and w.tenant.partner.token_fetches == 1
        observed = store.query_activity(ActivityFilter(tenant="default", po_id=record["id"], actions=("observe",)))
        assert any(entry.field == "Partner API" for entry in observed)
