"""Live checks with the real clients: credentials, clientId, and what ConnectWise must have for the sync.

Each probe goes through the same client the sync uses, so a pass here means the sync's own calls get
through. TD SYNNEX is asked about a PO number nobody uses: "notFound" is the healthy answer, because
it proves the login and the customer number were accepted.
"""

from __future__ import annotations

import httpx

from orderbridge.config import Settings
from orderbridge.connectwise.client import ConnectWiseClient
from orderbridge.core.errors import ApiError, AuthError, AuthSuspected, DistributorError, OrderbridgeError
from orderbridge.sync.fulfilment import fulfilment_problems
from orderbridge.sync.tracking_field import missing_field_message
from orderbridge.tdsynnex.client import TDSynnexClient
from orderbridge.troubleshoot.findings import Finding
from orderbridge.troubleshoot.network import probe_reachable

PROBE_PO = "ORDERBRIDGE-DOCTOR-PROBE"


def _http_status(exc: OrderbridgeError) -> str:
    status = exc.status if isinstance(exc, ApiError) else None
    return f"HTTP {status}" if status is not None else "no HTTP status"


def connectwise_auth_failure(exc: AuthError) -> Finding:
    """A refused ConnectWise call: a missing or rejected clientId, or the keys themselves."""
    # The client's own message names the clientId among things to check; only ConnectWise's body decides.
    if "clientid" in exc.body_excerpt.lower():
        return _client_id_problem(f"ConnectWise refused the clientId ({_http_status(exc)})", exc.body_excerpt)
    return Finding.problem(
        "connectwise.auth",
        f"ConnectWise refused the credentials ({_http_status(exc)})",
        cause="the company id, public key or private key is wrong, or the API member is inactive",
        fix="check [connectwise] company, public_key and private_key against the API member's keys "
        "(System > Members > API Members); regenerate the keys if in doubt",
        detail=exc.body_excerpt,
    )


def _client_id_problem(summary: str, detail: str) -> Finding:
    return Finding.problem(
        "connectwise.client_id",
        f"clientId problem: {summary}",
        cause="every ConnectWise API call needs a valid clientId header, and this one is missing or refused",
        fix="set [connectwise] client_id to the GUID registered at developer.connectwise.com/ClientID",
        detail=detail,
    )


async def probe_connectwise(settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> list[Finding]:
    cw_settings = settings.connectwise
    network = await probe_reachable("connectwise", cw_settings.base_url, settings.http, transport=transport)
    if not network.ok:
        return [network]
    findings = [network]
    if not cw_settings.client_id.strip():
        return [*findings, _client_id_problem("HTTP headers cannot carry a blank value", "")]
    probe_http = settings.http.model_copy(update={"max_attempts": 1})
    async with ConnectWiseClient(cw_settings, probe_http, transport=transport) as cw:
        try:
            # An authenticated read the sync itself makes (ConnectWise's /system/info may be public).
            statuses = {status.name.casefold(): status for status in await cw.list_statuses()}
        except AuthError as exc:
            return [*findings, connectwise_auth_failure(exc)]
        except OrderbridgeError as exc:
            return [*findings, _unexpected("connectwise.api", "ConnectWise", exc)]
        findings.append(Finding.passed("connectwise.auth", "ConnectWise accepted the keys and the clientId"))
        try:
            definition = await cw.find_custom_field(cw_settings.tracking_field)
            captions = [] if definition else [found.caption for found in await cw.list_custom_fields()]
            fulfilment = await fulfilment_problems(settings, cw)
        except OrderbridgeError as exc:
            return [*findings, _unexpected("connectwise.setup", "ConnectWise", exc)]
    for problem in fulfilment:
        findings.append(
            Finding.problem(
                "connectwise.fulfilment",
                problem,
                cause="[fulfilment] names a ConnectWise record that is not there, so that step is skipped",
                fix="create it in ConnectWise, or correct or clear the setting in [fulfilment]",
            )
        )
    if settings.fulfilment.enabled and not fulfilment:
        findings.append(Finding.passed("connectwise.fulfilment", "the [fulfilment] board and types exist"))
    missing = [name for name in settings.statuses.all() if name.casefold() not in statuses]
    if missing:
        findings.append(
            Finding.problem(
                "connectwise.statuses",
                f"ConnectWise lacks the PO status(es) {', '.join(repr(n) for n in missing)}",
                cause="the statuses named in [statuses] do not exist, so POs cannot be moved into them",
                fix="run `orderbridge setup` (it creates the missing TDS statuses), or correct [statuses]",
            )
        )
    else:
        findings.append(Finding.passed("connectwise.statuses", "all five TDS statuses exist in ConnectWise"))
    if definition is None:
        findings.append(
            Finding.problem(
                "connectwise.custom_field",
                missing_field_message(cw_settings.tracking_field, captions),
                cause="without the checkbox no PO is marked for tracking, so every cycle sees 0 POs",
                fix="set [connectwise] tracking_field to the caption exactly as ConnectWise shows it, or create "
                "a Checkbox custom field with that caption on the Purchase Order screen",
            )
        )
    else:
        findings.append(
            Finding.passed("connectwise.custom_field", f"custom field {cw_settings.tracking_field!r} exists")
        )
    return findings


async def probe_tdsynnex(settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> list[Finding]:
    tds_settings = settings.tdsynnex
    network = await probe_reachable("tdsynnex", tds_settings.url, settings.http, transport=transport)
    if not network.ok:
        return [network]
    probe_http = settings.http.model_copy(update={"max_attempts": 1})
    async with TDSynnexClient(tds_settings, probe_http, transport=transport) as tds:
        try:
            order = await tds.get_status(PROBE_PO)
        except (AuthError, AuthSuspected) as exc:  # a probe is the one call that does speak for the login
            return [
                network,
                Finding.problem(
                    "tdsynnex.auth",
                    f"TD SYNNEX refused the login ({_http_status(exc)})",
                    cause="the XML user id or password is wrong, or the account is not enabled for PO Status",
                    fix="check [tdsynnex] user_id and password (the XML service login, not the portal's); "
                    "ask your TD SYNNEX rep to enable the PO Status service for it",
                    detail=exc.message,
                ),
            ]
        except DistributorError as exc:
            return [
                network,
                Finding.problem(
                    "tdsynnex.error",
                    "TD SYNNEX answered the test query with an error",
                    cause=f"TD SYNNEX said: {exc.message}",
                    fix="check [tdsynnex] customer_number and request_version; quote this text to TD SYNNEX",
                ),
            ]
        except OrderbridgeError as exc:
            return [network, _unexpected("tdsynnex.api", "TD SYNNEX", exc)]
    return [
        network,
        Finding.passed("tdsynnex.auth", f"TD SYNNEX accepted the login (test query answered {order.raw_code!r})"),
    ]


def _unexpected(check: str, name: str, exc: OrderbridgeError) -> Finding:
    return Finding.problem(
        check,
        f"{name} call failed ({_http_status(exc)})",
        cause=exc.message,
        fix=f"check the configured {name} URL (path included) and retry; if it persists, quote this to {name}",
    )
