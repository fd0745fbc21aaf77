"""`orderbridge setup --callbacks URL`: ask ConnectWise to call us when any purchase order changes.

One `purchaseorder` entry at level `owner` (every PO; objectId 1, as the DG and DJCW do), whose URL
ends in `?recordId=` because ConnectWise appends the record id to it (connectwise-psa.md §7.1).
Idempotent: an entry with the same type, level and URL is left alone, and the documented 400
`ObjectExists` answer to a duplicate counts as "already there".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from orderbridge.config import Settings, check_url
from orderbridge.config.tenants import DEFAULT_TENANT
from orderbridge.connectwise.client import ConnectWiseClient
from orderbridge.core.errors import ConfigError, WriteRejected

RECEIVER_PATH = "/callbacks/connectwise/"
DESCRIPTION = "orderbridge: purchase order changes"


@dataclass
class CallbackRegistration:
    url: str
    entry_id: int | None = None
    created: bool = False
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        where = f" (entry {self.entry_id})" if self.entry_id is not None else ""
        done = "registered" if self.created else "already registered"
        return [f"purchase-order callback {done}{where}: {self.url}"] + [f"warning: {w}" for w in self.warnings]


def callback_url(base: str, tenant: str) -> str:
    """The URL ConnectWise will POST to: `orderbridge web`'s public base + our route + `?recordId=`.

    A URL that already names our route is used as given, so an operator behind a path-rewriting
    proxy can pass the full URL instead.
    """
    url = base.strip()
    if RECEIVER_PATH not in urlsplit(url).path:
        url = url.rstrip("/") + RECEIVER_PATH + tenant
    if url.endswith("recordId="):
        return url
    return url + ("&" if "?" in url else "?") + "recordId="


def _same_entry(entry: dict[str, Any], url: str) -> bool:
    return (
        str(entry.get("type", "")).lower() == "purchaseorder"
        and str(entry.get("level", "")).lower() == "owner"
        and entry.get("url") == url
    )


async def register_callbacks(
    settings: Settings,
    connectwise: ConnectWiseClient,
    url: str,
    *,
    tenant: str = DEFAULT_TENANT,
    dry_run: bool = False,
) -> CallbackRegistration:
    """Make sure ConnectWise calls `url` (see `callback_url`) for every PO change of `tenant`."""
    target = callback_url(url, tenant)
    try:
        check_url("--callbacks", target, allow_insecure_loopback=settings.http.allow_insecure_loopback)
    except ValueError as exc:
        raise ConfigError("--callbacks", str(exc)) from None
    report = CallbackRegistration(url=target)
    for entry in await connectwise.list_callbacks():
        if _same_entry(entry, target):
            report.entry_id = entry.get("id") if isinstance(entry.get("id"), int) else None
            if entry.get("inactiveFlag"):
                # ConnectWise disables an entry after three days of failed deliveries (§7.5).
                report.warnings.append("the entry is inactive (deliveries failed); reactivate it in ConnectWise")
            return report
    if dry_run:
        report.created = True
        return report
    body = {
        "url": target,
        "objectId": 1,
        "type": "purchaseorder",
        "level": "owner",
        "description": DESCRIPTION,
        "inactiveFlag": False,
    }
    try:
        created = await connectwise.create_callback(body)
    except WriteRejected as exc:
        if "ObjectExists" in exc.body_excerpt:
            return report  # registered meanwhile (or under a URL form we did not recognise)
        raise
    report.created = True
    report.entry_id = created.get("id") if isinstance(created.get("id"), int) else None
    return report
