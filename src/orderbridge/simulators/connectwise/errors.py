"""ConnectWise error envelopes, one exception class per error code the real API is known to answer.

Handlers raise these; the app turns them into the JSON ConnectWise sends (connectwise-psa.md §6.1, §6.3):
`{"code", "message", "errors"?}` — except 429, whose documented body uses the key `error`, not `code`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class FieldError:
    """One `ValidationError` inside an `InvalidObject` 400."""

    code: str  # MissingRequiredField | InvalidField | OutOfRange | ObjectExists
    message: str
    resource: str
    field: str

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "resource": self.resource, "field": self.field}


class ConnectWiseError(Exception):
    """An answer the simulated server gives instead of a record."""

    status = 500
    code = "ConnectWiseApi"

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}

    def body_bytes(self) -> bytes:
        return json.dumps(self.body()).encode()


class Unauthorized(ConnectWiseError):
    status = 401
    code = "Unauthorized"


class BadRequest(ConnectWiseError):
    """A request the API cannot read (paging knobs, JSON syntax, patch shape).

    The code for these is not documented; "ConnectWiseApi" is the catch-all code the real API uses for
    errors it has no specific code for (connectwise-psa.md §6.3). UNCONFIRMED.
    """

    status = 400


class ConditionError(ConnectWiseError):
    """Bad `conditions`/`orderBy` field or syntax. Status 400 is UNCONFIRMED (reference §2.1: "400 likely")."""

    status = 400
    code = "ApiFindCondition"


class InvalidObject(ConnectWiseError):
    status = 400
    code = "InvalidObject"

    def __init__(self, resource: str, errors: list[FieldError]) -> None:
        super().__init__(f"{resource} object is invalid")
        self.errors = errors

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "errors": [e.to_json() for e in self.errors]}


class NotFound(ConnectWiseError):
    """Unknown record. Wording copies the live contact fixture ("Contact 57919 not found"); UNCONFIRMED for POs."""

    status = 404
    code = "NotFound"


class RouteNotFound(ConnectWiseError):
    status = 404
    code = "ConnectWiseApi"

    def __init__(self) -> None:
        super().__init__("The endpoint does not exist.")


class MethodNotAllowed(ConnectWiseError):
    """Wording is ASP.NET Web API's stock 405 message; ConnectWise's own wording is UNCONFIRMED."""

    status = 405
    code = "ConnectWiseApi"

    def __init__(self, method: str) -> None:
        super().__init__(f"The requested resource does not support http method '{method}'.")


class TooManyRequests(ConnectWiseError):
    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Too many requests. Please try again in {retry_after} seconds.",
            headers={"Retry-After": str(retry_after)},
        )

    def body(self) -> dict[str, Any]:
        # The DG's example really uses "error" here, unlike every other ConnectWise error body.
        return {"error": "ConnectWiseAPI", "message": self.message}


def invalid(resource: str, field: str, message: str, code: str = "InvalidField") -> InvalidObject:
    """Shorthand for the common one-field 400."""
    return InvalidObject(resource, [FieldError(code, message, resource, field)])
