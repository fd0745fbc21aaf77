"""`orderbridge setup --carrier-webhooks URL`: ask EasyPost to push tracker updates to `orderbridge web`.

One webhook per tenant, at `<public base>/callbacks/easypost/<tenant>`, signed with the tenant's
`[carriers.easypost] webhook_secret` (callbacks/easypost.py refuses anything unsigned). Idempotent: a
webhook with the same URL is left alone (re-enabled with PATCH when EasyPost disabled it after failed
deliveries, carriers.md §1.9). Without webhooks nothing is lost: polling finds the same news, later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from orderbridge.carriers import CarrierProvider, EasyPostClient
from orderbridge.config import Settings, check_url
from orderbridge.config.tenants import DEFAULT_TENANT
from orderbridge.core.errors import ConfigError

RECEIVER_PATH = "/callbacks/easypost/"


@dataclass
class WebhookRegistration:
    url: str
    hook_id: str | None = None
    created: bool = False
    enabled: bool = False
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        where = f" ({self.hook_id})" if self.hook_id else ""
        done = "registered" if self.created else "re-enabled" if self.enabled else "already registered"
        return [f"EasyPost tracker webhook {done}{where}: {self.url}"] + [f"warning: {w}" for w in self.warnings]


def webhook_url(base: str, tenant: str) -> str:
    """`orderbridge web`'s public base + our route; a URL that already names the route is used as given."""
    url = base.strip()
    if RECEIVER_PATH not in urlsplit(url).path:
        url = url.rstrip("/") + RECEIVER_PATH + tenant
    return url


async def register_carrier_webhooks(
    settings: Settings,
    providers: dict[str, CarrierProvider],
    url: str,
    *,
    tenant: str = DEFAULT_TENANT,
    dry_run: bool = False,
) -> WebhookRegistration:
    """Make sure EasyPost posts this tenant's tracker updates to `url` (see `webhook_url`)."""
    target = webhook_url(url, tenant)
    try:
        check_url("--carrier-webhooks", target, allow_insecure_loopback=settings.http.allow_insecure_loopback)
    except ValueError as exc:
        raise ConfigError("--carrier-webhooks", str(exc)) from None
    easypost = providers.get("easypost")
    if not settings.carriers.enabled or not isinstance(easypost, EasyPostClient):
        raise ConfigError("--carrier-webhooks", "needs [carriers] enabled = true and an [carriers.easypost] api_key")
    secret = settings.carriers.easypost.webhook_secret.get_secret_value()
    if not secret:
        raise ConfigError(
            "carriers.easypost.webhook_secret",
            "is empty; choose a long random secret first: EasyPost signs each webhook with it, and "
            "orderbridge refuses webhooks it cannot verify",
        )
    report = WebhookRegistration(url=target)
    for hook in await easypost.list_webhooks():
        if hook.get("url") != target:
            continue
        report.hook_id = str(hook.get("id") or "") or None
        if hook.get("disabled_at") and report.hook_id:
            report.enabled = not dry_run
            if dry_run:
                report.warnings.append("EasyPost disabled it after failed deliveries; setup would re-enable it")
            else:
                await easypost.enable_webhook(report.hook_id)
        return report
    if dry_run:
        report.created = True
        return report
    report.hook_id = await easypost.create_webhook(target, secret) or None
    report.created = True
    return report
