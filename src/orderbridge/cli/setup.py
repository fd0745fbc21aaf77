"""`orderbridge setup [--callbacks URL]`: make each tenant's ConnectWise ready for the sync, idempotently.

It creates statuses and callbacks, so it holds the tenant's writer lease (runners/writer.py) while it
does, unless it is a dry run: two setups at once could each find a status missing and create it twice.
"""

from __future__ import annotations

import contextlib

import click

from orderbridge.cli.common import config_of, console, guard, run_async
from orderbridge.config.tenants import TenantConfig
from orderbridge.runners.callbacks import register_callbacks
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
@click.option("--tenant", "names", multiple=True, help="Only this tenant (repeatable; default: every tenant).")
@click.pass_context
@guard
def setup(ctx: click.Context, dry_run: bool, callbacks_url: str | None, names: tuple[str, ...]) -> None:
    """Create the TDS purchase-order statuses that are missing and check the custom field."""
    config = config_of(ctx)
    chosen = config.select(names)

    async def one(tenant_config: TenantConfig) -> list[str]:
        settings = tenant_config.settings
        async with contextlib.AsyncExitStack() as stack:
            tenant = await stack.enter_async_context(open_tenant(settings, name=tenant_config.name))
            if not dry_run:
                await stack.enter_async_context(tenant_writer(tenant, "orderbridge setup").held())
            lines = (await run_setup(settings, tenant.connectwise, dry_run=dry_run)).lines()
            if callbacks_url:
                registration = await register_callbacks(
                    settings, tenant.connectwise, callbacks_url, tenant=tenant.name, dry_run=dry_run
                )
                lines += registration.lines()
            return lines

    for tenant_config in chosen:
        prefix = f"{tenant_config.name}: " if len(config.tenants) > 1 else ""
        for line in run_async(one(tenant_config)):
            console.print(prefix + ("would: " if dry_run and line.startswith("created") else "") + line)
