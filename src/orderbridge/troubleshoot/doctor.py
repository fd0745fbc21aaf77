"""The doctor's two runs, wired: a tenant health check and one PO's explanation, as `Report`s.

The command (`commands/doctor.py`) only loads config and prints; everything here takes settings, a
store and optional transports, so tests drive it against the simulators over real sockets.
"""

from __future__ import annotations

from datetime import datetime

from orderbridge.config import Settings
from orderbridge.connectwise.client import ConnectWiseClient
from orderbridge.store import Store
from orderbridge.store.payloads import Payload
from orderbridge.sync.tenant import Transports
from orderbridge.troubleshoot.findings import Finding
from orderbridge.troubleshoot.gather import gather
from orderbridge.troubleshoot.health import check_lag, check_last_cycle, check_schema
from orderbridge.troubleshoot.network import probe_reachable
from orderbridge.troubleshoot.po import explain
from orderbridge.troubleshoot.probes import probe_connectwise, probe_tdsynnex


async def check_tenant(
    name: str, settings: Settings, store: Store, now: datetime, transports: Transports | None = None
) -> list[Finding]:
    """Config, both services' connectivity and credentials, ConnectWise setup, store, last cycle, lag."""
    transports = transports or Transports()
    findings = [Finding.passed("config", f"config for tenant {name!r} is valid")]
    findings += await probe_connectwise(settings, transports.connectwise)
    findings += await probe_tdsynnex(settings, transports.tdsynnex)
    if settings.tdsynnex.invoice_url:
        findings.append(
            await probe_reachable(
                "tdsynnex-invoice", settings.tdsynnex.invoice_url, settings.http, transport=transports.tdsynnex
            )
        )
    schema = check_schema(store)
    findings.append(schema)
    if schema.ok:
        findings += check_last_cycle(store, name, now, settings.display.zone)
        findings.append(check_lag(store, name, now))
    return findings


async def explain_po(
    name: str,
    settings: Settings,
    store: Store,
    po_number: str,
    now: datetime,
    transports: Transports | None = None,
) -> tuple[list[Finding], Payload | None]:
    """One PO end to end; ConnectWise is asked live when it is reachable, TD SYNNEX never."""
    transports = transports or Transports()
    schema = check_schema(store)
    if not schema.ok:
        return [schema], None
    reachable = await probe_reachable(
        "connectwise", settings.connectwise.base_url, settings.http, transport=transports.connectwise
    )
    if not reachable.ok:
        evidence, payload = await gather(settings, store, name, po_number, now, None)
        return [reachable, *explain(evidence)], payload
    async with ConnectWiseClient(settings.connectwise, settings.http, transport=transports.connectwise) as cw:
        evidence, payload = await gather(settings, store, name, po_number, now, cw)
    return explain(evidence), payload
