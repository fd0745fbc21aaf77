"""Everything the engine asks the outside world about one PO before planning, and why each call.

The PO Status query always happens (it is what "checking a PO" means). The other calls happen only
when they can add something: the Partner API when TD SYNNEX does not know the PO number but a person
entered a sales-order number; line items when the distributor's answer or the PO itself changed
since the last check; invoices once something is invoiced and not every invoice is known yet.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from orderbridge.connectwise.client import ConnectWiseClient
from orderbridge.core.domain import DistributorLine, DistributorOrder, Invoice, PurchaseOrder, StatusCode
from orderbridge.core.errors import AuthError, AuthSuspected, DistributorError
from orderbridge.store import TrackedOrder
from orderbridge.store.payloads import digest_of
from orderbridge.sync.quiet import PO_STATUS, Quiet, edited_since_check, is_quiet, quiet_key
from orderbridge.tdsynnex.client import TDSynnexClient
from orderbridge.tdsynnex.invoices import InvoiceClient
from orderbridge.tdsynnex.partner import PartnerClient

# TD SYNNEX sales-order numbers are numeric (DTL-04, AN 10; 8 digits in every sample). Anything else
# in vendorOrderNumber (our own "+2 more" suffix, a vendor's quote id) is not a key the Partner API takes.
SALES_ORDER = re.compile(r"\b\d{6,10}\b")
SHIPPED = frozenset({StatusCode.SHIPPED, StatusCode.INVOICED})


def fingerprint(order: DistributorOrder) -> str:
    """A stable digest of what TD SYNNEX said, minus the response timestamp that changes every call."""
    stable = replace(order, response_datetime=None)
    return hashlib.sha256(repr(stable).encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class Observation:
    po: PurchaseOrder
    order: DistributorOrder
    digest: str
    source: str
    invoices: tuple[Invoice, ...] = ()
    new_invoices: tuple[Invoice, ...] = ()
    lines_fetched: bool = False
    raw: bytes = b""  # the PO Status body, for the payload store (store/payloads.py)
    answer_digest: str | None = None  # of `raw` without its timestamp: the quiet key's first part
    invoices_pending: bool = False  # an invoiced sales order has no invoice on record yet


class Observer:
    def __init__(
        self,
        *,
        tdsynnex: TDSynnexClient,
        connectwise: ConnectWiseClient,
        invoices: InvoiceClient | None = None,
        partner: PartnerClient | None = None,
    ) -> None:
        self.tds = tdsynnex
        self.cw = connectwise
        self.invoices = invoices
        self.partner = partner

    async def observe(
        self,
        po: PurchaseOrder,
        po_number: str,
        tracked: TrackedOrder | None,
        known_invoices: Sequence[Invoice],
        *,
        signature: str | None = None,
        now: datetime | None = None,
        parcels: str = "",
    ) -> Observation | Quiet:
        """Ask about one PO. With the cycle's `signature`, an answer and PO identical to those of the
        last check that left the PO in step come back as `Quiet`, unparsed (sync/quiet.py); `parcels`
        is the digest of its parcels as the carriers last told us."""
        raw = await self.tds.fetch_status(po_number)
        answer = digest_of(raw)
        if signature is not None and now is not None and tracked is not None and tracked.quiet_key is not None:
            key = quiet_key(answer, signature, known_invoices, parcels)
            if is_quiet(po, tracked, key, now):
                return Quiet(po, raw, answer, key)
        order = self.tds.parse_status(raw, po_number)
        source = PO_STATUS
        if order.code is StatusCode.NOT_FOUND and self.partner is not None:
            sales_orders = SALES_ORDER.findall(po.vendor_order_number or "")
            if sales_orders:
                order = await self._from_partner(po_number, sales_orders, order)
                source = "Partner API"
        digest = fingerprint(order)
        changed = tracked is None or tracked.fingerprint != digest
        # The carriers' news reaches the lines too (expected arrival dates): read them as for a new answer.
        news = parcels != ((tracked.parcels_digest or "") if tracked else "")
        lines_fetched = False
        if (changed or news or edited_since_check(po, tracked)) and order.lines:
            po = replace(po, lines=tuple(await self.cw.list_line_items(po.id)))
            lines_fetched = True
        invoices: tuple[Invoice, ...] = tuple(known_invoices)
        new: tuple[Invoice, ...] = ()
        if self.invoices is not None and self._invoices_due(order, known_invoices, changed):
            fetched = await self.invoices.get_invoices(po_number=po_number)
            seen = {invoice.invoice_number for invoice in known_invoices}
            new = tuple(invoice for invoice in fetched if invoice.invoice_number not in seen)
            invoices = invoices + new
        # Stored and freshly fetched invoices arrive in different orders; the planner must see one
        # canonical order or "the latest invoice" would flip between cycles and cause a write each time.
        invoices = tuple(sorted(invoices, key=lambda i: (i.invoice_date or date.min, i.invoice_number)))
        pending = self.invoices is not None and self._invoices_due(order, invoices, changed=False)
        return Observation(po, order, digest, source, invoices, new, lines_fetched, raw, answer, pending)

    @staticmethod
    def _invoices_due(order: DistributorOrder, known: Sequence[Invoice], changed: bool) -> bool:
        invoiced = {line.order_number for line in order.live_lines if line.code is StatusCode.INVOICED}
        if not invoiced and not any(line.code in SHIPPED for line in order.live_lines):
            return False  # nothing has shipped: TD SYNNEX bills after shipping
        if changed:
            return True
        # Unchanged answer: ask again only while some invoiced sales order has no invoice on record.
        return bool(invoiced) and len(known) < len(invoiced)

    async def _from_partner(
        self, po_number: str, sales_orders: Sequence[str], not_found: DistributorOrder
    ) -> DistributorOrder:
        """A hand-marked PO: TD SYNNEX keys the Partner API by sales order, so merge each order's lines."""
        assert self.partner is not None
        lines: list[DistributorLine] = []
        found = []
        for number in dict.fromkeys(sales_orders):
            try:
                order = await self.partner.get_order(number)
            except (AuthError, AuthSuspected) as exc:
                # Bad Partner credentials affect only hand-marked POs; the XML path keeps working.
                raise DistributorError(f"Partner API refused the credentials in [partner]: {exc.message}") from None
            if order.code is not StatusCode.NOT_FOUND:
                found.append(order)
                lines.extend(order.lines)
        if not found:
            return replace(
                not_found,
                reason=f"neither PO {po_number} nor sales order(s) {', '.join(sales_orders)} are known to TD SYNNEX",
            )
        first = found[0]
        return DistributorOrder(
            customer_number=first.customer_number or not_found.customer_number,
            po_number=po_number,
            code=first.code,
            raw_code=first.raw_code,
            reason=first.reason,
            po_datetime=first.po_datetime,
            response_datetime=first.response_datetime,
            version="partner",
            lines=tuple(lines),
        )
