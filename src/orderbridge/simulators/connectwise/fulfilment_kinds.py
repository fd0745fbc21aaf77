"""The service and company records fulfilment writes (sync/fulfilment.py): service boards, tickets,
configurations and configuration types. Kept beside kinds.py, not in it, because other record kinds
(contacts, projects) grow there in parallel; the route table and state tables name these the same way.

Only what fulfilment reads and writes is modelled. Ticket `summary` "Max length: 100", `board` and
`company` required (DG "Service Tickets"); a configuration needs `name`, `type` and `company` (DG,
"Company Configurations"). Ticket statuses and types are stored as sent: the simulator does not model
per-board status lists (COVERAGE.md), so a status given by name alone is accepted (UNCONFIRMED upstream).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .errors import BadRequest, MethodNotAllowed, NotFound
from .kinds import Kind, Write
from .schema import FieldSpec, RecordSchema

if TYPE_CHECKING:
    from .state import ConnectWiseState

_S = FieldSpec("str")
_B = FieldSpec("bool")
_REF = FieldSpec("ref")
_RO = FieldSpec("any", read_only=True)

BOARD_SCHEMA = RecordSchema(
    resource="board",
    label="Board",
    fields={
        "id": FieldSpec("int", read_only=True),
        "name": FieldSpec("str", max_length=50, required=True),
        "inactiveFlag": _B,
        "_info": _RO,
    },
)

TICKET_SCHEMA = RecordSchema(
    resource="ticket",
    label="Ticket",
    fields={
        "id": FieldSpec("int", read_only=True),
        "summary": FieldSpec("str", max_length=100, required=True),
        "initialDescription": _S,
        "board": FieldSpec("ref", lookup="serviceBoards", required=True),
        "company": FieldSpec("ref", lookup="companies", required=True),
        "contact": _REF,
        "status": _REF,
        "type": _REF,
        "closedFlag": _B,
        "_info": _RO,
    },
)

CONFIGURATION_TYPE_SCHEMA = RecordSchema(
    resource="configurationType",
    label="Configuration Type",
    fields={
        "id": FieldSpec("int", read_only=True),
        "name": FieldSpec("str", max_length=50, required=True),
        "inactiveFlag": _B,
        "_info": _RO,
    },
)

CONFIGURATION_SCHEMA = RecordSchema(
    resource="configuration",
    label="Configuration",
    fields={
        "id": FieldSpec("int", read_only=True),
        "name": FieldSpec("str", max_length=100, required=True),
        "type": FieldSpec("ref", lookup="configurationTypes", required=True),
        "company": FieldSpec("ref", lookup="companies", required=True),
        "contact": _REF,
        "status": _REF,
        "serialNumber": FieldSpec("str", max_length=250),
        "_info": _RO,
    },
)


def _ticket_defaults(write: Write) -> None:
    write.record.update({"closedFlag": False, "status": {"id": 1, "name": "New", "_info": {}}})


BOARD = Kind(BOARD_SCHEMA, "service_boards", unique=("name",))
TICKET = Kind(TICKET_SCHEMA, "tickets", defaults=_ticket_defaults)
CONFIGURATION_TYPE = Kind(CONFIGURATION_TYPE_SCHEMA, "configuration_types", unique=("name",))
CONFIGURATION = Kind(CONFIGURATION_SCHEMA, "configurations")

ROUTES = (
    ("/service/boards", BOARD),
    ("/service/tickets", TICKET),
    ("/company/configurations/types", CONFIGURATION_TYPE),
    ("/company/configurations", CONFIGURATION),
)


# --- seeding helpers (the records an API write would make) ------------------------------------------------


def add_board(state: ConnectWiseState, name: str) -> dict[str, Any]:
    from . import writes

    with state.lock:
        return dict(writes.create(state, BOARD, {"name": name}, member=state.seed_member))


def add_configuration_type(state: ConnectWiseState, name: str) -> dict[str, Any]:
    from . import writes

    with state.lock:
        return dict(writes.create(state, CONFIGURATION_TYPE, {"name": name}, member=state.seed_member))


def tickets(state: ConnectWiseState) -> list[dict[str, Any]]:
    with state.lock:
        return [dict(row) for row in state.tickets.scan()]


def configurations(state: ConnectWiseState) -> list[dict[str, Any]]:
    with state.lock:
        return [dict(row) for row in state.configurations.scan()]


# --- a ticket's configurations: /service/tickets/{id}/configurations ------------------------------------------

TICKET_CONFIGURATIONS = re.compile(r"^/service/tickets/(\d+)/configurations$", re.IGNORECASE)


def ticket_configurations(state: ConnectWiseState, method: str, path: str, body: Any) -> tuple[int, Any]:
    """GET lists the configurations linked to a ticket; POST `{"id": n}` links one (a ConfigurationReference,
    per the published API's `/service/tickets/{parentId}/configurations`). Linking one already linked
    answers with the same reference (UNCONFIRMED upstream). `path` matches TICKET_CONFIGURATIONS."""
    match = TICKET_CONFIGURATIONS.match(path)
    assert match is not None
    ticket_id = int(match.group(1))
    if state.tickets.get(ticket_id) is None:
        raise NotFound(f"Ticket {ticket_id} not found")
    linked = [row for row in state.ticket_links.scan() if row["ticketId"] == ticket_id]
    if method == "GET":
        return 200, [_configuration_reference(state, row["configurationId"]) for row in linked]
    if method != "POST":
        raise MethodNotAllowed(method)
    wanted = body.get("id") if isinstance(body, dict) else None
    if not isinstance(wanted, int) or state.configurations.get(wanted) is None:
        raise BadRequest('The configuration to attach does not exist; send {"id": <configuration id>}.')
    if not any(row["configurationId"] == wanted for row in linked):
        state.ticket_links.insert({"ticketId": ticket_id, "configurationId": wanted})
    return 201, _configuration_reference(state, wanted)


def _configuration_reference(state: ConnectWiseState, configuration_id: int) -> dict[str, Any]:
    row = state.configurations.get(configuration_id) or {}
    return {"id": configuration_id, "name": row.get("name"), "_info": {}}


def linked_configurations(state: ConnectWiseState, ticket_id: int) -> list[int]:
    with state.lock:
        return [row["configurationId"] for row in state.ticket_links.scan() if row["ticketId"] == ticket_id]
