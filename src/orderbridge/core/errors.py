"""The error tree, grouped by what the runner does next.

    OrderbridgeError
    ├── Fatal                      stop the run; the operator must fix something first
    │   ├── ConfigError            a config key is missing or wrong (names the key)
    │   ├── AuthError              credentials rejected (ConnectWise 401/403, TD SYNNEX login failure)
    │   └── SetupError             ConnectWise lacks what the sync needs (custom field, statuses)
    ├── Retriable                  back off and try again later; nothing is wrong with the data
    │   ├── TransientError         429, 5xx, timeouts, connection resets
    │   └── (ApiError subclasses with retriable statuses)
    └── Skippable                  this PO only: record it, keep going with the others
        ├── MalformedResponse      a body that is not what the API promises (bad XML, HTML with 200)
        ├── DistributorError       TD SYNNEX said no inside an HTTP 200 (ErrorDetail, BizError)
        ├── InvalidPurchaseOrder   the ConnectWise PO cannot be tracked as it is (no PO number)
        └── WriteRejected          ConnectWise refused a write for this PO (400 on PATCH)

`ApiError` is a mixin that carries what an operator quotes to a vendor: the service, HTTP status, a
redacted body excerpt and the request id. Every message passes through `redact` first, so no secret
reaches a log line or the activity log through an exception.
"""

from __future__ import annotations

import base64
import binascii
import re

_SECRET_PATTERNS = [
    # XML credentials: a TD SYNNEX request body *is* a credential (reliability-security.md §4.3).
    re.compile(r"(<(?:Password|UserID)>)(.*?)(</(?:Password|UserID)>)", re.IGNORECASE | re.DOTALL),
    re.compile(r"(<Credential>)(.*?)(</Credential>)", re.IGNORECASE | re.DOTALL),
    re.compile(r"((?:authorization|clientid|cookie)\s*[:=]\s*)([^\s,;'\"}]+(?:\s+[^\s,;'\"}]+)?)", re.IGNORECASE),
    re.compile(
        # key=value (forms, query strings) or "key": "value" (JSON); not prose such as "password: required".
        r"((?:access_token|refresh_token|client_secret|password|private_key|signing_key)"
        r"(?:=|[\"']\s*:\s*[\"']?))"
        r"([^\"'&\s,}]+)",
        re.IGNORECASE,
    ),
]
# The literal word each pattern needs, lower-cased: a text with none of them (most answers) skips the
# pattern, and `in` on a lower-cased copy costs far less than a case-insensitive scan per pattern.
_MARKERS = [
    ("password", "userid"),
    ("credential",),
    ("authorization", "clientid", "cookie"),
    ("access_token", "refresh_token", "client_secret", "password", "private_key", "signing_key"),
]
_BASE64_BLOB = re.compile(r"\b[A-Za-z0-9+/]{12,}={0,2}")
_extra_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a configured secret so `redact` removes it wherever it turns up, verbatim."""
    # Short values ("demo") would blank out ordinary words everywhere; real keys are much longer.
    if value and len(value) >= 8:
        _extra_secrets.add(value)


# Blobs already found not to be credentials: XML element names and SKUs repeat in every answer, and
# decoding each again was a tenth of a sync cycle's CPU. Only negatives are kept, so no credential is
# ever held here; the set is bounded by clearing it when full.
_NOT_CREDENTIALS: set[str] = set()
_NOT_CREDENTIALS_MAX = 16384


def _looks_like_basic_credentials(blob: str) -> bool:
    if blob in _NOT_CREDENTIALS:
        return False
    try:
        decoded = base64.b64decode(blob + "=" * (-len(blob) % 4), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        decoded = ""
    if "+" in decoded and ":" in decoded:
        return True
    if len(_NOT_CREDENTIALS) >= _NOT_CREDENTIALS_MAX:
        _NOT_CREDENTIALS.clear()
    _NOT_CREDENTIALS.add(blob)
    return False


def redact(text: str) -> str:
    """Remove credentials from text bound for logs, errors or the activity log."""
    for secret in sorted(_extra_secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    lowered = text.lower()
    for pattern, markers in zip(_SECRET_PATTERNS, _MARKERS, strict=True):
        if any(marker in lowered for marker in markers):
            text = pattern.sub(r"\1***\3" if pattern.groups == 3 else r"\1***", text)
    return _BASE64_BLOB.sub(lambda m: "***" if _looks_like_basic_credentials(m.group(0)) else m.group(0), text)


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


class SetupError(Fatal):
    pass


class TransientError(Retriable):
    pass


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
    pass


class TransientApiError(ApiError, TransientError):
    pass


class WriteRejected(ApiError, Skippable):
    """ConnectWise refused a write for one PO (400/404/409); other POs still sync."""


class RequestRejected(ApiError, Skippable):
    """A read for one PO failed in a way that retrying will not fix (400/404 on a single record)."""


class ResponseTooLarge(ApiError, Skippable):
    pass
