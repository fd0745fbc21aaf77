"""Reach end to end: the simulators (ConnectWise with the PO's context, TD SYNNEX, the carriers), a real
SMTP server and a real webhook; every audience by every channel, and a crash between "decided" and "sent"
that neither loses nor doubles a message."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from reach_world import (
    CUSTOMER,
    MANAGER,
    REQUESTER,
    SALES_REP,
    body_text,
    mailbox,
    reach_settings,
    webhook,
    with_context,
)
from test_delivery_end_to_end import CARRIERS_ON, FEDEX, order, run_days
from world import simple_order, world

from orderbridge.reach.cycle import Reach
from orderbridge.runners.setup import run_setup
from orderbridge.simulators.carriers.state import NumberScript
from orderbridge.store import ActivityFilter, Store
from orderbridge.store.outbox import STALE_SENDING, messages_for, open_messages

EVERY_CHANNEL = {
    "customer": ["email", "ticket_note"],
    "ticket_contact": ["email", "ticket_note"],
    "sales_rep": ["email"],
    "project_manager": ["email", "ticket_note"],
    "staff": ["apprise"],
}
EVERYONE = ["customer", "ticket_contact", "sales_rep", "project_manager", "staff"]


def ticket_notes(w: Any, ticket_id: int) -> list[dict[str, Any]]:
    with w.cw.lock:
        table = w.cw.ticket_notes
        return [dict(table.rows[i]) for i in table.children(ticket_id)]


async def test_every_audience_by_every_channel_once(store: Store) -> None:
    async with mailbox() as (box, port), webhook() as (hook, hook_port):
        reach = reach_settings(port, rules={"shipped": EVERYONE, "delivered": EVERYONE}, channels=EVERY_CHANNEL)
        staff = {"urls": [f"json://127.0.0.1:{hook_port}/"], "stage_changes": []}
        async with world(store, carriers=CARRIERS_ON, reach=reach, notifications=staff) as w:
            await run_setup(w.tenant.settings, w.tenant.connectwise)
            w.carriers.set_script(FEDEX, NumberScript(outcome="delivered"))
            w.add(order("PO-900", w.clock.now(), numbers=(FEDEX,)))
            made = with_context(w, "PO-900")
            await run_days(w, 9)

            po_id = w.po("PO-900")["id"]
            assert w.po("PO-900")["status"]["name"] == "TDS Closed"
            for person in (CUSTOMER, REQUESTER, SALES_REP, MANAGER):
                subjects = sorted(str(m["Subject"]) for m in box.to(str(person.email)))
                assert subjects == [
                    "Your order PO-900 has shipped" + (" (Acme Dental)" if person in (SALES_REP, MANAGER) else ""),
                    "Your order PO-900 was delivered" + (" (Acme Dental)" if person in (SALES_REP, MANAGER) else ""),
                ], person
            shipped = next(m for m in box.to(str(CUSTOMER.email)) if "shipped" in str(m["Subject"]))
            text = body_text(shipped)
            assert "Hello Dana Reyes" in text and "SBUY PRO 6305 MT (x2)" in text
            assert f"https://www.fedex.com/fedextrack/?trknbr={FEDEX}" in text
            assert re.search(r"Estimated delivery: \d{4}-\d\d-\d\d", text), text
            assert (
                str(shipped["Message-ID"]).startswith("<reach.") and str(shipped["From"]) == "Acme IT <it@msp.example>"
            )
            # One note per event on the ticket: customer, ticket contact and project manager share the ticket.
            notes = ticket_notes(w, made["ticket"])
            assert len(notes) == 2
            assert all(n["detailDescriptionFlag"] and n["processNotifications"] for n in notes)
            assert not any(n["internalAnalysisFlag"] for n in notes)
            assert "[orderbridge:reach:" in notes[0]["text"] and FEDEX in notes[0]["text"]
            assert len(hook.bodies) == 2 and "PO-900 (Acme Dental) shipped" in hook.bodies[0]["message"]
            told = messages_for(store, "default", po_id)
            assert {m.state for m in told} == {"sent"} and len(told) == 2 * (4 + 1 + 1)
            skipped = store.query_activity(ActivityFilter(tenant="default", actions=("notify_skipped",)))
            assert skipped == []  # everyone in this test has an address
            log = store.query_activity(ActivityFilter(tenant="default", actions=("notified",)))
            assert len(log) == len(told) and all(
                "@" in str(e.new_value) or "ticket" in str(e.new_value) or "#1" in str(e.new_value) for e in log
            )
            # Later cycles send nothing again.
            before = (len(box.messages), len(notes), len(hook.bodies))
            await run_days(w, 2)
            assert (len(box.messages), len(ticket_notes(w, made["ticket"])), len(hook.bodies)) == before


async def test_opted_out_company_hears_nothing_and_staff_still_do(store: Store) -> None:
    async with mailbox() as (box, port), webhook() as (hook, hook_port):
        reach = reach_settings(port, rules={"shipped": ["customer", "staff"]}, opt_out=["AcmeDental"])
        staff = {"urls": [f"json://127.0.0.1:{hook_port}/"], "stage_changes": []}
        async with world(store, carriers=CARRIERS_ON, reach=reach, notifications=staff) as w:
            await run_setup(w.tenant.settings, w.tenant.connectwise)
            w.add(order("PO-901", w.clock.now(), numbers=(FEDEX,)))
            with_context(w, "PO-901")
            await run_days(w, 2)
            assert box.messages == [] and len(hook.bodies) == 1


async def test_crash_between_decided_and_sent_loses_nothing_and_sends_nothing_twice(store: Store) -> None:
    class Crash(BaseException):
        """The process dying: nothing after it runs, nothing catches it."""

    async with mailbox() as (box, port):
        reach_cfg = reach_settings(port, rules={"shipped": ["customer", "ticket_contact"]})
        async with world(store, reach=reach_cfg) as w:
            await run_setup(w.tenant.settings, w.tenant.connectwise)
            w.add(order("PO-902", w.clock.now(), numbers=(FEDEX,)))
            made = with_context(w, "PO-902")
            settings, cw = w.tenant.settings, w.tenant.connectwise
            first = Reach(settings, store, "default", cw)
            first.begin(w.clock.now())
            # The engine's cycles record the shipment; reach is not run (the process dies before its turn).
            w.engine.hooks = None
            for _ in range(4):
                await w.engine.run_cycle()
                w.clock.advance(timedelta(hours=12))
            assert [e for e in store.events_for("default", w.po("PO-902")["id"]) if e.kind == "shipment"]

            # 1. Decided, then the crash: nothing sent yet.
            decided = await first.decide_new(w.clock.now(), (), [])
            assert decided == 2 and box.messages == [] and ticket_notes(w, made["ticket"]) == []

            # 2. Next process claims the email ("sending") and dies before SMTP.
            async def die(email: Any, smtp: Any) -> None:
                raise Crash()

            second = Reach(settings, store, "default", cw, send_email=die)
            with pytest.raises(Crash):
                await second.run(w.clock.now())
            states = {m.channel: m.state for m in messages_for(store, "default", w.po("PO-902")["id"])}
            assert states["email"] == "sending" and box.messages == []

            # A row left "sending" is taken over once its sender must be gone (never while it may still send).
            assert [m.channel for m in open_messages(store, "default", w.clock.now())] == ["ticket_note"]
            w.clock.advance(STALE_SENDING)
            assert sorted(m.channel for m in open_messages(store, "default", w.clock.now())) == ["email", "ticket_note"]

            # 3. ConnectWise stores the ticket note but its answer is lost (connection reset after the write):
            #    the email goes out, the note is recorded as not sent.
            w.cw.faults.add(r"/service/tickets/\d+/notes", method="POST", kind="reset", after=True)
            third = await Reach(settings, store, "default", cw).run(w.clock.now())
            assert (third.delivered.sent, third.delivered.failed) == (1, 1)
            assert len(ticket_notes(w, made["ticket"])) == 1

            # 4. The next cycle finds the note by its marker instead of writing it again; nothing else goes out.
            fourth = await Reach(settings, store, "default", cw).run(w.clock.now())
            assert (fourth.delivered.sent, fourth.delivered.found) == (1, 1)
            await Reach(settings, store, "default", cw).run(w.clock.now())
            assert len(box.to(str(CUSTOMER.email))) == 1
            assert len(ticket_notes(w, made["ticket"])) == 1
            assert {m.state for m in messages_for(store, "default", w.po("PO-902")["id"])} == {"sent"}


async def test_preview_and_pending_show_who_would_be_told_and_send_nothing(store: Store) -> None:
    async with mailbox() as (box, port):
        reach_cfg = reach_settings(port, rules={"shipped": ["customer", "ticket_contact", "sales_rep"]})
        async with world(store, reach=reach_cfg) as w:
            await run_setup(w.tenant.settings, w.tenant.connectwise)
            w.add(order("PO-903", w.clock.now(), numbers=(FEDEX,)))
            made = with_context(w, "PO-903", sales_rep=None)
            settings, cw = w.tenant.settings, w.tenant.connectwise
            Reach(settings, store, "default", cw).begin(w.clock.now())
            w.engine.hooks = None  # record the events, tell nobody yet
            for _ in range(4):
                await w.engine.run_cycle()
                w.clock.advance(timedelta(hours=12))
            po_id = w.po("PO-903")["id"]
            methods = await cw.list_shipment_methods()
            reach = Reach(settings, store, "default", cw)
            pending = await reach.pending(w.clock.now(), methods)
            states = sorted((p.decision.audience, p.decision.channel, p.state) for p in pending)
            assert states == [
                ("customer", "email", "would send"),
                ("sales_rep", "email", "skipped: ConnectWise names no sales rep"),
                ("ticket_contact", "ticket_note", "would send"),
            ]
            email = next(p for p in pending if p.decision.channel == "email" and p.state == "would send")
            assert email.subject == "Your order PO-903 has shipped" and "Hello Dana Reyes" in email.content["text"]
            assert (
                box.messages == []
                and ticket_notes(w, made["ticket"]) == []
                and messages_for(store, "default", po_id) == []
            )

            await reach.run(w.clock.now(), methods)
            shown = await Reach(settings, store, "default", cw).preview(po_id, methods, now=w.clock.now())
            assert sorted((p.decision.audience, p.state) for p in shown) == [
                ("customer", "sent"),
                ("sales_rep", "skipped: ConnectWise names no sales rep"),
                ("ticket_contact", "sent"),
            ]
            assert len(box.messages) == 1 and len(ticket_notes(w, made["ticket"])) == 1
            skipped = store.query_activity(ActivityFilter(tenant="default", actions=("notify_skipped",)))
            assert [(e.po_number, e.field, e.reason) for e in skipped] == [
                ("PO-903", "shipped -> sales_rep by email", "ConnectWise names no sales rep")
            ]


async def test_a_carrier_exception_reaches_staff_and_the_project_manager(store: Store) -> None:
    async with mailbox() as (box, port), webhook() as (hook, hook_port):
        staff = {"urls": [f"json://127.0.0.1:{hook_port}/"], "stage_changes": []}
        async with world(store, carriers=CARRIERS_ON, reach=reach_settings(port), notifications=staff) as w:
            await run_setup(w.tenant.settings, w.tenant.connectwise)
            w.carriers.set_script(FEDEX, NumberScript(outcome="exception"))
            w.add(order("PO-904", w.clock.now(), numbers=(FEDEX,)))
            with_context(w, "PO-904")
            await run_days(w, 6)
            po_id = w.po("PO-904")["id"]
            assert [e for e in store.events_for("default", po_id) if e.kind == "delivery_exception"]
            told = {(m.event, m.audience, m.channel, m.state) for m in messages_for(store, "default", po_id)}
            assert ("exception", "project_manager", "email", "sent") in told
            assert ("exception", "staff", "apprise", "sent") in told
            pm = [m for m in box.to(str(MANAGER.email)) if "needs attention" in str(m["Subject"])]
            assert pm and "Project: Acme Dental refresh, phase Hardware delivery" in body_text(pm[0])
            assert any("held up" in body["message"] for body in hook.bodies)


async def test_a_back_order_and_a_delay_past_the_project_phase(store: Store) -> None:
    async with mailbox() as (box, port):
        carriers = {**CARRIERS_ON, "slip_days": 0}  # any later estimate is a delay
        async with world(store, carriers=carriers, reach=reach_settings(port)) as w:
            await run_setup(w.tenant.settings, w.tenant.connectwise)
            start = w.clock.now()
            back = simple_order("PO-905", start, ship_after=None, invoice_after=None)
            line = back.lines[0]
            line.events[0] = replace(line.events[0], order_type="BO")
            w.add(back)
            with_context(w, "PO-905")
            w.carriers.set_script(FEDEX, NumberScript(outcome="slipped"))
            w.add(order("PO-906", start, numbers=(FEDEX,)))
            due = (start + timedelta(days=2)).strftime("%Y-%m-%dT00:00:00Z")
            made = with_context(w, "PO-906", phase_deadline=due)
            await run_days(w, 8)

            back_told = {(m.event, m.audience, m.state) for m in messages_for(store, "default", w.po("PO-905")["id"])}
            assert back_told == {("back_ordered", "customer", "sent"), ("back_ordered", "sales_rep", "sent")}
            assert [m for m in box.to(str(CUSTOMER.email)) if "back-ordered" in str(m["Subject"])]
            delayed = [m for m in messages_for(store, "default", w.po("PO-906")["id"]) if m.event == "delay"]
            assert {(m.audience, m.state) for m in delayed} >= {("project_manager", "sent"), ("customer", "sent")}
            pm = [m for m in box.to(str(MANAGER.email)) if "delayed" in str(m["Subject"])]
            assert pm and "(due " in body_text(pm[0])
            # Past the phase's date: also a note on the project's ticket.
            assert ("project_manager", "ticket_note", "sent") in {(m.audience, m.channel, m.state) for m in delayed}
            notes = [n["text"] for n in ticket_notes(w, made["ticket"]) if "delayed" in n["text"]]
            assert len(notes) == 1 and "Past the Hardware delivery date" in notes[0]


async def test_two_senders_at_once_send_each_message_once(store: Store) -> None:
    async with mailbox() as (box, port):
        reach_cfg = reach_settings(
            port, rules={"shipped": ["customer", "ticket_contact", "sales_rep"]}, channels={"ticket_contact": ["email"]}
        )
        async with world(store, reach=reach_cfg) as w:
            await run_setup(w.tenant.settings, w.tenant.connectwise)
            w.add(order("PO-907", w.clock.now(), numbers=(FEDEX,)))
            with_context(w, "PO-907")
            settings, cw = w.tenant.settings, w.tenant.connectwise
            Reach(settings, store, "default", cw).begin(w.clock.now())
            w.engine.hooks = None
            for _ in range(4):
                await w.engine.run_cycle()
                w.clock.advance(timedelta(hours=12))
            one, two = Reach(settings, store, "default", cw), Reach(settings, store, "default", cw)
            assert await one.decide_new(w.clock.now(), (), []) == 3
            assert await two.decide_new(w.clock.now(), (), []) == 0  # decided once, whoever decides
            results = await asyncio.gather(
                one.deliverer.deliver_open(w.clock.now()), two.deliverer.deliver_open(w.clock.now())
            )
            assert sum(r.sent for r in results) == 3 and len(box.messages) == 3
            assert sorted(r[0] for r in box.recipients) == sorted(
                str(p.email) for p in (CUSTOMER, REQUESTER, SALES_REP)
            )


async def test_smtp_password_never_reaches_the_outbox_or_the_log(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    password = "smtp-Canary-51ab"
    async with mailbox() as (box, port):
        smtp = {
            "host": "127.0.0.1",
            "port": port,
            "security": "none",
            "from_address": "it@msp.example",
            "username": "ops",
            "password": password,
        }
        async with world(store, reach={"enabled": True, "rules": {"shipped": ["customer"]}, "smtp": smtp}) as w:
            await run_setup(w.tenant.settings, w.tenant.connectwise)
            w.add(order("PO-908", w.clock.now(), numbers=(FEDEX,)))
            with_context(w, "PO-908")
            await run_days(w, 2)
            po_id = w.po("PO-908")["id"]
            told = messages_for(store, "default", po_id)
            assert told and all(m.state == "decided" and m.error for m in told)  # no AUTH offered: retried later
            log = store.query_activity(ActivityFilter(tenant="default", limit=None))
            everything = repr(told) + repr(log) + caplog.text
            assert password not in everything and box.messages == []
