"""The TD SYNNEX invoice query client: one POST per PO (or sales order) through the shared HTTP policy.

Separate from the PO Status client because it has its own URL and may be switched off
(`tdsynnex.invoice_url` empty), while sharing its credentials and its HTTP-status error mapping.
"""

from __future__ import annotations

from orderbridge.core.domain import Invoice
from orderbridge.core.errors import ConfigError, InvalidPurchaseOrder, MalformedResponse
from orderbridge.tdsynnex.client import XmlServiceClient, check_reply
from orderbridge.tdsynnex.invoice_xml import build_invoice_request, parse_invoice_response

SERVICE = "tdsynnex-invoice"
REQUEST_VERSION = "1.0"  # the SDK's version [S13]; VAR Connect sends "2.2" [S10], and either is accepted


class InvoiceClient(XmlServiceClient):
    """Fetches the invoices behind one PO or sales order. Pass `transport=` to mount the simulator in-process."""

    service = SERVICE

    @property
    def enabled(self) -> bool:
        """False when `tdsynnex.invoice_url` is empty: the sync then relies on PO Status codes alone."""
        return bool(self._settings.invoice_url)

    def _request_body(self, po_number: str | None, order_number: str | None) -> bytes:
        settings = self._settings
        try:
            return build_invoice_request(
                user_id=settings.user_id,
                password=settings.password.get_secret_value(),
                customer_number=settings.customer_number,
                po_number=po_number,
                order_number=order_number,
                version=REQUEST_VERSION,
            )
        except ValueError as exc:
            # The builder names the field, never its value.
            if str(exc).startswith(("po_number", "order_number")):
                raise InvalidPurchaseOrder(f"cannot ask TD SYNNEX for invoices: {exc}") from None
            raise ConfigError("tdsynnex", str(exc)) from None

    async def get_invoices(self, *, po_number: str | None = None, order_number: str | None = None) -> list[Invoice]:
        """Every invoice TD SYNNEX has for this PO and/or sales order; [] when nothing is invoiced yet."""
        url = self._settings.invoice_url
        if not url:
            raise ConfigError("tdsynnex.invoice_url", "is empty, so invoices cannot be fetched")
        body = self._request_body(po_number, order_number)
        # A query is a read, so ServiceHTTP may repeat it after a timeout or a 5xx.
        reply = await self._http.request(
            "POST", url, content=body, headers={"Content-Type": "application/xml"}, idempotent=True
        )
        check_reply(reply, service=SERVICE, what="the invoice query")
        try:
            return parse_invoice_response(reply.content)
        except MalformedResponse as exc:
            subject = f"PO {po_number!r}" if po_number else f"sales order {order_number!r}"
            raise MalformedResponse(f"TD SYNNEX invoices for {subject}: {exc.message}") from None
