"""`orderbridge setup [--callbacks URL] [--carrier-webhooks URL] [--rename-back]`: make each tenant's
ConnectWise ready for the sync, idempotently (and EasyPost's tracker webhook, when asked). It records the
TDS status ids in the store and makes the POs that failed for a setup reason due at once; a running daemon
wakes up for them.

It creates statuses and callbacks, so it holds the tenant's writer lease (runners/writer.py) while it
does, unless it is a dry run: two setups at once could each find a status missing and create it twice.
"""

from __future__ import annotations

import contextlib

import click

from orderbridge.cli.common import config_of, console, guard, run_async, shown
from orderbridge.config.tenants import TenantConfig
from orderbridge.runners.callbacks import register_callbacks
from orderbridge.runners.carrier_webhooks import register_carrier_webhooks
from orderbridge.runners.setup import run_setup
from orderbridge.runners.writer import tenant_writer
from orderbridge.sync.tenant import open_tenant


@click.command()
@click.option("--dry-run", is_flag=True, help="Say what would be created without changing ConnectWise.")
@click.option(
    "--callbacks",
    "callbacks_url",
    metavar="URL",
    default=None,
    help="Also register the ConnectWise purchase-order callback to this public base URL of `orderbridge web`.",
)
@click.option(
    "--carrier-webhooks",
    "carrier_webhooks_url",
    metavar="URL",
    default=None,
    help="Also register the EasyPost tracker webhook to this public base URL of `orderbridge web`.",
)
@click.option(
    "--rename-back",
    is_flag=True,
    help="Give a TDS status a person renamed in ConnectWise its configured name again (same id).",
)
@click.option("--tenant", "names", multiple=True, help="Only this tenant (repeatable; default: every tenant).")
@click.pass_context
@guard
def setup(
    ctx: click.Context,
    dry_run: bool,
    callbacks_url: str | None,
    carrier_webhooks_url: str | None,
    rename_back: bool,
    names: tuple[str, ...],
) -> None:
    """Create the TDS purchase-order statuses that are missing and check the custom field."""
    config = config_of(ctx)
    chosen = config.select(names)

    async def one(tenant_config: TenantConfig) -> list[str]:
        settings = tenant_config.settings
        async with contextlib.AsyncExitStack() as stack:
            tenant = await stack.enter_async_context(open_tenant(settings, name=tenant_config.name))
            if not dry_run:
                await stack.enter_async_context(tenant_writer(tenant, "orderbridge setup").held())
            report = await run_setup(
                settings,
                tenant.connectwise,
                dry_run=dry_run,
                store=tenant.store,
                tenant=tenant.name,
                now=tenant.clock.now(),
                rename_back=rename_back,
            )
            lines = report.lines()
            if callbacks_url:
                registration = await register_callbacks(
                    settings, tenant.connectwise, callbacks_url, tenant=tenant.name, dry_run=dry_run
                )
                lines += registration.lines()
            if carrier_webhooks_url:
                hooks = await register_carrier_webhooks(
                    settings, tenant.carriers, carrier_webhooks_url, tenant=tenant.name, dry_run=dry_run
                )
                lines += hooks.lines()
            return lines

    for tenant_config in chosen:
        prefix = f"{tenant_config.name}: " if len(config.tenants) > 1 else ""
        for line in run_async(one(tenant_config)):
            would = dry_run and line.startswith(("created", "renamed"))
            console.print(shown(prefix + ("would: " if would else "") + line))
