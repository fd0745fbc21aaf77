"""The errors the simulated TD SYNNEX answers with, each carrying the real ErrorMessage string.

TD SYNNEX reports request problems inside HTTP 200 (td-synnex.md §7.8), so these are not HTTP errors:
each one knows its `ErrorMessage`/`ErrorDetail` pair and the outcome word the request log records.
`ControlError` is the odd one out: it belongs to the `/_sim/` JSON control API and carries an HTTP status.
"""

from __future__ import annotations

from collections.abc import Sequence

from orderbridge.simulators.tdsynnex.render import render_error


class SynnexError(Exception):
    """A request the service refuses; rendered as `<ErrorMessage>`/`<ErrorDetail>` with status 200."""

    message: str = "ServerError"
    outcome: str = "error"
    envelope: str = "OrderStatusResponse"

    def __init__(self, detail: str) -> None:
        super().__init__(f"{self.message}: {detail}")
        self.detail = detail

    def render(self) -> bytes:
        return render_error(self.message, self.detail, envelope=self.envelope)


class IncompleteXML(SynnexError):
    """Missing or empty required elements, or a body that is not XML at all."""

    message = "Client.IncompleteXML"
    outcome = "incompleteXML"

    @classmethod
    def missing(cls, paths: Sequence[str]) -> IncompleteXML:
        # The real detail numbers each problem: "(1)OrderStatusRequest/PONumber: String value required".
        # How several problems are joined is UNCONFIRMED; a space keeps each "(n)" prefix findable.
        return cls(" ".join(f"({n}){path}: String value required" for n, path in enumerate(paths, start=1)))


class LoginFailed(SynnexError):
    # Wording UNCONFIRMED: no public capture of a PO Status login failure exists. Clients should treat any
    # ErrorMessage mentioning login/password/UserID as an authentication failure rather than match this text.
    message = "Login failed"
    outcome = "loginFailed"

    def __init__(self) -> None:
        super().__init__("Invalid UserID or Password")


class NotSupported(SynnexError):
    """An `OrderRequest` (PO submission): real on /SynnexXML/PO, not modelled by this simulator."""

    message = "not supported by simulator"
    outcome = "unsupported"
    envelope = "OrderResponse"


class ControlError(Exception):
    """A bad call to the `/_sim/` control API: a JSON error with an HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
