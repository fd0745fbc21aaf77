"""The TD SYNNEX XML PO Status client: one POST per PO, through the shared HTTP policy, parsed by the codec.

It is separate from `xml.py` so the codec stays pure (the simulator uses it too) and all network concerns
(status codes, retries, credentials) sit here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from zoneinfo import ZoneInfo

import httpx

from orderbridge.config import HttpSettings, TDSynnexSettings
from orderbridge.core.domain import DistributorOrder
from orderbridge.core.errors import (
    AuthSuspected,
    ConfigError,
    InvalidPurchaseOrder,
    MalformedResponse,
    RequestRejected,
    TransientApiError,
)
from orderbridge.core.redaction import register_secret
from orderbridge.http import Reply, ServiceClient, ServiceHTTP, ServicePolicy
from orderbridge.tdsynnex.request import StatusRequestTemplate
from orderbridge.tdsynnex.xml import parse_status_response

SERVICE = "tdsynnex"


class XmlServiceClient(ServiceClient):
    """What every TD SYNNEX XML service client shares: credentials, the HTTP policy and its lifetime."""

    service = SERVICE

    def __init__(
        self,
        settings: TDSynnexSettings,
        http: HttpSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._settings = settings
        # load_settings registers it too; settings built directly (tests, tenants) must not leak it either.
        register_secret(settings.password.get_secret_value())
        policy = ServicePolicy.from_settings(
            self.service, http, concurrency=settings.concurrency, requests_per_minute=settings.requests_per_minute
        )
        self._http = ServiceHTTP(policy, transport=transport, sleep=sleep)


class TDSynnexClient(XmlServiceClient):
    """Asks TD SYNNEX where one PO is. Pass `transport=` to mount the simulator in-process."""

    def __init__(
        self,
        settings: TDSynnexSettings,
        http: HttpSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__(settings, http, transport=transport, sleep=sleep)
        self._tz = ZoneInfo(settings.timezone)
        self._template: StatusRequestTemplate | None = None

    def _request_body(self, po_number: str) -> bytes:
        settings = self._settings
        try:
            if self._template is None:
                self._template = StatusRequestTemplate(
                    user_id=settings.user_id,
                    password=settings.password.get_secret_value(),
                    customer_number=settings.customer_number,
                    version=settings.request_version,
                )
            return self._template.render(po_number)
        except ValueError as exc:
            # The builder names the field, never its value.
            if str(exc).startswith("po_number"):
                raise InvalidPurchaseOrder(f"PO number cannot be sent to TD SYNNEX: {exc}") from None
            raise ConfigError("tdsynnex", str(exc)) from None

    async def get_status(self, po_number: str) -> DistributorOrder:
        """The TD SYNNEX view of one reseller PO (every sales order and line behind it)."""
        order, _raw = await self.get_status_raw(po_number)
        return order

    async def get_status_raw(self, po_number: str) -> tuple[DistributorOrder, bytes]:
        """`get_status` plus the response body it was parsed from (kept by the payload store)."""
        body = await self.fetch_status(po_number)
        return self.parse_status(body, po_number), body

    async def fetch_status(self, po_number: str) -> bytes:
        """The status answer as TD SYNNEX sent it, HTTP status checked but not yet parsed: the engine
        compares it with the last answer first and parses only one that can say something new."""
        if not po_number or not po_number.strip():
            raise InvalidPurchaseOrder("the PO has no PO number, and TD SYNNEX status is keyed by it")
        body = self._request_body(po_number)
        # A status query is a read, so ServiceHTTP may repeat it after a timeout or a 5xx.
        reply = await self._http.request(
            "POST",
            self._settings.url,
            content=body,
            headers={"Content-Type": "application/xml"},
            idempotent=True,
        )
        self._check_status(reply)
        return reply.content

    def parse_status(self, body: bytes, po_number: str) -> DistributorOrder:
        try:
            return parse_status_response(body, tz=self._tz)
        except MalformedResponse as exc:
            raise MalformedResponse(f"TD SYNNEX status for PO {po_number!r}: {exc.message}") from None

    @staticmethod
    def _check_status(reply: Reply) -> None:
        check_reply(reply, service=SERVICE, what="the status query")


def check_reply(reply: Reply, *, service: str, what: str) -> None:
    """The HTTP-status half of the error mapping, shared by every TD SYNNEX client (PO Status, invoices,
    Partner API): 2xx passes, 401/403 looks like a credential problem (one call cannot tell; the credentials
    judge in sync/credentials.py decides for the service), other 4xx this request's, the rest the server's."""
    status = reply.status
    if 200 <= status < 300:
        return
    excerpt, request_id = reply.text, reply.request_id
    if status in (401, 403):
        raise AuthSuspected(
            "TD SYNNEX refused the credentials",
            service=service,
            status=status,
            body_excerpt=excerpt,
            request_id=request_id,
        )
    if 400 <= status < 500:
        raise RequestRejected(
            f"TD SYNNEX rejected {what}",
            service=service,
            status=status,
            body_excerpt=excerpt,
            request_id=request_id,
        )
    # 429 and the retriable 5xx end in ServiceHTTP. Anything else (501, 505, 1xx) is the server's doing, so
    # the PO is retried next cycle rather than marked bad.
    raise TransientApiError(
        "TD SYNNEX answered with an unexpected status",
        service=service,
        status=status,
        body_excerpt=excerpt,
        request_id=request_id,
    )
