"""`orderbridge demo`: the whole loop against the simulators, with no credentials, ending by itself.

Both simulators listen on loopback sockets; orderbridge talks to them over real HTTP with the demo
credentials, exactly as it would to ConnectWise and TD SYNNEX. Simulated time starts today and
jumps between cycles so two weeks of order life play out in under a minute; the carrier simulators follow
the shipped packages to the door, so POs close on delivery. It ends with what an operator would see:
how POs closed, a delivery note, order ages and the alerts open.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from rich.text import Text

from orderbridge.alerts.rules import RULE_LABELS
from orderbridge.config import Settings
from orderbridge.core.domain import Stage
from orderbridge.core.terminal import for_terminal
from orderbridge.runners.mail_sink import MailSink, mail_sink, text_of
from orderbridge.runners.operator import live_engine
from orderbridge.runners.setup import run_setup
from orderbridge.runners.writer import tenant_writer
from orderbridge.simulators.serve import SimulatorPair, running_simulators
from orderbridge.store import Store
from orderbridge.store.alerts import open_alerts
from orderbridge.store.facts import FactsFilter, iter_facts
from orderbridge.store.parcels import ParcelFilter, iter_parcels
from orderbridge.sync.tenant import open_tenant

DEMO_STEP = timedelta(days=2)
DEMO_CW = {"company": "demo", "public_key": "demopublic", "private_key": "demoprivate"}
DEMO_TDS = {"user_id": "demo@example.com", "password": "demo", "customer_number": "100001"}
DEMO_CLIENT_ID = "00000000-0000-4000-8000-000000000000"
DEMO_FROM = "Demo MSP Orders <orders@msp.example>"


def demo_settings(sims: SimulatorPair, store_url: str, *, smtp_port: int | None = None) -> Settings:
    data: dict[str, Any] = {
        # The simulators are local: production rate limits would only make the demo wait.
        "connectwise": {
            **DEMO_CW,
            "client_id": DEMO_CLIENT_ID,
            "base_url": sims.cw_base_url,
            "requests_per_minute": 60000,
        },
        "tdsynnex": {
            **DEMO_TDS,
            "url": sims.tds_url,
            "invoice_url": sims.tds_server.url + "/webservice/invoice/query",
            "requests_per_minute": 60000,
        },
        "http": {"allow_insecure_loopback": True, "backoff_base_s": 0.05},
        "store": {"url": store_url},
        # The carrier simulators (EasyPost, UPS, FedEx) follow TD SYNNEX's packages on the same clock, so the
        # demo's POs close when their packages are delivered (forwarder references by the grace rule).
        "carriers": {**sims.carrier_settings(), "enabled": True, "timezone": "America/Chicago"},
    }
    if smtp_port is not None:
        # Customers, ticket contacts and sales reps are told by email to an in-process SMTP sink, and on the
        # PO's ticket in the ConnectWise simulator (runners/mail_sink.py; issue 17).
        smtp = {"host": "127.0.0.1", "port": smtp_port, "security": "none", "from_address": DEMO_FROM}
        data["reach"] = {"enabled": True, "smtp": smtp}
    return Settings(**data)


async def run_demo(*, cycles: int, orders: int, out: Console, start: datetime | None = None) -> None:
    """Simulated time starts now (or at `start`, for a test) and jumps `DEMO_STEP` between cycles."""
    with (
        tempfile.TemporaryDirectory(prefix="orderbridge-demo-") as tmp,
        running_simulators(orders=orders, start=start) as sims,
    ):
        async with mail_sink() as sink:
            await _run(sims, sink, Path(tmp), cycles=cycles, orders=orders, out=out)


async def _run(sims: SimulatorPair, sink: MailSink, tmp: Path, *, cycles: int, orders: int, out: Console) -> None:
    """One demo run: setup, the cycles, and what an operator and the customers would see."""
    settings = demo_settings(sims, f"sqlite:///{tmp / 'demo.db'}", smtp_port=sink.port)
    out.rule("orderbridge demo")
    out.print(f"ConnectWise simulator {sims.cw_base_url}; TD SYNNEX simulator {sims.tds_url}")
    out.print(f"Carrier simulators (EasyPost, UPS, FedEx) {sims.carriers_url}")
    out.print(f"{orders} purchase orders marked 'Send to TDS'; simulated time starts {_day(sims)}")
    async with (
        open_tenant(settings, clock=sims.clock) as tenant,
        tenant_writer(tenant, "orderbridge demo").held() as lease,
    ):
        engine = live_engine(tenant, fence=lease)
        report = await run_setup(settings, tenant.connectwise)
        out.print("setup: " + "; ".join(report.lines()))
        for number in range(1, cycles + 1):
            summary = await engine.run_cycle()
            out.rule(f"cycle {number} - {_day(sims)}")
            for po, text in summary.transitions[:14]:
                out.print(f"  {po}: {text}")
            if len(summary.transitions) > 14:
                out.print(f"  ... and {len(summary.transitions) - 14} more stage changes")
            for po, message in summary.failures[:6]:
                # Error text quotes the services: escaped, and not read as rich markup ("[http]").
                out.print(Text.assemble("  ", ("needs attention", "yellow"), " ", for_terminal(f"{po}: {message}")))
            out.print(
                f"  seen {summary.seen}, changed {summary.changed}, unchanged {summary.unchanged}, "
                f"failed {summary.failed}, ConnectWise writes {summary.writes}"
            )
            if number == 2:
                await _person_cancels(sims, tenant.connectwise, out)
            if number < cycles:
                sims.clock.advance(DEMO_STEP)
        writes_before = len(sims.connectwise.request_log.writes())
        again = await engine.run_cycle()
        logged = len(sims.connectwise.request_log.writes()) - writes_before
        out.rule("one more cycle, nothing new at TD SYNNEX")
        out.print(
            f"  seen {again.seen}, changed {again.changed}, ConnectWise writes {again.writes} "
            f"(the simulator's request log shows {logged} write requests)"
        )
        await _show_connectwise(sims, out)
        _delivery_view(tenant.store, tenant.name, sims, out)
        _operator_view(tenant.store, tenant.name, sims.clock.now(), out)
        _reach_view(sink, sims, out)


async def _person_cancels(sims: SimulatorPair, connectwise: Any, out: Console) -> None:
    """A person cancels one PO in ConnectWise: the status is theirs, so orderbridge stops tracking it."""
    book = sims.book
    wanted = [po for po, text in (book.scenarios.items() if book else ()) if text.startswith("cancelled")]
    if not wanted:
        return
    async for po in connectwise.iter_tracked_purchase_orders(tracking_field="Send to TDS"):
        if po.po_number == wanted[0]:
            await connectwise.patch_purchase_order(
                po.id, [{"op": "replace", "path": "status", "value": {"name": "Cancelled"}}]
            )
            out.print(f"  (a person sets {po.po_number} to 'Cancelled' in ConnectWise; orderbridge leaves it alone)")
            return


async def _show_connectwise(sims: SimulatorPair, out: Console) -> None:
    """Every marked PO as the ConnectWise simulator holds it, closed ones included (they leave the sync's
    open-PO listing once TDS Closed), read back over its HTTP API like any ConnectWise client would."""
    table = Table(title="Purchase orders marked 'Send to TDS', as the ConnectWise simulator now holds them")
    for column in ("PO", "status", "tracking number", "ship date", "shipment method", "invoice", "notes"):
        table.add_column(column, overflow="fold")
    auth = (f"{DEMO_CW['company']}+{DEMO_CW['public_key']}", DEMO_CW["private_key"])
    headers = {"clientId": DEMO_CLIENT_ID}
    stages: Counter[str] = Counter()
    rows = []
    async with httpx.AsyncClient(base_url=sims.cw_base_url, auth=auth, headers=headers) as client:
        reply = await client.get(
            "/procurement/purchaseorders",
            params={"customFieldConditions": 'caption="Send to TDS" AND value=true', "pageSize": 1000},
        )
        reply.raise_for_status()
        for po in sorted(reply.json(), key=lambda record: str(record.get("poNumber"))):
            notes = await client.get(f"/procurement/purchaseorders/{po['id']}/notes/count")
            status = (po.get("status") or {}).get("name", "")
            stages[status] += 1
            rows.append(
                (
                    str(po.get("poNumber", "")),
                    status,
                    po.get("trackingNumber", ""),
                    str(po.get("shipmentDate", ""))[:10],
                    (po.get("shipmentMethod") or {}).get("name", ""),
                    po.get("vendorInvoiceNumber", ""),
                    str(notes.json().get("count", 0)) if notes.status_code == 200 else "",
                )
            )
    for row in rows[:25]:
        table.add_row(*row)
    out.print(table)
    if len(rows) > 25:
        out.print(f"({len(rows) - 25} more not shown)")
    out.print("statuses: " + ", ".join(f"{name} {count}" for name, count in sorted(stages.items())))


def _delivery_view(store: Store, tenant: str, sims: SimulatorPair, out: Console) -> None:
    """How POs closed (the carrier said delivered, or the grace rule after the last shipment), and one
    delivery note as ConnectWise holds it."""
    by_delivery = by_grace = 0
    note = None
    for row in iter_facts(store, FactsFilter(tenant=tenant)):
        for event in store.events_for(tenant, row.po_id):
            if event.key == "stage:CLOSED":
                delivered = "delivered" in str(event.details.get("rule"))
                by_delivery += delivered
                by_grace += not delivered
            if event.kind == "delivered" and note is None and event.note_id is not None:
                texts = [n["text"] for n in sims.connectwise.notes(row.po_id) if n.get("id") == event.note_id]
                note = (row.po_number, texts[0]) if texts else None
    parcels = list(iter_parcels(store, ParcelFilter(tenant=tenant)))
    followed = [parcel for parcel in parcels if parcel.provider is not None]
    calls = sum(parcel.polls for parcel in followed)
    out.rule("delivery: what the carriers said")
    out.print(
        f"  {by_delivery} POs closed on delivery, {by_grace} by the grace rule; {len(parcels)} packages shipped, "
        f"{len(followed)} followed by a carrier provider, {sum(p.delivered for p in parcels)} delivered "
        f"({calls} provider answers, {calls / len(followed) if followed else 0:.1f} per package followed)"
    )
    if note is not None:
        out.print(f"  {note[0]}'s delivery note: ", for_terminal(note[1]))


def _operator_view(store: Store, tenant: str, now: datetime, out: Console) -> None:
    """What the dashboard and `orderbridge report` would show now: order and stage ages, open alerts.
    Both simulators and orderbridge share one clock that started today, so the ages are the book's."""
    open_orders = [
        row
        for row in iter_facts(store, FactsFilter(tenant=tenant))
        if row.stage is not None and row.stage < Stage.CLOSED and row.stage_since is not None
    ]
    alerts = sorted(open_alerts(store, tenant).values(), key=lambda alert: (alert.rule, alert.po_number or ""))
    out.rule("what an operator sees now: order ages and open alerts")
    if open_orders:
        in_stage = max(open_orders, key=lambda row: now - (row.stage_since or now))
        placed = max(open_orders, key=lambda row: now - (row.po_at or now))
        out.print(
            f"  {len(open_orders)} open orders; oldest placed {_days(now, placed.po_at)} days ago "
            f"({placed.po_number}); longest in its current stage: {_days(now, in_stage.stage_since)} days "
            f"({in_stage.po_number})"
        )
    out.print(f"  alerts open: {len(alerts)}")
    for alert in alerts[:8]:
        out.print(f"    {RULE_LABELS.get(alert.rule, alert.rule)}: {alert.message}", markup=False)


def _reach_view(sink: MailSink, sims: SimulatorPair, out: Console) -> None:
    """Who outside the MSP was told: one customer email as it arrived, and one note on a ticket."""
    out.rule("who was told: customers by email, ticket contacts on their ticket")
    out.print(f"  {len(sink.messages)} emails reached the SMTP sink")
    # A customer's own email (the MSP's sales reps and project managers get theirs too).
    customers = [m for m in sink.messages if not str(m["To"]).endswith("@msp.example>")]
    customer = next((m for m in customers if "delivered" in str(m["Subject"])), None) or next(iter(customers), None)
    if customer is not None:
        for header in ("From", "To", "Subject", "Date", "Message-ID"):
            out.print(Text(for_terminal(f"  {header}: {customer[header]}")))
        out.print("")
        for line in text_of(customer).splitlines():
            out.print(Text(for_terminal(f"  | {line}")))
    with sims.connectwise.lock:
        notes = list(sims.connectwise.ticket_notes.scan())
    if notes:
        note = notes[-1]
        flags = "customer-facing" if note.get("detailDescriptionFlag") else "internal"
        out.print(f"  note on ticket #{note['ticketId']} ({flags}, {len(notes)} notes on tickets in all):")
        out.print(Text(for_terminal(f"  | {note['text']}")))


def _days(now: datetime, since: datetime | None) -> int:
    return (now - since).days if since is not None else 0


def _day(sims: SimulatorPair) -> str:
    return sims.clock.now().strftime("%Y-%m-%d")
