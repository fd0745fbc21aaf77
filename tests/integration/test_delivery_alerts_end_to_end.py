"""Delivery alerts end to end: the carrier simulators are forced into each journey (an exception, a return,
a delivery elsewhere, a slipped estimate, a number no carrier knows), the live engine follows them, and
each PO gets the one alert its packages call for; a clean delivery gets none. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from test_delivery_end_to_end import CARRIERS_ON, order
from world import world

from orderbridge.alerts.rules import (
    CARRIER_EXCEPTION,
    DELIVERED_ELSEWHERE_OR_RETURNED,
    DELIVERY_SLIPPED,
    NO_CARRIER_SCAN,
)
from orderbridge.runners.setup import run_setup
from orderbridge.simulators.carriers.journeys import ScriptedStep
from orderbridge.simulators.carriers.state import NumberScript
from orderbridge.store import Store
from orderbridge.store.alerts import open_alerts


async def test_each_forced_journey_opens_its_alert(store: Store) -> None:
    async with world(store, carriers=CARRIERS_ON) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        start = w.clock.now()
        ship_day = (start + timedelta(days=1)).date()
        journeys = {
            "PO-901": ("797615460901", NumberScript(outcome="exception")),
            "PO-902": (
                "797615460902",
                NumberScript(
                    steps=(
                        ScriptedStep(-2, "label_created"),
                        ScriptedStep(1, "picked_up"),
                        ScriptedStep(20, "returning", note="refused"),
                        ScriptedStep(40, "returned"),
                    )
                ),
            ),
            "PO-903": (
                "797615460903",
                NumberScript(
                    steps=(
                        ScriptedStep(-2, "label_created"),
                        ScriptedStep(1, "picked_up"),
                        ScriptedStep(30, "delivered_elsewhere"),
                    )
                ),
            ),
            "PO-904": (
                "797615460904",
                NumberScript(
                    steps=(
                        ScriptedStep(-2, "label_created", estimate=ship_day + timedelta(days=3)),
                        ScriptedStep(1, "picked_up"),
                        ScriptedStep(20, "delayed", estimate=ship_day + timedelta(days=7), note="weather"),
                    )
                ),
            ),
            "PO-905": ("797615460905", NumberScript(answer="not_found")),
            "PO-906": ("797615460906", NumberScript(outcome="delivered")),
        }
        for po_number, (number, script) in journeys.items():
            w.carriers.set_script(number, script)
            w.add(order(po_number, start, numbers=(number,)))
        ids = {po_number: w.po(po_number)["id"] for po_number in journeys}

        end = start + timedelta(days=5)
        while w.clock.now() < end:
            await w.engine.run_cycle()
            w.clock.advance(timedelta(hours=6))
        await w.engine.run_cycle()

        found = {(po_id, rule) for po_id, rule in open_alerts(store, "default")}
        by_po = {po_number: {rule for po_id, rule in found if po_id == ids[po_number]} for po_number in journeys}
        assert by_po == {
            "PO-901": {CARRIER_EXCEPTION},
            "PO-902": {DELIVERED_ELSEWHERE_OR_RETURNED},
            "PO-903": {DELIVERED_ELSEWHERE_OR_RETURNED},
            "PO-904": {DELIVERY_SLIPPED},
            "PO-905": {NO_CARRIER_SCAN},
            "PO-906": set(),
        }
        alerts = open_alerts(store, "default")
        assert alerts[(ids["PO-905"], NO_CARRIER_SCAN)].details["tracking_numbers"] == ["797615460905"]
        assert "returned to the sender" in alerts[(ids["PO-902"], DELIVERED_ELSEWHERE_OR_RETURNED)].message
