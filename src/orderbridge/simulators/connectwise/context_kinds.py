"""The records around a purchase order: who it is for and the demand behind it (issue 17).

ConnectWise keeps a PO's context outside procurement: the customer company and contact on the PO header,
the procurement product records (`/procurement/products`, "ProductItem") that tie a catalog item to the
ticket, project/phase, opportunity or sales order that asked for it, and the people (contacts, members)
reachable from those. These kinds serve them, with the same write pipeline and query language as the
procurement kinds, so `connectwise/context.py` is exercised exactly as against a tenant.

Field names follow the published ProductItem, ServiceNote, Contact, Member, Project, Opportunity and
SalesOrder models (public SDKs generated from the API spec). What is UNCONFIRMED is said where it is used:
a ProductItem carries no purchase-order reference in those models, so the simulator serves none either.
"""

from __future__ import annotations

from collections.abc import Callable

from .kinds import Kind, Write
from .schema import FieldSpec, RecordSchema

_ANY = FieldSpec("any")
_S, _B, _I, _F, _D = FieldSpec("str"), FieldSpec("bool"), FieldSpec("int"), FieldSpec("float"), FieldSpec("datetime")
_RO = FieldSpec("any", read_only=True)
_ID = FieldSpec("int", read_only=True)


def _schema(resource: str, label: str, **fields: FieldSpec) -> RecordSchema:
    return RecordSchema(resource=resource, label=label, fields={"id": _ID, **fields, "_info": _RO})


PRODUCT_ITEM_SCHEMA = _schema(
    "productItem",
    "Product",
    catalogItem=_ANY,
    description=FieldSpec("str", max_length=2000),
    quantity=_F,
    price=_F,
    cost=_F,
    cancelledFlag=_B,
    dropshipFlag=_B,
    specialOrderFlag=_B,
    phaseProductFlag=_B,
    customerDescription=FieldSpec("str", max_length=6000),
    company=_ANY,
    ticket=_ANY,
    project=_ANY,
    phase=_ANY,
    salesOrder=_ANY,
    opportunity=_ANY,
    vendor=_ANY,
)
TICKET_SCHEMA = _schema(
    "ticket",
    "Ticket",
    summary=FieldSpec("str", max_length=100, required=True),
    # DG "Service Tickets": board and company are required; references resolve against the seeded tables.
    company=FieldSpec("ref", lookup="companies", required=True),
    contact=_ANY,
    contactName=_S,
    contactEmailAddress=_S,
    board=FieldSpec("ref", lookup="serviceBoards", required=True),
    status=_ANY,
    owner=_ANY,
    project=_ANY,
    phase=_ANY,
    closedFlag=_B,
    initialDescription=_S,
    type=_ANY,
)
# ServiceNote (public SDK docs): which of the three flags is set decides where the note shows (Discussion,
# Internal, Resolution); customerUpdatedFlag and processNotifications drive ConnectWise's own email
# templates and workflow notifications. Their exact effects are UNCONFIRMED; the simulator stores them.
TICKET_NOTE_SCHEMA = _schema(
    "serviceNote",
    "Service Note",
    ticketId=FieldSpec("int", read_only=True),
    text=FieldSpec("str", required=True),
    detailDescriptionFlag=_B,
    internalAnalysisFlag=_B,
    resolutionFlag=_B,
    member=_ANY,
    contact=_ANY,
    customerUpdatedFlag=_B,
    processNotifications=_B,
    dateCreated=FieldSpec("datetime", read_only=True),
    createdBy=FieldSpec("str", read_only=True),
    internalFlag=_B,
    externalFlag=_B,
)
CONTACT_SCHEMA = _schema(
    "contact",
    "Contact",
    firstName=FieldSpec("str", max_length=30, required=True),
    lastName=FieldSpec("str", max_length=30),
    company=_ANY,
    title=_S,
    inactiveFlag=_B,
    communicationItems=_ANY,  # [{type:{id,name}, value, defaultFlag, communicationType: Email|Phone|Fax}]
)
COMPANY_SCHEMA = _schema(
    "company",
    "Company",
    identifier=FieldSpec("str", max_length=25, required=True),
    name=FieldSpec("str", max_length=50, required=True),
    status=_ANY,
    defaultContact=_ANY,
    types=_ANY,
)
MEMBER_SCHEMA = _schema(
    "member",
    "Member",
    identifier=FieldSpec("str", max_length=15, required=True),
    firstName=_S,
    lastName=_S,
    primaryEmail=_S,
    officeEmail=_S,
    inactiveFlag=_B,
)
PROJECT_SCHEMA = _schema(
    "project",
    "Project",
    name=FieldSpec("str", max_length=100, required=True),
    company=_ANY,
    contact=_ANY,
    manager=_ANY,
    status=_ANY,
    estimatedEnd=_D,
    closedFlag=_B,
)
# ProjectPhase: `deadlineDate` and `scheduledEnd` are the dates a delay is measured against (UNCONFIRMED
# which one tenants fill in; the client reads either).
PHASE_SCHEMA = _schema(
    "projectPhase",
    "Project Phase",
    projectId=FieldSpec("int", read_only=True),
    description=FieldSpec("str", max_length=100, required=True),
    deadlineDate=_D,
    scheduledEnd=_D,
    status=_ANY,
    ticket=_ANY,
)
OPPORTUNITY_SCHEMA = _schema(
    "opportunity",
    "Opportunity",
    name=FieldSpec("str", max_length=100, required=True),
    company=_ANY,
    contact=_ANY,
    primarySalesRep=_ANY,
    secondarySalesRep=_ANY,
    status=_ANY,
)
SALES_ORDER_SCHEMA = _schema(
    "salesOrder",
    "Sales Order",
    company=_ANY,
    contact=_ANY,
    opportunity=_ANY,
    salesRep=_ANY,
    status=_ANY,
    productIds=_ANY,
    poNumber=_S,
)


def _note_defaults(write: Write) -> None:
    flags = ("detailDescriptionFlag", "internalAnalysisFlag", "resolutionFlag", "customerUpdatedFlag")
    write.record.update(dict.fromkeys(flags, False))
    write.record.update({"dateCreated": write.state.now_text(), "createdBy": write.member})


def _child_of(field: str) -> Callable[[Write], None]:
    def derive(write: Write) -> None:
        if write.parent is not None:
            write.record[field] = write.parent["id"]

    return derive


PRODUCT_ITEM = Kind(PRODUCT_ITEM_SCHEMA, "product_items")


def _ticket_defaults(write: Write) -> None:
    # A new ticket is open and "New" unless the POST says otherwise (fulfilment's coordination tickets).
    write.record.setdefault("closedFlag", False)
    write.record.setdefault("status", {"id": 1, "name": "New", "_info": {}})


TICKET = Kind(TICKET_SCHEMA, "tickets", defaults=_ticket_defaults)
TICKET_NOTE = Kind(
    TICKET_NOTE_SCHEMA,
    "ticket_notes",
    child=True,
    defaults=_note_defaults,
    derive=_child_of("ticketId"),
    parent_kind=TICKET,
)
CONTACT = Kind(CONTACT_SCHEMA, "contacts")
COMPANY = Kind(COMPANY_SCHEMA, "companies")
MEMBER = Kind(MEMBER_SCHEMA, "members")
PROJECT = Kind(PROJECT_SCHEMA, "projects")
PHASE = Kind(PHASE_SCHEMA, "project_phases", child=True, derive=_child_of("projectId"), parent_kind=PROJECT)
OPPORTUNITY = Kind(OPPORTUNITY_SCHEMA, "opportunities")
SALES_ORDER = Kind(SALES_ORDER_SCHEMA, "sales_orders")

# (path pattern, kind, whether the collection takes POSTs and items PUT/PATCH/DELETE)
ROUTES: tuple[tuple[str, Kind, bool], ...] = (
    ("/procurement/products", PRODUCT_ITEM, False),
    ("/service/tickets", TICKET, True),
    (r"/service/tickets/(\d+)/notes", TICKET_NOTE, True),
    ("/company/contacts", CONTACT, False),
    ("/company/companies", COMPANY, False),
    ("/system/members", MEMBER, False),
    ("/project/projects", PROJECT, False),
    (r"/project/projects/(\d+)/phases", PHASE, False),
    ("/sales/opportunities", OPPORTUNITY, False),
    ("/sales/orders", SALES_ORDER, False),
)
