"""What a provider's HTTP reply means on our error tree, for all three providers.

Retriable statuses (429, 5xx) never get here: ServiceHTTP retried them, honouring Retry-After, and
raised TransientApiError when they kept coming. What is left: 401/403 stop the run (our credentials),
any other 4xx is a refusal of this one request (RequestRejected, Skippable), a 2xx whose body is not
JSON is malformed. Each provider passes a `summary` that reads its own error envelope into a code and a
message, so operators see the provider's words and the code its support desk asks for.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from orderbridge.core.errors import ApiError, AuthError, MalformedResponse, RequestRejected, TransientApiError
from orderbridge.http import Reply

Summary = Callable[[Any], tuple[str | None, str | None]]  # error body -> (code, message)


class MalformedProviderResponse(ApiError, MalformedResponse):
    """A provider's 2xx whose body is not the JSON its API promises (an HTML page from a proxy, cut short)."""


def body_of(reply: Reply) -> Any:
    """The JSON body, or None when there is none or it is not JSON."""
    try:
        return json.loads(reply.content) if reply.content else None
    except (ValueError, UnicodeDecodeError):
        return None


def decode(reply: Reply, *, service: str, what: str) -> dict[str, Any]:
    body = body_of(reply)
    if not isinstance(body, dict):
        raise MalformedProviderResponse(
            f"{what}: the answer is not a JSON object",
            service=service,
            status=reply.status,
            body_excerpt=reply.text,
            request_id=reply.request_id,
        )
    return body


def refusal(
    reply: Reply,
    *,
    service: str,
    what: str,
    summary: Summary,
    auth_hint: str,
    auth_statuses: tuple[int, ...] = (401, 403),
) -> ApiError:
    """The error for a reply that is not a success: AuthError (401/403), TransientApiError (5xx that got
    through), RequestRejected (any other status: this request only)."""
    code, message = summary(body_of(reply))
    detail = f"{code}: {message}" if code and message else message or code or "no error body"
    common: dict[str, Any] = {
        "service": service,
        "status": reply.status,
        "body_excerpt": reply.text,
        "request_id": reply.request_id,
        "code": code,
    }
    if reply.status in auth_statuses:
        return AuthError(f"{what}: credentials refused ({detail}); {auth_hint}", **common)
    if reply.status >= 500:
        return TransientApiError(f"{what}: the service failed ({detail})", **common)
    return RequestRejected(f"{what}: refused ({detail})", **common)


def records(value: Any) -> list[Mapping[str, Any]]:
    """The objects of a field that should be a list of objects; anything else (a lone object, a string,
    a number) as an empty list, so one odd field never costs the whole answer."""
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def text(value: Any, limit: int = 200) -> str | None:
    """A field that should be a short string, as one; anything else as None."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        shown = str(value).strip()
        return shown[:limit] if shown else None
    return None
