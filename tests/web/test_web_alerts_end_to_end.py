"""End to end: the real engine over both simulators, with the operator hooks wired as the engine will
wire them. An alert opens once, stays one alert, and resolves by itself; a shipment notifies with its
tracking link; the dashboard shows both."""

from __future__ import annotations

from datetime import timedelta

from starlette.testclient import TestClient
from web_fixtures import Webhook
from world import simple_order, world

from orderbridge.runners.operator import OperatorHooks
from orderbridge.runners.setup import run_setup
from orderbridge.simulators.book import cw_lines_for
from orderbridge.store import Store
from orderbridge.store.alerts import list_alerts
from orderbridge.store.facts import load_facts
from orderbridge.sync.engine import Engine
from orderbridge.web.app import create_app


async def test_not_found_alert_opens_once_and_resolves_when_td_synnex_knows_the_po(store: Store) -> None:
    async with world(store, alerts={"not_found_hours": 24}) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        hooks = OperatorHooks(w.tenant.settings, store, w.tenant.name)
        engine = Engine(w.tenant, hooks=hooks)
        script = simple_order("PO-900", w.clock.now() + timedelta(days=2))
        # Typed into ConnectWise before TD SYNNEX has the order: notFound.
        po = w.cw.add_purchase_order(po_number="PO-900", status_name="Sent to Vendor", lines=cw_lines_for(script))
        await engine.run_cycle()
        assert hooks.last_alerts.opened == ()  # not for 24 hours yet
        for _ in range(3):
            w.clock.advance(timedelta(hours=12))
            await engine.run_cycle()
        alerts = list_alerts(store, tenant="default", state="all")
        assert [(a.rule, a.po_number, a.is_open) for a in alerts] == [("not_found", "PO-900", True)]
        assert "notFound for 36 hours" in alerts[0].message

        w.tds.add_order(script)
        w.clock.advance(timedelta(days=1))
        await engine.run_cycle()
        assert [a.rule for a in hooks.last_alerts.resolved] == ["not_found"]
        assert list_alerts(store, tenant="default", state="open") == []
        facts = load_facts(store, "default", [po["id"]])[po["id"]]
        assert facts.not_found_since is None and facts.stage is not None

        html = TestClient(create_app(w.tenant.settings, store, clock=w.clock)).get("/alerts?state=resolved").text
        assert "PO-900" in html and "Resolved" in html


async def test_a_shipment_notifies_a_webhook_with_its_tracking_link(store: Store, webhook: Webhook) -> None:
    notifications = {"urls": [f"json://127.0.0.1:{webhook.port}/"], "stage_changes": ["shipped"]}
    async with world(store, notifications=notifications) as w:
        await run_setup(w.tenant.settings, w.tenant.connectwise)
        hooks = OperatorHooks(w.tenant.settings, store, w.tenant.name)
        engine = Engine(w.tenant, hooks=hooks)
        w.add(simple_order("PO-901", w.clock.now(), tracking="541877002320"))
        await engine.run_cycle()
        assert webhook.bodies == []  # accepted is not a chosen stage
        w.clock.advance(timedelta(days=1, hours=1))
        await engine.run_cycle()
        assert (hooks.last_notify.sent, hooks.last_notify.failed) == (1, 0)
        [body] = webhook.bodies
        assert body["title"] == "[orderbridge] PO-901: Shipped"
        assert "https://www.fedex.com/fedextrack/?trknbr=541877002320" in str(body["message"])
        w.clock.advance(timedelta(hours=1))
        await engine.run_cycle()
        assert len(webhook.bodies) == 1  # nothing new, nothing sent
