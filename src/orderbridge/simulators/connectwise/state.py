"""Everything one simulated ConnectWise tenant holds: records, setup tables, credentials, faults, the log.

Routes read and write it through the API; tests and `/_sim/` seed it through the Python helpers here,
which build records exactly as an API write would (see `seed.py`), so both paths give the same shapes.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from orderbridge.core.clock import Clock, SystemClock

from . import seed
from .callbacks import CallbackHub
from .custom_fields import PO_SCREEN
from .faults import FaultSet, RateLimit
from .recorder import RequestLog
from .tables import ChildTable, Record, Table
from .validation import format_datetime


@dataclass(frozen=True, slots=True)
class Lookup:
    """How a reference to a setup table is resolved (`match`) and rendered inside a record (`shown`)."""

    table: str
    match: tuple[str, ...]
    shown: tuple[str, ...]


LOOKUPS: dict[str, Lookup] = {
    "statuses": Lookup("statuses", ("id", "name"), ("id", "name")),
    "shipmentMethods": Lookup("shipment_methods", ("id", "name"), ("id", "name")),
    "terms": Lookup("terms", ("id", "name"), ("id", "name")),
    "companies": Lookup("companies", ("id", "identifier", "name"), ("id", "identifier", "name")),
    "warehouses": Lookup("warehouses", ("id", "name"), ("id", "name", "lockedFlag")),
    "currencies": Lookup("currencies", ("id", "currencyCode", "name"), ("id", "symbol", "currencyCode", "name")),
    "products": Lookup("products", ("id", "identifier"), ("id", "identifier")),
    "unitsOfMeasure": Lookup("units_of_measure", ("id", "name"), ("id", "name")),
    "noteTypes": Lookup("note_types", ("id", "name"), ("id", "name")),
    # fulfilment_kinds.py
    "serviceBoards": Lookup("service_boards", ("id", "name"), ("id", "name")),
    "configurationTypes": Lookup("configuration_types", ("id", "name"), ("id", "name")),
}


class ConnectWiseState:
    """One tenant. Not async: every handler runs to completion under `lock`, so records never tear."""

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        company: str = "demo",
        public_key: str = "demopublic",
        private_key: str = "demoprivate",
        seed_defaults: bool = True,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.company = company
        self.public_key = public_key
        self.private_key = private_key
        self.api_member = "apiMember"  # the member the API keys belong to: `_info.updatedBy` after API writes
        self.seed_member = "Admin1"  # who "typed in" records seeded through the Python helpers
        self.api_version = "2025.8"
        self.codebase = "v4_6_release/"
        self.require_client_id = True
        self.tracking_caption = "Send to TDS"  # the checkbox `add_purchase_order(tracked=True)` sets
        self.flatten_newlines = True  # DG: "\n" in JSON strings is not supported and comes back as a space
        self.request_log = RequestLog()
        self.faults = FaultSet()
        self.rate_limit = RateLimit()
        self.lock = threading.RLock()
        self.purchase_orders = Table(first_id=1001)
        self.line_item_table = ChildTable("purchaseOrderId", first_id=20001)
        self.note_table = ChildTable("purchaseHeaderRecID", first_id=1)
        self.statuses = Table()
        self.shipment_methods = Table()
        self.custom_fields = Table()  # user-defined field definitions, all screens
        self.terms = Table()
        self.companies = Table(first_id=250)
        self.warehouses = Table()
        self.currencies = Table(first_id=7)
        self.products = Table(first_id=501)
        self.units_of_measure = Table()
        self.note_types = Table()
        # fulfilment_kinds.py: service boards, tickets, configurations and their types
        self.service_boards = Table()
        self.tickets = Table(first_id=5001)
        self.configuration_types = Table()
        self.configurations = Table(first_id=9001)
        self.ticket_links = Table()  # {ticketId, configurationId}: a ticket's configurations
        self.callbacks = CallbackHub(self.clock, company, self.api_member)
        self._seeded = seed_defaults
        self.has_default_seed = False
        if seed_defaults:
            seed.seed_defaults(self)

    # --- housekeeping -----------------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to a fresh tenant (default seed if the state was built with one); faults and log cleared."""
        with self.lock:
            for table in self._tables():
                table.clear()
            self.request_log.clear()
            self.faults.clear()
            self.rate_limit.reset()
            self.callbacks.clear()
            self.has_default_seed = False
            if self._seeded:
                seed.seed_defaults(self)

    def _tables(self) -> list[Table]:
        return [value for value in vars(self).values() if isinstance(value, Table)]

    def now_text(self) -> str:
        return format_datetime(self.clock.now())

    # --- references ----------------------------------------------------------------------------------------

    def table(self, lookup: str) -> Table:
        table = getattr(self, LOOKUPS[lookup].table)
        assert isinstance(table, Table)
        return table

    def reference(self, lookup: str, row: Mapping[str, Any]) -> dict[str, Any]:
        shown = {key: row[key] for key in LOOKUPS[lookup].shown if key in row}
        shown["_info"] = {}
        return shown

    def resolve(self, lookup: str, value: Mapping[str, Any]) -> dict[str, Any] | None:
        """A reference as sent (`{"id": 3}`, `{"name": "UPS Ground"}`, `{"identifier": ...}`) → stored form.

        By id first, like ConnectWise; name/identifier look-ups are accepted for every table (UNCONFIRMED for
        statuses and shipment methods, documented for companies: reference §3.8, §5).
        """
        table = self.table(lookup)
        row: Record | None = None
        if value.get("id") is not None:
            try:
                row = table.get(int(value["id"]))
            except (TypeError, ValueError):
                return None
        else:
            for key in LOOKUPS[lookup].match[1:]:
                if isinstance(value.get(key), str):
                    row = table.find(key, value[key])
                    if row is not None:
                        break
            if row is None and lookup == "products" and isinstance(value.get("identifier"), str):
                # The product catalog is not simulated; an unknown item identifier joins it on first use.
                row = self.products.insert({"identifier": value["identifier"], "description": value["identifier"]})
        return None if row is None else self.reference(lookup, row)

    def custom_definitions(self, screen: str = PO_SCREEN) -> list[Record]:
        return [row for row in self.custom_fields.scan() if row.get("screenId") == screen]

    # --- Python seeding helpers (the same records an API write would make) ---------------------------------

    def add_status(self, name: str, closed: bool = False, **flags: Any) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(seed.add_status(self, name, closed=closed, **flags))

    def add_shipment_method(self, name: str, tracking_url: str | None = None) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(seed.add_shipment_method(self, name, tracking_url))

    def add_custom_field(
        self, caption: str, type: str = "Checkbox", *, entry_method: str = "EntryField", screen: str = PO_SCREEN
    ) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(seed.add_custom_field(self, caption, type, entry_method=entry_method, screen=screen))

    def add_company(self, identifier: str, name: str | None = None) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self.companies.insert({"identifier": identifier, "name": name or identifier}))

    def add_purchase_order(
        self,
        *,
        po_number: str,
        status_name: str = "New",
        vendor_identifier: str = "TDSynnex",
        tracked: bool = True,
        custom: dict[str, Any] | None = None,
        vendor_order_number: str | None = None,
        lines: list[dict[str, Any]] | None = None,
        fields: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Seed one PO with its lines. `tracked` sets the "Send to TDS" checkbox; `custom` maps caption → value;
        `fields` sets any other PO field as the API would read it (e.g. `{"trackingNumber": "1Z..."}`)."""
        with self.lock:
            po = seed.add_purchase_order(
                self,
                po_number=po_number,
                status_name=status_name,
                vendor_identifier=vendor_identifier,
                tracked=tracked,
                custom=custom or {},
                vendor_order_number=vendor_order_number,
                lines=lines or [],
                fields=fields or {},
            )
            return copy.deepcopy(po)

    def get_purchase_order(self, po_id: int) -> dict[str, Any]:
        with self.lock:
            po = self.purchase_orders.get(po_id)
            if po is None:
                raise KeyError(f"no purchase order {po_id}")
            return copy.deepcopy(po)

    def purchase_order_by_number(self, po_number: str) -> dict[str, Any]:
        """The PO with this poNumber (tests and the demo address POs as people do, by number)."""
        with self.lock:
            po = self.purchase_orders.find("poNumber", po_number)
            if po is None:
                raise KeyError(f"no purchase order numbered {po_number!r}")
            return copy.deepcopy(po)

    def line_items(self, po_id: int) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(list(self.line_items_of(po_id)))

    def notes(self, po_id: int) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(list(self.note_table.scan(ids=self.note_table.children(po_id))))

    def line_items_of(self, po_id: int) -> list[Record]:
        """The stored (not copied) lines of a PO, in id order."""
        return list(self.line_item_table.scan(ids=self.line_item_table.children(po_id)))
