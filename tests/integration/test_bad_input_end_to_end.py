"""Hostile TD SYNNEX answers through the real path: the simulator serves golden payloads, ConnectWise gets
nothing of a refused PO, the others sync, and cleaned free text is all a note carries."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from world import simple_order, world

from orderbridge.runners.setup import run_setup
from orderbridge.store import Store

PAYLOADS = Path(__file__).resolve().parents[1] / "payloads" / "tdsynnex"
REFUSED = {
    "PO-HOSTILE-1": ("hostile-bidi-tracking-number.xml", "tracking number '5418\\u202e77002320'", "U+202E"),
    "PO-HOSTILE-2": ("hostile-c1-serial-number.xml", "serial number", "U+0085"),
    "PO-HOSTILE-3": ("hostile-zero-width-order-number.xml", "sales order number", "U+200B"),
    "PO-HOSTILE-4": ("hostile-year-9999-ship-date.xml", "EstimatedShipDate 9999-12-31", "plausible window"),
    "PO-HOSTILE-5": ("hostile-negative-quantity.xml", "OrderQuantity -2", "negative"),
}
LINE = [{"lineNumber": 1, "product": {"identifier": "C1E21UT#ABA"}, "quantity": 2, "vendorSku": "3396979"}]


async def test_refused_values_never_reach_connectwise_and_every_other_po_syncs(store: Store) -> None:
    async with world(store) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        ids = {}
        for po_number, (payload, _, _) in {**REFUSED, "PO-HOSTILE-6": ("hostile-free-text.xml", "", "")}.items():
            record = w.cw.add_purchase_order(po_number=po_number, status_name="Sent to Vendor", lines=LINE)
            ids[po_number] = record["id"]
            body = (PAYLOADS / payload).read_text(encoding="utf-8")
            w.tds.faults.add("answer", po_number=po_number, body=body, channel="status")
        for number in range(3):
            w.add(simple_order(f"PO-GOOD-{number}", w.clock.now(), ship_after=timedelta(hours=-0.5)))
        w.cw.request_log.clear()

        summary = await w.engine.run_cycle()

        failed = dict(summary.failures)
        assert set(failed) == set(REFUSED)
        for po_number, (_, field, detail) in REFUSED.items():
            assert field in failed[po_number] and detail in failed[po_number], failed[po_number]
            assert "nothing of this PO was written to ConnectWise" in failed[po_number]
        touched = {entry.resource for entry in w.cw.request_log.writes()}
        for po_number in REFUSED:
            assert not any(f"/purchaseorders/{ids[po_number]}" in resource for resource in touched), po_number
            assert w.po(po_number)["status"]["name"] == "Sent to Vendor"
        for number in range(3):
            assert w.po(f"PO-GOOD-{number}")["status"]["name"] == "TDS Shipped"

        # Free text is cleaned, not refused: the PO syncs and what ConnectWise holds is printable.
        cleaned = w.po("PO-HOSTILE-6")
        assert cleaned["status"]["name"] == "TDS Shipped" and cleaned["trackingNumber"] == "541877002320"
        notes = [note["text"] for note in w.cw.notes(ids["PO-HOSTILE-6"])]
        assert notes and all(text.isprintable() for text in notes)
        assert any("FedEx Ground" in text for text in notes)
        assert summary.balanced and summary.changed == 4
