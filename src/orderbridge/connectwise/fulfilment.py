"""ConnectWise endpoints beyond procurement that fulfilment writes to: service boards and tickets, company
configurations and their types. Built on the client's generic record access (client.py), so paging,
errors and the never-resend-a-POST rule stay in one place.

Facts (connectwise-psa.md and the DG): tickets are POSTed to `/service/tickets` with `summary`, `board`
and `company`; boards list at `/service/boards`; configurations live at `/company/configurations` with
`name`, `type {id}`, `company {id}`, `serialNumber`, `status`; their types at
`/company/configurations/types`. UNCONFIRMED, and tolerated both ways: whether a ticket `status`/`type`
reference may be given by name alone (we send `{"name": ...}`; ConnectWise resolves company references by
identifier, reference §3.8), and whether `initialDescription` can be searched (we search the summary,
which carries the marker too).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from orderbridge.connectwise.client import ConnectWiseClient
from orderbridge.connectwise.conditions import all_of, condition

BOARDS = "/service/boards"
TICKETS = "/service/tickets"
CONFIGURATIONS = "/company/configurations"
CONFIGURATION_TYPES = "/company/configurations/types"
SERIALS_PER_QUERY = 50  # an `in (...)` list short enough for any URL length limit on the way


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, alias_generator=to_camel, frozen=True)


class Named(_Record):
    """A board or a configuration type: what setup and doctor resolve a configured name to."""

    id: int
    name: str = ""
    inactive_flag: bool | None = None


class Ticket(_Record):
    id: int
    summary: str = ""
    board: dict[str, Any] | None = None


class Configuration(_Record):
    id: int
    name: str = ""
    serial_number: str | None = None
    company: dict[str, Any] | None = None
    type_: dict[str, Any] | None = Field(default=None, alias="type")


async def find_named(cw: ConnectWiseClient, path: str, name: str, *, what: str) -> Named | None:
    """The record at `path` called `name` (case-insensitive, an active one first), or None."""
    found = await cw.list_records(Named, path, what=what, conditions=condition("name", "=", name))
    matches = [r for r in found if r.name.casefold() == name.casefold()]
    matches.sort(key=lambda r: bool(r.inactive_flag))
    return matches[0] if matches else None


async def find_board(cw: ConnectWiseClient, name: str) -> Named | None:
    return await find_named(cw, BOARDS, name, what=f"service board {name!r}")


async def find_configuration_type(cw: ConnectWiseClient, name: str) -> Named | None:
    return await find_named(cw, CONFIGURATION_TYPES, name, what=f"configuration type {name!r}")


async def find_ticket(cw: ConnectWiseClient, marker: str) -> Ticket | None:
    """The ticket whose summary carries `marker` (ours end with one), or None.

    Searched without the marker's brackets: ConnectWise's `contains` is presumably SQL `LIKE`, where `[...]`
    is a character class on SQL Server (UNCONFIRMED), which would match nearly every ticket. The exact
    marker is then checked here."""
    needle = marker.strip("[]")
    found = await cw.list_records(
        Ticket, TICKETS, what=f"tickets marked {marker}", conditions=condition("summary", "contains", needle)
    )
    return next((t for t in found if marker in t.summary), None)


async def create_ticket(
    cw: ConnectWiseClient,
    *,
    summary: str,
    description: str,
    board_id: int,
    company_id: int,
    contact_id: int | None = None,
    status: str = "",
    type_: str = "",
) -> Ticket:
    body: dict[str, Any] = {
        "summary": summary,
        "initialDescription": description,
        "board": {"id": board_id},
        "company": {"id": company_id},
    }
    if contact_id is not None:
        body["contact"] = {"id": contact_id}
    if status:
        body["status"] = {"name": status}
    if type_:
        body["type"] = {"name": type_}
    return await cw.create_record(Ticket, TICKETS, body, what=f"coordination ticket on board {board_id}")


async def configurations_on(cw: ConnectWiseClient, company_id: int, serials: Sequence[str]) -> list[Configuration]:
    """The company's configurations with any of these serial numbers (a few queries of `in (...)`)."""
    found: list[Configuration] = []
    for start in range(0, len(serials), SERIALS_PER_QUERY):
        chunk = list(serials[start : start + SERIALS_PER_QUERY])
        conditions = all_of(condition("company/id", "=", company_id), condition("serialNumber", "in", chunk))
        found += await cw.list_records(
            Configuration, CONFIGURATIONS, what=f"configurations of company {company_id}", conditions=conditions
        )
    return found


async def create_configuration(
    cw: ConnectWiseClient, *, name: str, serial: str, company_id: int, type_id: int, status: str = ""
) -> Configuration:
    body: dict[str, Any] = {
        "name": name,
        "serialNumber": serial,
        "company": {"id": company_id},
        "type": {"id": type_id},
    }
    if status:
        body["status"] = {"name": status}
    return await cw.create_record(Configuration, CONFIGURATIONS, body, what=f"configuration for serial {serial}")


class ConfigurationReference(_Record):
    id: int
    name: str | None = None


async def ticket_configurations(cw: ConnectWiseClient, ticket_id: int) -> list[ConfigurationReference]:
    """The configurations linked to a ticket (`/service/tickets/{id}/configurations`)."""
    path = f"{TICKETS}/{ticket_id}/configurations"
    return await cw.list_records(ConfigurationReference, path, what=f"configurations of ticket {ticket_id}")


async def link_configuration(cw: ConnectWiseClient, ticket_id: int, configuration_id: int) -> ConfigurationReference:
    """Link a configuration to a ticket: POST a ConfigurationReference `{"id": n}` (TicketsAPI,
    `/service/tickets/{parentId}/configurations`)."""
    path = f"{TICKETS}/{ticket_id}/configurations"
    what = f"configuration {configuration_id} on ticket {ticket_id}"
    return await cw.create_record(ConfigurationReference, path, {"id": configuration_id}, what=what)
