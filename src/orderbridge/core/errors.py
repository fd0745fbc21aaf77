"""The error tree, grouped by what the runner does next.

    OrderbridgeError
    ├── Fatal                      stop the run; the operator must fix something first
    │   ├── ConfigError            a config key is missing or wrong (names the key)
    │   ├── AuthError              a service's credentials are rejected: a call that speaks for the whole
    │   │                          service was refused (ConnectWise's PO listing, statuses), or
    │   │                          sync/credentials.py concluded it from evidence across POs or a probe
    │   ├── SetupError             ConnectWise lacks what the sync needs (custom field, statuses)
    │   ├── StoreUnavailable       orderbridge's own database cannot be opened (names the URL, no password)
    │   └── LeaseLost              this writer no longer holds its tenant's writer lease: stop writing now
    ├── Retriable                  back off and try again later; nothing is wrong with the data
    │   ├── TransientError         429, 5xx, timeouts, connection resets
    │   ├── TenantBusy             another process is writing to this tenant's ConnectWise right now
    │   └── (ApiError subclasses with retriable statuses)
    └── Skippable                  this PO only: record it, keep going with the others
        ├── MalformedResponse      a body that is not what the API promises (bad XML, HTML with 200)
        ├── DistributorError       TD SYNNEX said no inside an HTTP 200 (ErrorDetail, BizError)
        ├── InvalidPurchaseOrder   the ConnectWise PO cannot be tracked as it is (no PO number)
        ├── WriteRejected          ConnectWise refused a write for this PO (400 on PATCH)
        └── AuthSuspected          one PO's call looked like a credentials refusal (login words inside
                                   a 200, a 401/403): on its own it fails that PO only

`ApiError` is a mixin that carries what an operator quotes to a vendor: the service, HTTP status, a
redacted body excerpt and the request id. Every message passes through `redact` (core/redaction.py)
first, so no secret reaches a log line or the activity log through an exception.
"""

from __future__ import annotations

from orderbridge.core.redaction import redact


class OrderbridgeError(Exception):
    """Root of everything orderbridge raises on purpose. The message is always redacted."""

    def __init__(self, message: str) -> None:
        super().__init__(redact(message))

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class Fatal(OrderbridgeError):
    """Stop the run: continuing would only repeat the failure for every PO."""


class Retriable(OrderbridgeError):
    """Back off and try again later; the data is fine, the moment was not."""


class Skippable(OrderbridgeError):
    """Record it against this PO and carry on with the others."""


class ConfigError(Fatal):
    def __init__(self, key: str, problem: str) -> None:
        self.key = key
        super().__init__(f"config {key}: {problem}")


class ConfigFileNotFound(ConfigError):
    """The config file named (or the default one) is not there: the fix is the file, not a key."""


class SetupError(Fatal):
    pass


class StoreUnavailable(Fatal):
    """The store's database does not answer or refuses us; nothing can be recorded, so nothing is synced."""


class TransientError(Retriable):
    pass


class TenantBusy(Retriable):
    """Another writer holds the tenant's writer lease (runners/writer.py); nothing was written."""


class LeaseLost(Fatal):
    """The writer lease expired or was taken over mid-cycle (runners/writer.py): writing on could
    duplicate the other writer's notes, so the cycle ends before its next ConnectWise write."""


class MalformedResponse(Skippable):
    pass


class DistributorError(Skippable):
    """TD SYNNEX refused the query inside an HTTP 200 (`ErrorMessage/ErrorDetail`, `BizError`)."""


class InvalidPurchaseOrder(Skippable):
    pass


class ApiError(OrderbridgeError):
    """What went wrong on one HTTP call, with what a vendor's support desk asks for."""

    service: str
    status: int | None
    body_excerpt: str
    request_id: str | None
    code: str | None

    def __init__(
        self,
        message: str,
        *,
        service: str,
        status: int | None = None,
        body_excerpt: str = "",
        request_id: str | None = None,
        code: str | None = None,
    ) -> None:
        self.service = service
        self.status = status
        self.body_excerpt = redact(body_excerpt[:500])
        self.request_id = request_id
        self.code = code
        detail = f"{service}: {message}"
        if status is not None:
            detail += f" (HTTP {status}"
            detail += f", request id {request_id})" if request_id else ")"
        super().__init__(detail)


class AuthError(ApiError, Fatal):
    """A service's credentials are rejected, for every PO: the cycle stops with one message saying what to fix."""


class AuthSuspected(ApiError, Skippable):
    """One PO's call answered like a credentials refusal: a TD SYNNEX error text with login words, an HTTP
    401/403. On its own that proves nothing about the service: the text may be about this PO, and a 403 on
    one ConnectWise record may be that record's security restriction. So it fails this PO only, and the
    cycle's credentials judge (sync/credentials.py) turns consistent evidence, or a failed probe, into one
    AuthError for the service."""


class TransientApiError(ApiError, TransientError):
    pass


class WriteRejected(ApiError, Skippable):
    """ConnectWise refused a write for one PO (400/404/409); other POs still sync."""


class RequestRejected(ApiError, Skippable):
    """A read for one PO failed in a way that retrying will not fix (400/404 on a single record)."""


class ResponseTooLarge(ApiError, Skippable):
    pass
