"""The three providers' refusals, each in its own error envelope (carriers.md §1.7, §2.5, §3.6).

A route raises `ProviderError(provider, status, code, message)`; the app renders it as that provider
does. Codes and messages are the documented ones where the notes have them; the rest are marked
UNCONFIRMED in COVERAGE.md.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from starlette.responses import JSONResponse

Provider = Literal["easypost", "ups", "fedex"]


class ProviderError(Exception):
    def __init__(
        self,
        provider: Provider,
        status: int,
        code: str,
        message: str,
        *,
        errors: list[Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{provider} {status} {code}: {message}")
        self.provider = provider
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors or []
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        if self.provider == "easypost":
            return {"error": {"code": self.code, "message": self.message, "errors": self.errors}}
        if self.provider == "ups":
            return {"response": {"errors": [{"code": self.code, "message": self.message}]}}
        return {"transactionId": str(uuid.uuid4()), "errors": [{"code": self.code, "message": self.message}]}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


# --- EasyPost ------------------------------------------------------------------------------------------


def easypost_unauthorized() -> ProviderError:
    # The HTTP status is documented; the code string is UNCONFIRMED.
    return ProviderError("easypost", 401, "APIKEY.INACTIVE", "The API key provided is not valid or was not supplied.")


def easypost_not_found() -> ProviderError:
    return ProviderError("easypost", 404, "NOT_FOUND", "The requested resource could not be found.")


def easypost_required(field: str, parent: str) -> ProviderError:
    return ProviderError(
        "easypost",
        422,
        "PARAMETER.REQUIRED",
        "Missing required parameter.",
        errors=[{"field": f"{parent}.{field}", "message": "cannot be blank"}],
    )


def easypost_tracker_error(message: str) -> ProviderError:
    # TRACKER.CREATE.ERROR is seen only in third-party captures (carriers.md §1.3).
    return ProviderError("easypost", 422, "TRACKER.CREATE.ERROR", message)


# --- UPS -----------------------------------------------------------------------------------------------


def ups_invalid_client() -> ProviderError:
    return ProviderError("ups", 401, "10401", "ClientId is Invalid")


def ups_invalid_token() -> ProviderError:
    return ProviderError("ups", 401, "250002", "Invalid Authentication Information.")


def ups_expired_token() -> ProviderError:
    return ProviderError("ups", 401, "251004", "Bearer Token expired (oauth)")


def ups_invalid_number() -> ProviderError:
    # TV1002 is documented; its HTTP status is UNCONFIRMED (400 here).
    return ProviderError("ups", 400, "TV1002", "Invalid inquiry number")


def ups_bad_request(message: str) -> ProviderError:
    # A missing transId/transactionSrc header: the code is UNCONFIRMED.
    return ProviderError("ups", 400, "VSS000", message)


# --- FedEx ---------------------------------------------------------------------------------------------


def fedex_invalid_client() -> ProviderError:
    message = "The given client credentials were not valid. Please modify your request and try again."
    return ProviderError("fedex", 401, "NOT.AUTHORIZED.ERROR", message)


def fedex_expired_token() -> ProviderError:
    message = "Access token expired. Please modify your request and try again."
    return ProviderError("fedex", 401, "NOT.AUTHORIZED.ERROR", message)


def fedex_empty() -> ProviderError:
    return ProviderError("fedex", 400, "TRACKING.TRACKINGNUMBER.EMPTY", "Please provide tracking number.")


def fedex_too_many(count: int) -> ProviderError:
    # The schema allows at most 30 entries; the code of the refusal is UNCONFIRMED.
    message = f"A maximum of 30 tracking numbers can be sent in one request; {count} were sent."
    return ProviderError("fedex", 400, "TRACKING.TRACKINGNUMBER.LIMIT.EXCEEDED", message)


def too_many_requests(provider: Provider, retry_after: int | None) -> ProviderError:
    """429. UPS sends no rate-limit headers (§2.6); the others' Retry-After is UNCONFIRMED, so only a
    fault or a configured limit that asks for one adds it."""
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    if provider == "ups":
        return ProviderError("ups", 429, "10429", "Too Many Requests", headers=headers)
    if provider == "fedex":
        return ProviderError("fedex", 429, "TOO.MANY.REQUESTS", "Too many requests.", headers=headers)
    return ProviderError("easypost", 429, "RATE_LIMITED", "Too Many Requests", headers=headers)


def server_error(provider: Provider, status: int) -> ProviderError:
    if provider == "fedex":
        code = "SERVICE.UNAVAILABLE.ERROR" if status == 503 else "INTERNAL.SERVER.ERROR"
        return ProviderError("fedex", status, code, "The service is currently unavailable.")
    if provider == "ups":
        return ProviderError("ups", status, "10004", "The system is temporarily unavailable.")
    return ProviderError("easypost", status, "INTERNAL_SERVER_ERROR", "Something went wrong on our end.")
