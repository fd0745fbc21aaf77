"""The PO page's "Who was told what": one row per message reach decided, sent or skipped and why."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.testclient import TestClient

from orderbridge.config import Settings
from orderbridge.store import EventRecord, Store
from orderbridge.store.outbox import OutboxMessage, decide
from orderbridge.store.reach_events import record_events
from orderbridge.web.app import create_app

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def message(audience: str, channel: str, recipient: str, **extra: object) -> OutboxMessage:
    values: dict[str, object] = {
        "tenant": "default",
        "po_id": 77,
        "po_number": "PO-77",
        "event_key": "shipment:1",
        "event": "shipped",
        "audience": audience,
        "channel": channel,
        "recipient": recipient,
        "recipient_name": "Dana <b>Reyes</b>",
        "subject": "Your order PO-77 has shipped",
        "content": {"text": "secret-free body"},
        **extra,
    }
    return OutboxMessage(**values)  # type: ignore[arg-type]


def test_the_po_page_says_who_was_told_what(store: Store) -> None:
    record_events(store, [EventRecord("default", 77, "shipment:1", "shipment", "Shipped 1 of 1 line", NOW)])
    told = [
        message("customer", "email", "dana@acme.example"),
        message("sales_rep", "email", "sales_rep:none", state="skipped", error="ConnectWise names no sales rep"),
    ]
    assert len(decide(store, "default", told, NOW)) == 2
    settings = Settings(
        connectwise={"company": "c", "public_key": "p", "private_key": "k", "client_id": "x"},
        tdsynnex={"user_id": "u", "password": "pw", "customer_number": "1"},
        reach={"enabled": True},
    )
    html = TestClient(create_app(settings, store)).get("/po/default/77", headers={"accept": "text/html"}).text
    section = html.split('id="reach"')[1].split("</section>")[0]
    assert "Who was told what" in html
    assert section.count('<tr class="reach-') == 2
    assert "dana@acme.example" in section and "Your order PO-77 has shipped" in section
    assert "skipped" in section and "ConnectWise names no sales rep" in section
    assert "Dana &lt;b&gt;Reyes&lt;/b&gt;" in section  # names from ConnectWise are data, escaped
    assert "secret-free body" not in section  # bodies stay in the outbox
