"""The simulated TD SYNNEX's memory: accounts, scripted orders, faults and a request log.

Everything a test or the demo seeds lives here, behind a lock, and every answer is computed from the
scripts at `clock.now()`, so moving a SimClock forward moves every order along its timeline.
"""

from __future__ import annotations

import hmac
import threading
from collections import deque
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from orderbridge.clock import Clock
from orderbridge.domain import DistributorOrder, StatusCode
from orderbridge.simulators.tdsynnex.faults import UNKNOWN_LINE_CODE, FaultBook, Latency
from orderbridge.simulators.tdsynnex.lifecycle import OrderScript
from orderbridge.simulators.tdsynnex.timeline import ScriptError, validate_script, view_order

REQUEST_LOG_SIZE = 1000


@dataclass(frozen=True)
class Account:
    """One TD SYNNEX customer account and its ecExpress login. `version` is the response version it
    receives; `always_fees` serves the reading of the v2.7 capture where every item carries fee fields."""

    customer_number: str
    user_id: str
    password: str
    version: str = "2.7"
    always_fees: bool = False

    def __repr__(self) -> str:
        return f"Account(customer_number={self.customer_number!r}, user_id={self.user_id!r}, version={self.version!r})"


DEMO_ACCOUNT = Account(customer_number="100001", user_id="demo@example.com", password="demo")  # noqa: S106


@dataclass(frozen=True)
class RequestRecord:
    """One call to the XML service, for assertions. Never holds the password or the body."""

    at: datetime
    path: str
    content_type: str
    customer_number: str | None
    po_number: str | None
    outcome: str

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "path": self.path,
            "content_type": self.content_type,
            "customer_number": self.customer_number,
            "po_number": self.po_number,
            "outcome": self.outcome,
        }


class TDSynnexState:
    def __init__(self, clock: Clock, *, accounts: dict[str, Account] | None = None) -> None:
        self.clock = clock
        self._default_accounts = (
            dict(accounts) if accounts is not None else {DEMO_ACCOUNT.customer_number: DEMO_ACCOUNT}
        )
        self.accounts: dict[str, Account] = dict(self._default_accounts)
        self.faults = FaultBook()
        self.latency = Latency()
        self.requests: deque[RequestRecord] = deque(maxlen=REQUEST_LOG_SIZE)
        self._orders: dict[tuple[str, str], list[OrderScript]] = {}
        self._lock = threading.Lock()

    def add_account(self, account: Account) -> None:
        with self._lock:
            self.accounts[account.customer_number] = account

    def authenticate(self, user_id: str, password: str) -> Account | None:
        """The account whose login this is. E-mail logins compare without case; passwords exactly."""
        wanted = user_id.strip().casefold()
        for account in list(self.accounts.values()):
            same_user = account.user_id.casefold() == wanted
            if same_user and hmac.compare_digest(account.password.encode("utf-8"), password.encode("utf-8")):
                return account
        return None

    def add_order(self, script: OrderScript, *, duplicate: bool = False) -> None:
        """Seed a PO. Using one PO number twice for an account needs `duplicate=True` (td-synnex.md §7.4)."""
        validate_script(script)
        key = (script.customer_number, script.po_number)
        with self._lock:
            existing = self._orders.get(key)
            if existing and not duplicate:
                raise ScriptError(
                    f"PO {script.po_number} already exists for customer {script.customer_number}; "
                    "pass duplicate=True to model a PO number used twice"
                )
            self._orders.setdefault(key, []).append(script)

    def scripts(self, customer_number: str, po_number: str) -> list[OrderScript]:
        with self._lock:
            return list(self._orders.get((customer_number, po_number), ()))

    def order_view(
        self, customer_number: str, po_number: str, *, now: datetime | None = None
    ) -> DistributorOrder | None:
        """What the service reports for this PO right now (None: notFound)."""
        order = view_order(self.scripts(customer_number, po_number), now or self.clock.now())
        if order is None:
            return None
        account = self.accounts.get(customer_number)
        return replace(order, version=account.version if account else None)

    def record(
        self, path: str, content_type: str, customer_number: str | None, po_number: str | None, outcome: str
    ) -> None:
        self.requests.append(RequestRecord(self.clock.now(), path, content_type, customer_number, po_number, outcome))

    def reset(self) -> None:
        """Back to a fresh service: no orders, faults or log; the original accounts. The clock is left alone
        because simulated time never moves backwards."""
        with self._lock:
            self._orders.clear()
            self.accounts = dict(self._default_accounts)
        self.faults.clear()
        self.requests.clear()


def with_unknown_code(order: DistributorOrder) -> DistributorOrder:
    """The `unknown_code` fault: live lines report a Code outside the documented vocabulary."""
    lines = tuple(
        line if line.raw_code == "deleted" else replace(line, code=StatusCode.UNKNOWN, raw_code=UNKNOWN_LINE_CODE)
        for line in order.lines
    )
    return replace(order, lines=lines)
