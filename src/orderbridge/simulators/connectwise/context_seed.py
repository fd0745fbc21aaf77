"""Seed a PO's context: the customer, their contact, the ticket/project/opportunity that asked for it.

`add_customer_context` writes what a tenant's people would have typed in before the PO existed: a customer
company and contact (with a default email in `communicationItems`), members (sales rep, project manager),
a service ticket, a project with a phase, an opportunity and its sales order, and one procurement product
per PO line pointing at all of them. It then sets the PO's `customerCompany`/`customerContact` and each
line's `salesOrder`, as ConnectWise does when a PO is generated from those products (UNCONFIRMED that it
fills `salesOrder` on the line; the field exists since 2025.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .kinds import stamp
from .tables import Record, Table

if TYPE_CHECKING:
    from .state import ConnectWiseState


@dataclass(frozen=True, slots=True)
class Person:
    first: str
    last: str
    email: str | None

    @property
    def identifier(self) -> str:
        return (self.first[:1] + self.last).lower()[:15]


def _insert(state: ConnectWiseState, table: Table, body: Record) -> Record:
    body["_info"] = stamp(state, None, state.seed_member)
    return table.insert(body)


def _ref(row: Record, *keys: str) -> dict[str, Any]:
    return {key: row[key] for key in ("id", *keys) if key in row} | {"_info": {}}


def _name(row: Record) -> str:
    return " ".join(part for part in (row.get("firstName"), row.get("lastName")) if part)


def add_member(state: ConnectWiseState, person: Person) -> Record:
    found = state.members.find("identifier", person.identifier)
    if found is not None:
        return found
    body: Record = {"identifier": person.identifier, "firstName": person.first, "lastName": person.last}
    if person.email:
        body["primaryEmail"] = person.email
    body["inactiveFlag"] = False
    return _insert(state, state.members, body)


def add_contact(state: ConnectWiseState, company: Record, person: Person) -> Record:
    items = []
    if person.email:
        items.append(
            {
                "id": 1,
                "type": {"id": 1, "name": "Email"},
                "value": person.email,
                "defaultFlag": True,
                "communicationType": "Email",
            }
        )
    items.append(
        {
            "id": 2,
            "type": {"id": 2, "name": "Direct"},
            "value": "555-0100",
            "defaultFlag": True,
            "communicationType": "Phone",
        }
    )
    body = {
        "firstName": person.first,
        "lastName": person.last,
        "company": _ref(company, "identifier", "name"),
        "inactiveFlag": False,
        "communicationItems": items,
    }
    return _insert(state, state.contacts, body)


def add_customer_context(
    state: ConnectWiseState,
    po_id: int,
    *,
    company_name: str,
    contact: Person,
    ticket_contact: Person | None = None,
    sales_rep: Person | None = None,
    project_manager: Person | None = None,
    phase_deadline: str | None = None,
) -> dict[str, int]:
    """Context for one seeded PO; returns the ids made (company, contact, ticket, project, phase, ...)."""
    with state.lock:
        po = state.purchase_orders.get(po_id)
        if po is None:
            raise KeyError(f"no purchase order {po_id}")
        identifier = "".join(ch for ch in company_name if ch.isalnum())[:25]
        company = state.companies.find("identifier", identifier) or state.companies.insert(
            {"identifier": identifier, "name": company_name}
        )
        customer = add_contact(state, company, contact)
        company["defaultContact"] = {"id": customer["id"], "name": _name(customer)}
        asker = add_contact(state, company, ticket_contact) if ticket_contact else customer
        made = {"company": company["id"], "contact": customer["id"], "ticket_contact": asker["id"]}
        company_ref = _ref(company, "identifier", "name")
        asker_ref = {"id": asker["id"], "name": _name(asker), "_info": {}}
        ticket = _insert(
            state,
            state.tickets,
            {
                "summary": f"Hardware for {company_name} ({po.get('poNumber')})",
                "company": company_ref,
                "contact": asker_ref,
                "contactName": _name(asker),
                "contactEmailAddress": ticket_contact.email if ticket_contact else contact.email,
                "closedFlag": False,
                "status": {"id": 1, "name": "New"},
            },
        )
        made["ticket"] = ticket["id"]
        product_links: dict[str, Any] = {"ticket": {"id": ticket["id"], "summary": ticket["summary"], "_info": {}}}
        if project_manager is not None:
            manager = add_member(state, project_manager)
            project = _insert(
                state,
                state.projects,
                {
                    "name": f"{company_name} refresh",
                    "company": company_ref,
                    "contact": asker_ref,
                    "manager": _ref(manager, "identifier") | {"name": _name(manager)},
                    "closedFlag": False,
                },
            )
            phase_body: Record = {"projectId": project["id"], "description": "Hardware delivery"}
            if phase_deadline:
                phase_body["deadlineDate"] = phase_deadline
            phase = _insert(state, state.project_phases, phase_body)
            made.update(project=project["id"], phase=phase["id"], manager=manager["id"])
            product_links["project"] = {"id": project["id"], "name": project["name"], "_info": {}}
            product_links["phase"] = {"id": phase["id"], "name": phase["description"], "_info": {}}
        if sales_rep is not None:
            rep = add_member(state, sales_rep)
            rep_ref = _ref(rep, "identifier") | {"name": _name(rep)}
            opportunity = _insert(
                state,
                state.opportunities,
                {
                    "name": f"{company_name} hardware",
                    "company": company_ref,
                    "contact": asker_ref,
                    "primarySalesRep": rep_ref,
                },
            )
            order = _insert(
                state,
                state.sales_orders,
                {
                    "company": company_ref,
                    "contact": asker_ref,
                    "salesRep": rep_ref,
                    "opportunity": {"id": opportunity["id"], "name": opportunity["name"], "_info": {}},
                },
            )
            made.update(opportunity=opportunity["id"], sales_order=order["id"], sales_rep=rep["id"])
            product_links["opportunity"] = {"id": opportunity["id"], "name": opportunity["name"], "_info": {}}
            product_links["salesOrder"] = {"id": order["id"], "identifier": f"SO{order['id']}", "_info": {}}
        product_ids = []
        for line in state.line_items_of(po_id):
            catalog = line.get("product") or {}
            item = _insert(
                state,
                state.product_items,
                {
                    "catalogItem": {"id": catalog.get("id"), "identifier": catalog.get("identifier"), "_info": {}},
                    "description": line.get("description", ""),
                    "quantity": line.get("quantity"),
                    "cancelledFlag": False,
                    "company": company_ref,
                    **product_links,
                },
            )
            product_ids.append(item["id"])
            if "salesOrder" in product_links:
                line["salesOrder"] = [product_links["salesOrder"]]
        if "sales_order" in made:
            state.sales_orders.rows[made["sales_order"]]["productIds"] = product_ids
        po["customerCompany"] = company_ref
        po["customerContact"] = {"id": customer["id"], "name": _name(customer), "_info": {}}
        po["_info"] = stamp(state, po.get("_info"), state.seed_member)
        return made


# The demo's customers: who the demo POs were bought for (simulators/book.py).
DEMO_CUSTOMERS: tuple[tuple[str, Person, Person], ...] = (
    (
        "Acme Dental",
        Person("Dana", "Reyes", "dana.reyes@acme-dental.example"),
        Person("Tom", "Ito", "tom.ito@acme-dental.example"),
    ),
    ("Birch Legal", Person("Ana", "Silva", "ana.silva@birch-legal.example"), Person("Ken", "Park", None)),
    (
        "Cobalt Clinics",
        Person("Lee", "Moore", "lee.moore@cobalt-clinics.example"),
        Person("Lee", "Moore", "lee.moore@cobalt-clinics.example"),
    ),
)
DEMO_SALES_REP = Person("Sam", "Seller", "sam.seller@msp.example")
DEMO_MANAGER = Person("Pat", "Planner", "pat.planner@msp.example")


def seed_demo_context(state: ConnectWiseState, po_numbers: list[str]) -> None:
    """Give the demo POs customers, contacts, tickets, projects and opportunities, in rotation."""
    for index, po_number in enumerate(po_numbers):
        po = state.purchase_orders.find("poNumber", po_number)
        if po is None:
            continue
        company, contact, asker = DEMO_CUSTOMERS[index % len(DEMO_CUSTOMERS)]
        add_customer_context(
            state,
            po["id"],
            company_name=company,
            contact=contact,
            ticket_contact=asker,
            sales_rep=DEMO_SALES_REP if index % 2 == 0 else None,
            project_manager=DEMO_MANAGER if index % 3 == 0 else None,
        )
