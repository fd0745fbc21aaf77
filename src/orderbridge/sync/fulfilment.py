"""Fulfilment inside a tenant's cycle: the coordination ticket, receiving and configurations
(`[fulfilment]`, all off by default; the decisions are rules/fulfilment.py's).

The engine calls `extend` for each planned PO, after the planner and BEFORE `apply_plan`: the plan may
close the PO, after which it is no longer listed, so anything still unwritten at that moment would be
lost for good; written before it, a crash is simply redone by the next cycle. Received line fields join
the plan's changes (absolute values, patched by apply_plan with the other line fields); the ticket and
the configurations are POSTed here, each after a search for what an earlier attempt already made (the
ticket by its marker, a configuration by serial number and company) and after asking the writer lease
(`fence`) that this process is still the tenant's only writer. What was done comes back as events, so
the store records it once (by key) and the activity log and dashboard show who was told what.

A refusal of our own request (a status name the board lacks, a required field) is reported as a cycle
warning and the rest of the PO goes on; it is tried again the next time the PO is planned. A transient
failure fails the PO for this cycle like any other ConnectWise call, and the next cycle finds what the
lost POST made, if anything.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace

from orderbridge.config import Settings
from orderbridge.connectwise import fulfilment as cwf
from orderbridge.connectwise.client import ConnectWiseClient
from orderbridge.core.delivery import TrackedParcel
from orderbridge.core.domain import DistributorOrder, Event, FieldChange, Invoice, Plan, PurchaseOrder
from orderbridge.core.errors import RequestRejected, SetupError, WriteRejected
from orderbridge.rules import fulfilment as rules
from orderbridge.rules.cartons import current
from orderbridge.rules.delivery import delivered_text
from orderbridge.sync.apply import Fence
from orderbridge.sync.delivery import delivery_zone

_log = logging.getLogger(__name__)


@dataclass
class Extended:
    plan: Plan
    would: list[FieldChange] = field(default_factory=list)  # a dry run's ticket and configurations, for display
    warnings: list[str] = field(default_factory=list)
    writes: int = 0


def _no_fence() -> None:
    """No lease to check: the caller is the tenant's only writer by construction (tests, tools)."""


class Fulfilment:
    """One tenant's fulfilment writes. Board and configuration type ids are resolved once per engine."""

    def __init__(self, settings: Settings, cw: ConnectWiseClient, *, fence: Fence | None = None) -> None:
        self.settings = settings.fulfilment
        self.cw = cw
        self.fence = fence
        self.enabled = self.settings.enabled
        self.zone = delivery_zone(settings)
        self._board: int | None = None
        self._type: int | None = None

    async def extend(
        self,
        po: PurchaseOrder,
        order: DistributorOrder,
        plan: Plan,
        parcels: Sequence[TrackedParcel],
        *,
        invoices: Sequence[Invoice] = (),
        event_keys: Collection[str] = (),
        dry_run: bool = False,
    ) -> Extended:
        done = Extended(plan)
        if not self.enabled:
            return done
        s = self.settings
        if s.receive_on_delivery and rules.receive_scope_allows(po, s.receive_scope):
            await self._receive(po, order, parcels, done)
        # Configurations first: the ticket made in the same cycle links them.
        serials = rules.shipped_serials(order, invoices)
        if rules.configurations_due(serials, event_keys, enabled=s.configurations):
            await self._configurations(po, serials, done, dry_run=dry_run)
        if rules.coordination_due(order, parcels, event_keys, enabled=s.coordination):
            await self._coordinate(po, order, parcels, done, serials, dry_run=dry_run)
        return done

    def _check(self) -> None:
        (self.fence.check if self.fence is not None else _no_fence)()

    def _event(self, done: Extended, event: Event) -> None:
        done.plan = replace(done.plan, events=(*done.plan.events, event))

    # --- receiving ---------------------------------------------------------------------------------------

    async def _receive(
        self, po: PurchaseOrder, order: DistributorOrder, parcels: Sequence[TrackedParcel], done: Extended
    ) -> None:
        if not any(p.delivered for p in current(order, parcels)):
            return  # nothing delivered: no line can be received, and no reason to read the lines
        if po.lines is None:
            po = replace(po, lines=tuple(await self.cw.list_line_items(po.id)))
        changes = rules.receipts(po, order, parcels)
        if changes:
            done.plan = replace(done.plan, changes=(*done.plan.changes, *changes))

    # --- the coordination ticket ----------------------------------------------------------------------------

    async def _coordinate(
        self,
        po: PurchaseOrder,
        order: DistributorOrder,
        parcels: Sequence[TrackedParcel],
        done: Extended,
        serials: Sequence[rules.ShippedSerial],
        *,
        dry_run: bool,
    ) -> None:
        s = self.settings
        label = po.po_number or str(po.id)
        company = po.customer_company
        if company is None or company.id is None:
            done.warnings.append(f"PO {label}: no customer company on the PO, so no coordination ticket")
            return
        mine = [p for p in current(order, parcels) if p.delivered]
        text = delivered_text(mine, len(mine), self.zone)
        summary = rules.coordination_summary(s.coordination_summary, po, text)
        lines = [
            f"{line.sku or line.mfg_pn or line.line_number} x{line.ship_quantity or 0}" for line in order.live_lines
        ]
        description = rules.coordination_description(po, text, lines)
        if dry_run:
            reason = f"PO delivered; [fulfilment] coordination_board {s.coordination_board!r}"
            done.would.append(FieldChange("coordination ticket", None, summary, reason))
            return
        try:
            board = await self._board_id()
            ticket = await cwf.find_ticket(self.cw, rules.coordination_marker(po.id))
            found = ticket is not None
            if ticket is None:
                self._check()  # between the search above and this POST, nobody else may have written
                contact = po.customer_contact.id if po.customer_contact else None
                ticket = await cwf.create_ticket(
                    self.cw,
                    summary=summary,
                    description=description,
                    board_id=board,
                    company_id=company.id,
                    contact_id=contact,
                    status=s.coordination_status,
                    type_=s.coordination_type,
                )
                done.writes += 1
            linked = await self._link(ticket.id, company.id, serials) if s.configurations and serials else []
            done.writes += len(linked)
        except (WriteRejected, RequestRejected, SetupError) as exc:
            done.warnings.append(f"PO {label}: coordination ticket not done, tried again next time: {exc.message}")
            return
        verb = "already on" if found else "created on"
        details = {
            "ticket_id": ticket.id,
            "board": s.coordination_board,
            "company_id": company.id,
            "found": found,
            "configurations_linked": linked,
        }
        event = Event(
            "coordination_ticket",
            f"Coordination ticket #{ticket.id} {verb} board {s.coordination_board} for {rules.customer_label(po)}",
            done.plan.stage,
            rules.COORDINATION_KEY,
            details,
        )
        self._event(done, event)

    async def _link(self, ticket_id: int, company_id: int, serials: Sequence[rules.ShippedSerial]) -> list[int]:
        """Link the configurations of the PO's serials to the ticket; those already linked are left be, so
        a repeat after a crash links nothing twice."""
        on_company = await cwf.configurations_on(self.cw, company_id, [x.serial for x in serials])
        already = {ref.id for ref in await cwf.ticket_configurations(self.cw, ticket_id)}
        linked: list[int] = []
        for configuration in on_company:
            if configuration.id in already:
                continue
            self._check()
            await cwf.link_configuration(self.cw, ticket_id, configuration.id)
            already.add(configuration.id)
            linked.append(configuration.id)
        return linked

    async def _board_id(self) -> int:
        if self._board is None:
            name = self.settings.coordination_board
            board = await cwf.find_board(self.cw, name)
            if board is None:
                raise SetupError(f"ConnectWise has no service board {name!r} ([fulfilment] coordination_board)")
            self._board = board.id
        return self._board

    # --- configurations ---------------------------------------------------------------------------------------

    async def _configurations(
        self, po: PurchaseOrder, serials: Sequence[rules.ShippedSerial], done: Extended, *, dry_run: bool
    ) -> None:
        s = self.settings
        label = po.po_number or str(po.id)
        company = po.customer_company
        if company is None or company.id is None:
            done.warnings.append(f"PO {label}: no customer company on the PO, so no configurations for its serials")
            return
        try:
            existing = await cwf.configurations_on(self.cw, company.id, [x.serial for x in serials])
            wanted = rules.missing(serials, (c.serial_number or "" for c in existing))
            if dry_run:
                for serial in wanted:
                    reason = f"shipped serial on company {company.name or company.id} ([fulfilment] configurations)"
                    done.would.append(FieldChange("configuration", None, rules.configuration_name(serial), reason))
                return
            type_id = await self._type_id() if wanted else 0
            created: list[int] = []
            for serial in wanted:
                self._check()
                made = await cwf.create_configuration(
                    self.cw,
                    name=rules.configuration_name(serial),
                    serial=serial.serial,
                    company_id=company.id,
                    type_id=type_id,
                    status=s.configuration_status,
                )
                created.append(made.id)
                done.writes += 1
        except (WriteRejected, RequestRejected, SetupError) as exc:
            done.warnings.append(f"PO {label}: configurations for its serial numbers not created: {exc.message}")
            return
        summary = (
            f"{len(created)} configuration{'' if len(created) == 1 else 's'} created for shipped serial numbers "
            f"on {rules.customer_label(po)}"
            + (f" ({len(serials) - len(created)} already there)" if len(serials) > len(created) else "")
        )
        details = {
            "company_id": company.id,
            "created": created,
            "serials": [x.serial for x in serials],
            "type": s.configuration_type,
        }
        key = rules.configurations_key(serials)
        self._event(done, Event("configurations", summary, done.plan.stage, key, details))

    async def _type_id(self) -> int:
        if self._type is None:
            name = self.settings.configuration_type
            found = await cwf.find_configuration_type(self.cw, name)
            if found is None:
                raise SetupError(f"ConnectWise has no configuration type {name!r} ([fulfilment] configuration_type)")
            self._type = found.id
        return self._type


async def fulfilment_problems(settings: Settings, cw: ConnectWiseClient) -> list[str]:
    """What `[fulfilment]` names that ConnectWise lacks, for `setup` and `doctor` (empty: all found, or off).
    Setup creates none of them: a board or configuration type is the service desk's own design."""
    s = settings.fulfilment
    problems: list[str] = []
    if s.coordination:
        board = await cwf.find_board(cw, s.coordination_board)
        if board is None:
            problems.append(
                f"ConnectWise has no service board {s.coordination_board!r} ([fulfilment] coordination_board); "
                "create it (System > Setup Tables > Service Board) or correct the name"
            )
        elif board.inactive_flag:
            problems.append(f"service board {board.name!r} ([fulfilment] coordination_board) is inactive")
    if s.configurations:
        found = await cwf.find_configuration_type(cw, s.configuration_type)
        if found is None:
            problems.append(
                f"ConnectWise has no configuration type {s.configuration_type!r} ([fulfilment] configuration_type); "
                "create it (System > Setup Tables > Configuration Types) or correct the name"
            )
        elif found.inactive_flag:
            problems.append(f"configuration type {found.name!r} ([fulfilment] configuration_type) is inactive")
    return problems
