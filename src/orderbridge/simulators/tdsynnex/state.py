"""The simulated TD SYNNEX's memory: accounts, scripted orders, faults and a request log.

Everything a test or the demo seeds lives here, behind a lock, and every answer is computed from the
scripts at `clock.now()`, so moving a SimClock forward moves every order along its timeline.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections import deque
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from orderbridge.core.clock import Clock
from orderbridge.core.domain import DistributorOrder, StatusCode
from orderbridge.simulators.tdsynnex.faults import UNKNOWN_LINE_CODE, FaultBook, Latency
from orderbridge.simulators.tdsynnex.lifecycle import OrderScript
from orderbridge.simulators.tdsynnex.packages import ShippedParcel, shipped_parcel
from orderbridge.simulators.tdsynnex.timeline import ScriptError, validate_script, view_order

REQUEST_LOG_SIZE = 1000


@dataclass(frozen=True)
class Account:
    """One TD SYNNEX customer account and its ecExpress login. `version` is the response version it
    receives. `always_fees`: fee elements on every item, as the real v2.7 answer has them (td-synnex.md §1.6);
    None (the default) means by version, so from 2.7 on; False keeps the spec's v2.40 reading (fees only
    once released or shipped) for a v2.7 account too."""

    customer_number: str
    user_id: str
    password: str
    version: str = "2.7"
    always_fees: bool | None = None
    # Whether invoices carry <OrderNumber>: no confirmed source shows one (td-synnex.md §2.3), so off by default.
    invoice_order_numbers: bool = False

    def __repr__(self) -> str:
        return f"Account(customer_number={self.customer_number!r}, user_id={self.user_id!r}, version={self.version!r})"


DEMO_ACCOUNT = Account(customer_number="100001", user_id="demo@example.com", password="demo")  # noqa: S106
PARTNER_TOKEN_LIFETIME = timedelta(seconds=7200)  # expires_in 7200 (td-synnex.md §3.1, §7.15)


@dataclass(frozen=True)
class PartnerCredential:
    """A Partner API client (OAuth2 client credentials), seeing the orders of one customer account."""

    client_id: str
    client_secret: str
    customer_number: str

    def __repr__(self) -> str:
        return f"PartnerCredential(client_id={self.client_id!r}, customer_number={self.customer_number!r})"


DEMO_PARTNER = PartnerCredential("demo-partner", "demo-partner-secret", DEMO_ACCOUNT.customer_number)


class PartnerTokens:
    """Issued Bearer tokens and their expiry in SIMULATED time, so a test can age them by moving the clock."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._tokens: dict[str, tuple[PartnerCredential, datetime]] = {}
        self._lock = threading.Lock()
        self.issued = 0

    def issue(self, credential: PartnerCredential) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = (credential, self._clock.now() + PARTNER_TOKEN_LIFETIME)
            self.issued += 1
        return token

    def check(self, token: str) -> PartnerCredential | None:
        """The client a live token belongs to; None for an unknown, revoked or expired one."""
        with self._lock:
            found = self._tokens.get(token)
            if found is None:
                return None
            if self._clock.now() >= found[1]:
                del self._tokens[token]
                return None
            return found[0]

    def revoke_all(self) -> int:
        with self._lock:
            count = len(self._tokens)
            self._tokens.clear()
            return count


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
    def __init__(
        self,
        clock: Clock,
        *,
        accounts: dict[str, Account] | None = None,
        partner_clients: dict[str, PartnerCredential] | None = None,
    ) -> None:
        self.clock = clock
        self._default_partners = (
            dict(partner_clients) if partner_clients is not None else {DEMO_PARTNER.client_id: DEMO_PARTNER}
        )
        self.partner_clients: dict[str, PartnerCredential] = dict(self._default_partners)
        self.partner_tokens = PartnerTokens(clock)
        self._sales_orders: dict[str, set[tuple[str, str]]] = {}
        self._packages: dict[str, set[tuple[str, str]]] = {}  # tracking number -> (customer, PO)
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
            # Index sales-order numbers so the invoice service and the Partner API find a PO by any of them.
            for line in script.lines:
                for event in line.events:
                    if event.order_number:
                        self._sales_orders.setdefault(event.order_number, set()).add(key)
                    # ...and the carrier simulators find a package's shipment by its tracking number.
                    for package in event.packages:
                        if package.tracking_number:
                            self._packages.setdefault(package.tracking_number, set()).add(key)

    def scripts(self, customer_number: str, po_number: str) -> list[OrderScript]:
        with self._lock:
            return list(self._orders.get((customer_number, po_number), ()))

    def po_numbers_for_sales_order(self, customer_number: str, order_number: str) -> list[str]:
        """The PO numbers of this account whose scripts name this sales order (usually exactly one)."""
        with self._lock:
            keys = self._sales_orders.get(order_number, set())
            return sorted(po for customer, po in keys if customer == customer_number)

    def shipped_parcel(self, tracking_number: str, *, now: datetime | None = None) -> ShippedParcel | None:
        """The shipment a tracking number belongs to, once it has shipped (read-only; the carrier
        simulators follow TD SYNNEX's packages through it)."""
        with self._lock:
            keys = sorted(self._packages.get(tracking_number, ()))
            scripts = [script for key in keys for script in self._orders.get(key, ())]
        return shipped_parcel(scripts, tracking_number, now or self.clock.now())

    def tracking_numbers(self) -> list[str]:
        with self._lock:
            return sorted(self._packages)

    def po_numbers(self, customer_number: str) -> list[str]:
        with self._lock:
            return sorted(po for customer, po in self._orders if customer == customer_number)

    def authenticate_partner(self, client_id: str, client_secret: str) -> PartnerCredential | None:
        credential = self.partner_clients.get(client_id)
        if credential is None:
            return None
        if not hmac.compare_digest(credential.client_secret.encode("utf-8"), client_secret.encode("utf-8")):
            return None
        return credential

    def add_partner_client(self, credential: PartnerCredential) -> None:
        with self._lock:
            self.partner_clients[credential.client_id] = credential

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
            self._sales_orders.clear()
            self._packages.clear()
            self.accounts = dict(self._default_accounts)
            self.partner_clients = dict(self._default_partners)
        self.partner_tokens.revoke_all()
        self.faults.clear()
        self.requests.clear()


def with_unknown_code(order: DistributorOrder) -> DistributorOrder:
    """The `unknown_code` fault: live lines report a Code outside the documented vocabulary."""
    lines = tuple(
        line if line.raw_code == "deleted" else replace(line, code=StatusCode.UNKNOWN, raw_code=UNKNOWN_LINE_CODE)
        for line in order.lines
    )
    return replace(order, lines=lines)
