"""connectwise/context.py against the ConnectWise simulator: the PO's customer, the demand behind it and
its people, both readings of the product-to-PO join, and linked records that are gone."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pydantic import BaseModel, ConfigDict

from orderbridge.config import ConnectWiseSettings, HttpSettings
from orderbridge.connectwise import ConnectWiseClient
from orderbridge.connectwise.context import load_context
from orderbridge.core.clock import SimClock
from orderbridge.core.errors import RequestRejected
from orderbridge.simulators.connectwise.app import create_app
from orderbridge.simulators.connectwise.context_seed import Person, add_customer_context
from orderbridge.simulators.connectwise.state import ConnectWiseState

DANA = Person("Dana", "Reyes", "dana@acme.example")
TOM = Person("Tom", "Ito", "tom@acme.example")
SAM = Person("Sam", "Seller", "sam@msp.example")
PAT = Person("Pat", "Planner", None)


class Loose(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: int

    def __getitem__(self, name: str) -> Any:
        return self.id if name == "id" else (self.model_extra or {}).get(name)


async def _no_sleep(_: float) -> None:
    return None


def client(state: ConnectWiseState) -> ConnectWiseClient:
    settings = ConnectWiseSettings(
        base_url="https://cw.example.test/v4_6_release/apis/3.0",
        company="demo",
        public_key="demopublic",
        private_key="demoprivate",
        client_id="0f6c8d2a-5b8e-4d3c-9a51-3a7e2b1c4d5e",
    )
    return ConnectWiseClient(
        settings, HttpSettings(), transport=httpx.ASGITransport(app=create_app(state)), sleep=_no_sleep
    )


def seeded(state: ConnectWiseState, number: str = "PO-1", **kwargs: Any) -> tuple[int, dict[str, int]]:
    po = state.add_purchase_order(
        po_number=number, lines=[{"product": "LAPTOP-14", "quantity": 2}, {"product": "DOCK-1", "quantity": 2}]
    )
    values: dict[str, Any] = {"company_name": "Acme Dental", "contact": DANA, "ticket_contact": TOM, **kwargs}
    return po["id"], add_customer_context(state, po["id"], **values)


async def test_the_whole_context_of_a_po() -> None:
    state = ConnectWiseState(SimClock())
    po_id, made = seeded(state, sales_rep=SAM, project_manager=PAT, phase_deadline="2026-03-10T00:00:00Z")
    async with client(state) as cw:
        ctx = await load_context(cw, po_id)
    assert (ctx.po_number, ctx.company_name, ctx.company_identifier) == ("PO-1", "Acme Dental", "AcmeDental")
    assert ctx.customer_contact is not None and ctx.customer_contact.email == "dana@acme.example"
    assert ctx.ticket_id == made["ticket"] and ctx.ticket_contact and ctx.ticket_contact.email == "tom@acme.example"
    assert ctx.sales_rep and (ctx.sales_rep.kind, ctx.sales_rep.email) == ("member", "sam@msp.example")
    assert ctx.project_manager and ctx.project_manager.name == "Pat Planner" and ctx.project_manager.email is None
    assert ctx.phase_due is not None and ctx.phase_due.isoformat() == "2026-03-10"
    assert (ctx.opportunity_id, ctx.sales_order_id) == (made["opportunity"], made["sales_order"])
    assert [i.identifier for i in ctx.items] == ["LAPTOP-14", "DOCK-1"] and ctx.missing == ()


async def test_products_of_another_po_or_another_sales_order_are_not_this_pos() -> None:
    state = ConnectWiseState(SimClock())
    po_id, made = seeded(state, sales_rep=SAM)
    with state.lock:  # the first line's product names another PO (the other reading of the join)
        first = state.product_items.rows[min(state.product_items.rows)]
        first.update(ticket={"id": 999, "_info": {}}, purchaseOrder={"id": 4242, "_info": {}})
    async with client(state) as cw:
        ctx = await load_context(cw, po_id)
    assert ctx.ticket_id == made["ticket"]


async def test_a_po_without_a_customer_has_no_audience_and_gone_records_leave_gaps() -> None:
    state = ConnectWiseState(SimClock())
    bare = state.add_purchase_order(po_number="PO-2", lines=[{"product": "X", "quantity": 1}])
    po_id, made = seeded(state, "PO-3", sales_rep=SAM)
    with state.lock:
        state.tickets.delete(made["ticket"])
        state.members.delete(made["sales_rep"])
    async with client(state) as cw:
        empty = await load_context(cw, bare["id"])
        ctx = await load_context(cw, po_id)
        with pytest.raises(RequestRejected):
            await load_context(cw, 999_999)
    assert empty.company_id is None and empty.customer_contact is None and empty.ticket_id is None
    assert ctx.ticket_id is None and ctx.sales_rep is None and ctx.customer_contact is not None
    assert ctx.missing == (f"ticket {made['ticket']}", f"member {made['sales_rep']}")


async def test_ticket_notes_keep_their_flags_and_belong_to_their_ticket() -> None:
    state = ConnectWiseState(SimClock())
    _, made = seeded(state)
    body = {"text": "Shipped", "detailDescriptionFlag": True, "processNotifications": True}
    async with client(state) as cw:
        created = await cw.create_record(Loose, f"/service/tickets/{made['ticket']}/notes", body, what="note")
        listed = await cw.list_records(Loose, f"/service/tickets/{made['ticket']}/notes", what="notes")
        with pytest.raises(RequestRejected):
            await cw.get_record(Loose, f"/service/tickets/999/notes/{created['id']}", what="note")
    assert created["ticketId"] == made["ticket"] and created["createdBy"] == "apiMember"
    assert created["detailDescriptionFlag"] and not created["internalAnalysisFlag"] and created["processNotifications"]
    assert [n["id"] for n in listed] == [created["id"]]
