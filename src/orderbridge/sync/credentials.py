"""The credentials judge: whether a service refused this cycle's credentials, decided from evidence, never
from one PO's answer.

One PO's answer that reads like a refused login (TD SYNNEX `ErrorDetail` text with "login" in it, a 401
or 403) arrives as `AuthSuspected` and fails that PO alone: the text may be about that PO, and a 403 on
one ConnectWise record may be that record's security restriction. Stopping the whole cycle on it once
left 40 of 49 POs unsynced every cycle. So per service, per cycle, the judge weighs:

- a probe, a call whose answer is known when the credentials are good: TD SYNNEX PO Status for a PO
  number that cannot exist answers `notFound` (troubleshoot/probes.py reads it the same way), the invoice
  service answers "no invoice", ConnectWise lists the PO statuses. Refused too: the credentials are wrong.
  Answered: they work, and the PO's refusal is that PO's. A probe runs on the first suspect answer and
  again after every `CONSISTENT` more without a success in between, so one odd PO costs one extra call.
- without a probe (or when the probe itself cannot get through): `CONSISTENT` suspect answers in a row
  with no success in between.

When it concludes, the judge raises one `AuthError` naming the service and what to fix; the engine stops
the cycle with it (one line, not one per PO). Not thread-safe and not meant to be: one judge per cycle,
on the cycle's event loop.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from orderbridge.connectwise.client import ConnectWiseClient
from orderbridge.core.errors import AuthError, AuthSuspected, OrderbridgeError
from orderbridge.tdsynnex.client import SERVICE as TDSYNNEX
from orderbridge.tdsynnex.client import TDSynnexClient
from orderbridge.tdsynnex.invoices import SERVICE as INVOICES
from orderbridge.tdsynnex.invoices import InvoiceClient

CONSISTENT = 3  # suspect answers in a row, no success between, that settle it without a probe
CONNECTWISE = "connectwise"
# No reseller PO carries this number: PONumber is AN 20 (td-synnex.md §1.2), and "notFound" for it is
# the healthy answer, since it proves the login and the customer number were accepted.
PROBE_PO = "OB-CREDENTIALS-PROBE"

Probe = Callable[[], Awaitable[object]]


class Verdict(enum.Enum):
    ACCEPTED = "accepted"
    REFUSED = "refused"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ServiceCheck:
    """How to judge one service: its name for people, an optional probe, and what to fix when refused."""

    name: str
    fix: str
    probe: Probe | None = None
    probe_text: str = ""


@dataclass
class _Evidence:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    streak: int = 0  # suspect answers since the last success
    since_probe: int = 0  # suspect answers since the last probe
    probed: bool = False
    vouched: bool = False  # the last probe answered: the credentials work
    first: str = ""  # the first suspect answer, quoted in the conclusion
    concluded: AuthError | None = None


def _plain(exc: AuthError | AuthSuspected) -> str:
    # The conclusion names its service once; the evidence quoted inside it need not repeat "tdsynnex: ".
    return exc.message.removeprefix(f"{exc.service}: ")


class CredentialsJudge:
    """One cycle's judge over every service (see the module docstring)."""

    def __init__(self, checks: Mapping[str, ServiceCheck], *, consistent: int = CONSISTENT) -> None:
        self._checks = dict(checks)
        self._consistent = max(1, consistent)
        self._evidence: dict[str, _Evidence] = {}
        self.probes = 0  # calls spent on probes this cycle, for tests and the log

    def _of(self, service: str) -> _Evidence:
        return self._evidence.setdefault(service, _Evidence())

    def accepted(self, service: str) -> None:
        """A call to `service` for some PO succeeded with the cycle's credentials."""
        evidence = self._evidence.get(service)
        if evidence is not None:
            evidence.streak = 0

    async def refused(self, exc: AuthSuspected, po_label: str) -> str:
        """Weigh one PO's suspect answer. Returns the message that PO fails with, or raises the cycle's
        AuthError once the evidence settles that the service refuses the credentials."""
        evidence = self._of(exc.service)
        check = self._checks.get(exc.service)
        async with evidence.lock:  # concurrent workers wait for one probe instead of sending their own
            if evidence.concluded is not None:
                raise evidence.concluded
            evidence.streak += 1
            evidence.since_probe += 1
            evidence.first = evidence.first or f"PO {po_label}: {_plain(exc)}"
            if (
                check is not None
                and check.probe is not None
                and (not evidence.probed or evidence.since_probe >= self._consistent)
            ):
                verdict, detail = await self._probe(check.probe)
                evidence.probed, evidence.since_probe = True, 0
                if verdict is Verdict.REFUSED:
                    self._conclude(exc, evidence, check, f"{check.probe_text} was refused too ({detail})")
                evidence.vouched = verdict is Verdict.ACCEPTED
            if evidence.vouched and check is not None:
                return (
                    f"{exc.message} (the credentials work, {check.probe_text} was answered: this concerns this PO only)"
                )
            if evidence.streak >= self._consistent:
                how = f"{evidence.streak} answers in a row said so, with no success in between"
                self._conclude(exc, evidence, check, how)
            return exc.message

    async def _probe(self, probe: Probe) -> tuple[Verdict, str]:
        self.probes += 1
        try:
            await probe()
        except (AuthError, AuthSuspected) as exc:
            return Verdict.REFUSED, _plain(exc)
        except OrderbridgeError as exc:
            # Down, throttled, an odd answer: the probe says nothing about the credentials.
            return Verdict.UNKNOWN, exc.message
        return Verdict.ACCEPTED, ""

    @staticmethod
    def _conclude(exc: AuthSuspected, evidence: _Evidence, check: ServiceCheck | None, how: str) -> None:
        name = check.name if check is not None else exc.service
        fix = check.fix if check is not None else "check the credentials configured for it"
        error = AuthError(
            f"{name} refused the credentials: {how}; the first refusal was on {evidence.first}. {fix}",
            service=exc.service,
            status=exc.status,
            body_excerpt=exc.body_excerpt,
            request_id=exc.request_id,
        )
        evidence.concluded = error
        raise error


def credential_checks(
    *, tdsynnex: TDSynnexClient | None, invoices: InvoiceClient | None, connectwise: ConnectWiseClient | None
) -> dict[str, ServiceCheck]:
    """The checks for one tenant's services, each with the probe its own client can make."""
    checks: dict[str, ServiceCheck] = {}
    tds_fix = (
        "Check [tdsynnex] user_id and password (the XML service login, the same as the ecExpress web login, "
        "so a changed web password changes it too) and customer_number, then run again."
    )
    if tdsynnex is not None:
        client = tdsynnex

        async def status_probe() -> object:
            return await client.get_status(PROBE_PO)

        checks[TDSYNNEX] = ServiceCheck("TD SYNNEX", tds_fix, status_probe, f"a test query for PO {PROBE_PO}")
    if invoices is not None:
        invoice_client = invoices

        async def invoice_probe() -> object:
            return await invoice_client.get_invoices(po_number=PROBE_PO)

        checks[INVOICES] = ServiceCheck(
            "The TD SYNNEX invoice service",
            tds_fix + " Or ask TD SYNNEX to enable the invoice query for that login, or set "
            '[tdsynnex] invoice_url = "" to sync without invoices.',
            invoice_probe,
            f"a test invoice query for PO {PROBE_PO}",
        )
    if connectwise is not None:
        cw = connectwise

        async def statuses_probe() -> object:
            return await cw.list_statuses()

        checks[CONNECTWISE] = ServiceCheck(
            "ConnectWise",
            "Check [connectwise] company, public_key, private_key and client_id, and that the API member is "
            "active and its security role may edit purchase orders, then run again.",
            statuses_probe,
            "a test read of the PO statuses",
        )
    return checks


__all__ = [
    "CONNECTWISE",
    "CONSISTENT",
    "INVOICES",
    "PROBE_PO",
    "TDSYNNEX",
    "CredentialsJudge",
    "ServiceCheck",
    "Verdict",
    "credential_checks",
]
