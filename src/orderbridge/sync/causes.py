"""Why POs failed, told once per cause: identical failures grouped, and a service outage in one line.

An operator reading 49 copies of "POST /SynnexXML/POStatus failed" learns less than from one line
saying TD SYNNEX did not answer for all 49 POs and what to check. So every failure carries a `Cause`
(what kind of thing went wrong, and for a service which one), failures are grouped by it, and the
outage rule decides when a cycle failed as a whole, which is what the exit codes and the daemon's
health report. Pure functions; the engine records causes, the CLI and the daemon print them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from orderbridge.config import Settings
from orderbridge.core.errors import ApiError, OrderbridgeError, Retriable

SERVICE = "service"  # the service did not answer usefully (connection, timeout, 5xx, 429): retried later
SETUP = "setup"  # ConnectWise lacks what the sync needs (a status): `orderbridge setup` fixes it
PO = "po"  # this PO's own data or answer: other POs are unaffected

# Per service: the name an operator knows, and the config key that says where it is.
_SERVICES = {
    "connectwise": ("ConnectWise", "[connectwise] base_url"),
    "tdsynnex": ("TD SYNNEX", "[tdsynnex] url"),
    "tdsynnex-invoice": ("TD SYNNEX's invoice service", "[tdsynnex] invoice_url"),
    "tdsynnex-partner": ("TD SYNNEX's Partner API", "[partner] base_url"),
}
# The transport failure codes of http/policy.py, in words.
_REASONS = {
    "connect": "could not connect to {host}",
    "connect-timeout": "connecting to {host} timed out",
    "timeout": "{host} did not answer in time",
    "reset": "{host} dropped the connection",
    "truncated": "{host} cut its answers short",
    "pool-timeout": "every connection to {host} stayed busy",
}
EXAMPLES = 3  # PO numbers shown per group


@dataclass(frozen=True)
class Cause:
    kind: str = PO
    service: str | None = None  # for SERVICE: which one ("tdsynnex", "connectwise", ...)
    reason: str | None = None  # for SERVICE: the transport failure code or the HTTP status


PO_CAUSE = Cause()
SETUP_CAUSE = Cause(SETUP)


def cause_of(exc: BaseException) -> Cause:
    """The cause of one PO's failure: a retriable error is the service's; the rest is the PO's own."""
    if isinstance(exc, Retriable):
        service = exc.service if isinstance(exc, ApiError) else None
        status = exc.status if isinstance(exc, ApiError) else None
        code = exc.code if isinstance(exc, ApiError) else None
        return Cause(SERVICE, service, code or (str(status) if status is not None else None))
    return PO_CAUSE


@dataclass(frozen=True)
class FailureGroup:
    """POs that failed the same way: one example message, and the POs it applies to."""

    message: str
    cause: Cause
    pos: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.pos)

    def text(self) -> str:
        if self.count == 1:
            return f"{self.pos[0]}: {self.message}"
        shown = ", ".join(self.pos[:EXAMPLES]) + (", ..." if self.count > EXAMPLES else "")
        return f"{self.count} POs ({shown}): {self.message}"


def group_failures(failures: Sequence[tuple[str, str]], causes: Sequence[Cause]) -> list[FailureGroup]:
    """Failures with the same cause and message together, the largest group first (ties: first seen).

    A service's failures group by service and reason alone: their messages differ only by the path,
    which for ConnectWise holds the PO id."""
    groups: dict[tuple[object, ...], tuple[str, Cause, list[str]]] = {}
    for (po, message), cause in zip(failures, causes, strict=True):
        key: tuple[object, ...] = (cause.kind, cause.service, cause.reason) if cause.kind == SERVICE else (message,)
        groups.setdefault(key, (message, cause, []))[2].append(po)
    ordered = sorted(groups.values(), key=lambda group: -len(group[2]))
    return [FailureGroup(message, cause, tuple(pos)) for message, cause, pos in ordered]


def service_words(service: str | None, reason: str | None, settings: Settings) -> tuple[str, str, str]:
    """(the service's name, what happened, what to check) for one service failure."""
    name, key = _SERVICES.get(service or "", (service or "a service", "the service URLs"))
    host = _host(service, settings)
    if reason in _REASONS:
        return name, _REASONS[reason].format(host=host), f"check the network or the {key}"
    if reason == "429":
        section = key.split("]")[0] + "]"
        return name, f"{host} kept answering HTTP 429 (too many requests)", f"lower {section} requests_per_minute"
    if reason is not None and reason.isdigit():
        return name, f"{host} answered HTTP {reason}", f"{name} is failing; it is retried next cycle"
    return name, f"{host} failed", f"check the network or the {key}"


def outage_line(
    failures: Sequence[tuple[str, str]], causes: Sequence[Cause], attempted: int, settings: Settings
) -> str | None:
    """One line when the cycle failed as a whole because a service did not answer, else None.

    The rule: at least one PO was attempted, and every attempted PO failed with a service cause
    (connection, timeout, 5xx, 429 after the retries). A cycle where some POs failed for their own
    reasons, or where any PO got through, is a normal cycle: its failures are in the summary."""
    if attempted <= 0 or len(failures) < attempted or any(cause.kind != SERVICE for cause in causes):
        return None
    group = group_failures(failures, causes)[0]
    name, what, fix = service_words(group.cause.service, group.cause.reason, settings)
    scope = f"all {attempted} POs" if group.count == attempted else f"{group.count} of {attempted} POs"
    return f"{name} did not answer ({what}) for {scope}: {fix}"


def error_line(exc: OrderbridgeError, settings: Settings) -> str:
    """A cycle-stopping error in one line; a service that did not answer is said the outage way."""
    cause = cause_of(exc)
    if cause.kind != SERVICE:
        return exc.message
    name, what, fix = service_words(cause.service, cause.reason, settings)
    return f"{name} did not answer ({what}): {fix}"


def top_causes(groups: Sequence[FailureGroup], *, limit: int = 3) -> str:
    """The daemon's summary of a cycle's failures: "12 failed: <message>; 1 failed: ...; and 2 more causes"."""
    parts = [f"{group.count} failed: {group.message}" for group in groups[:limit]]
    if len(groups) > limit:
        parts.append(f"and {len(groups) - limit} more causes (`orderbridge log --action error`)")
    return "; ".join(parts)


def _host(service: str | None, settings: Settings) -> str:
    url = {
        "connectwise": settings.connectwise.base_url,
        "tdsynnex": settings.tdsynnex.url,
        "tdsynnex-invoice": settings.tdsynnex.invoice_url or "",
        "tdsynnex-partner": settings.partner.base_url,
    }.get(service or "", "")
    parts = urlsplit(url)
    if not parts.hostname:
        return "the service"
    return parts.hostname + (f":{parts.port}" if parts.port else "")
