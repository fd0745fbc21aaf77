"""A PO's context in ConnectWise: who it is for, the demand behind it, and how to reach those people.

The join, as far as the public API models show it (connectwise-psa.md and the generated SDKs):
- the PO header names the customer (`customerCompany`, `customerContact`);
- procurement products (`/procurement/products`, "ProductItem") tie a catalog item sold to a company to
  the `ticket`, `project`/`phase`, `opportunity` and `salesOrder` that asked for it;
- a PO line names its catalog item (`product.identifier`) and, since 2025.1, its `salesOrder` references.
UNCONFIRMED: how ConnectWise links a PO line to the product it was generated from. The published
ProductItem has no purchase-order field, so the products are matched on (customer company, catalog item
identifier, not cancelled), narrowed to the line's sales orders when the line names any; a product that
does carry a `purchaseOrder`/`purchaseOrderId` (the other reading) is kept only when it names this PO.
People: a contact's default email is the `communicationItems` entry with `communicationType` "Email" and
`defaultFlag`; a member's is `primaryEmail`, else `officeEmail`; the sales rep is the opportunity's
`primarySalesRep` (else the sales order's `salesRep`); the project manager is the project's `manager`.

Built on the client's public record access; one linked record that is gone (404) leaves that part of the
context empty instead of failing the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from orderbridge.connectwise.client import ConnectWiseClient
from orderbridge.connectwise.conditions import all_of, condition
from orderbridge.core.errors import RequestRejected, WriteRejected


class _Record(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, alias_generator=to_camel, frozen=True)

    id: int

    def ref(self, name: str) -> dict[str, Any] | None:
        value = (self.model_extra or {}).get(name)
        return value if isinstance(value, dict) and value.get("id") is not None else None

    def ref_id(self, name: str) -> int | None:
        value = self.ref(name)
        return int(value["id"]) if value is not None else None

    def value(self, name: str) -> Any:
        return (self.model_extra or {}).get(name)


@dataclass(frozen=True, slots=True)
class Person:
    """Someone a message can reach: a ConnectWise contact or member. `email` None means not by email."""

    kind: str  # "contact" | "member"
    id: int
    name: str
    email: str | None


@dataclass(frozen=True, slots=True)
class Item:
    """One PO line as the customer reads it."""

    line_number: int | None
    description: str
    quantity: float | None
    identifier: str | None
    canceled: bool = False


@dataclass(frozen=True, slots=True)
class PoContext:
    po_id: int
    po_number: str | None = None
    company_id: int | None = None
    company_name: str | None = None
    company_identifier: str | None = None
    customer_contact: Person | None = None
    ticket_id: int | None = None
    ticket_summary: str | None = None
    ticket_contact: Person | None = None
    project_id: int | None = None
    project_name: str | None = None
    project_manager: Person | None = None
    phase_id: int | None = None
    phase_name: str | None = None
    phase_due: date | None = None
    opportunity_id: int | None = None
    sales_order_id: int | None = None
    sales_rep: Person | None = None
    items: tuple[Item, ...] = ()
    missing: tuple[str, ...] = field(default=())  # linked records ConnectWise no longer has


def default_email(items: Any) -> str | None:
    """The default Email entry of a contact's `communicationItems` (else its first Email entry)."""
    emails = [
        item
        for item in items or ()
        if isinstance(item, dict)
        and str(item.get("communicationType") or (item.get("type") or {}).get("name") or "").casefold() == "email"
        and isinstance(item.get("value"), str)
        and "@" in item["value"]
    ]
    chosen = next((item for item in emails if item.get("defaultFlag")), emails[0] if emails else None)
    return str(chosen["value"]).strip() if chosen else None


def _name(record: _Record) -> str:
    parts = [record.value("firstName"), record.value("lastName")]
    return " ".join(str(p) for p in parts if p) or str(record.value("identifier") or record.value("name") or record.id)


def _date(value: Any) -> date | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        return None


class _Loader:
    def __init__(self, cw: ConnectWiseClient) -> None:
        self.cw = cw
        self.missing: list[str] = []

    async def get(self, path: str, what: str) -> _Record | None:
        try:
            return await self.cw.get_record(_Record, path, what=what)
        except (RequestRejected, WriteRejected):  # 404/400 on one linked record: that part stays empty
            self.missing.append(what)
            return None

    async def contact(self, contact_id: int | None) -> Person | None:
        record = await self.get(f"/company/contacts/{contact_id}", f"contact {contact_id}") if contact_id else None
        if record is None or record.value("inactiveFlag"):
            return None
        return Person("contact", record.id, _name(record), default_email(record.value("communicationItems")))

    async def member(self, member_id: int | None) -> Person | None:
        record = await self.get(f"/system/members/{member_id}", f"member {member_id}") if member_id else None
        if record is None or record.value("inactiveFlag"):
            return None
        email = record.value("primaryEmail") or record.value("officeEmail")
        return Person("member", record.id, _name(record), str(email) if email else None)


def _first(products: list[_Record], name: str) -> dict[str, Any] | None:
    return next((ref for product in products if (ref := product.ref(name)) is not None), None)


async def linked_products(
    cw: ConnectWiseClient, po_id: int, company_id: int | None, lines: list[_Record]
) -> list[_Record]:
    """The procurement products behind the PO's lines (see the module docstring for the join)."""
    items = {str((line.ref("product") or {}).get("identifier") or "").casefold() for line in lines} - {""}
    orders = {
        int(ref["id"])
        for line in lines
        for ref in (line.value("salesOrder") or ())
        if isinstance(ref, dict) and ref.get("id") is not None
    }
    if company_id is None or not items:
        return []
    conditions = all_of(condition("company/id", "=", company_id), condition("cancelledFlag", "=", False))
    products = await cw.list_records(
        _Record, "/procurement/products", what="procurement products", conditions=conditions
    )
    kept = []
    for product in products:
        identifier = str((product.ref("catalogItem") or product.value("catalogItem") or {}).get("identifier") or "")
        if identifier.casefold() not in items:
            continue
        named_po = product.ref_id("purchaseOrder") or product.value("purchaseOrderId")
        if named_po is not None and int(named_po) != po_id:
            continue
        sales_order = product.ref_id("salesOrder")
        if orders and sales_order is not None and sales_order not in orders:
            continue
        kept.append(product)
    return kept


async def load_context(cw: ConnectWiseClient, po_id: int) -> PoContext:
    """Everything `reach` needs to know about who cares about this PO. Raises only when the PO itself
    cannot be read; a gone ticket, contact or member just leaves its part empty."""
    load = _Loader(cw)
    po = await cw.get_record(_Record, f"/procurement/purchaseorders/{po_id}", what=f"purchase order {po_id}")
    company = po.ref("customerCompany")
    company_id = int(company["id"]) if company else None
    customer = await load.contact(po.ref_id("customerContact"))
    lines = await cw.list_records(_Record, f"/procurement/purchaseorders/{po_id}/lineitems", what="PO lines")
    products = await linked_products(cw, po_id, company_id, lines)
    items = tuple(
        Item(
            line.value("lineNumber"),
            str(line.value("description") or ""),
            line.value("quantity"),
            (line.ref("product") or {}).get("identifier"),
            bool(line.value("canceledFlag")),
        )
        for line in sorted(lines, key=lambda line: (line.value("lineNumber") or 0, line.id))
    )
    values: dict[str, Any] = {}
    ticket_ref = _first(products, "ticket")
    if ticket_ref is not None:
        ticket = await load.get(f"/service/tickets/{ticket_ref['id']}", f"ticket {ticket_ref['id']}")
        if ticket is not None:
            values.update(ticket_id=ticket.id, ticket_summary=ticket.value("summary"))
            values["ticket_contact"] = await load.contact(ticket.ref_id("contact"))
    project_ref = _first(products, "project")
    if project_ref is not None:
        project = await load.get(f"/project/projects/{project_ref['id']}", f"project {project_ref['id']}")
        if project is not None:
            values.update(project_id=project.id, project_name=project.value("name"))
            values["project_manager"] = await load.member(project.ref_id("manager"))
            phase_ref = _first(products, "phase")
            if phase_ref is not None:
                path = f"/project/projects/{project.id}/phases/{phase_ref['id']}"
                phase = await load.get(path, f"project phase {phase_ref['id']}")
                if phase is not None:
                    due = _date(phase.value("deadlineDate")) or _date(phase.value("scheduledEnd"))
                    values.update(phase_id=phase.id, phase_name=phase.value("description"), phase_due=due)
    order_ref, opportunity_ref, rep_id = _first(products, "salesOrder"), _first(products, "opportunity"), None
    if order_ref is not None:
        order = await load.get(f"/sales/orders/{order_ref['id']}", f"sales order {order_ref['id']}")
        if order is not None:
            values["sales_order_id"] = order.id
            opportunity_ref = opportunity_ref or order.ref("opportunity")
            rep_id = order.ref_id("salesRep")
    if opportunity_ref is not None:
        opportunity = await load.get(f"/sales/opportunities/{opportunity_ref['id']}", "opportunity")
        if opportunity is not None:
            values["opportunity_id"] = opportunity.id
            rep_id = opportunity.ref_id("primarySalesRep") or rep_id
    values["sales_rep"] = await load.member(rep_id)
    return PoContext(
        po_id=po_id,
        po_number=po.value("poNumber"),
        company_id=company_id,
        company_name=(company or {}).get("name"),
        company_identifier=(company or {}).get("identifier"),
        customer_contact=customer,
        items=items,
        missing=tuple(load.missing),
        **values,
    )
