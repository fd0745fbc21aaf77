"""`orderbridge backfill --since DATE`: bring in POs closed, cancelled or marked before orderbridge ran.

Facts, events and history are written as a live sync would; no notification, alert or PO note goes
out for these old events (see `runners/backfill.py`).
"""

from __future__ import annotations

import click

from orderbridge.cli.common import (
    config_of,
    console,
    guard,
    parse_when,
    print_summary,
    run_async,
    shown,
    warn_old_expat,
    zone_of,
)
from orderbridge.config.tenants import TenantConfig
from orderbridge.runners.backfill import describe, quiet_settings, run_backfill
from orderbridge.sync.summary import CycleSummary
from orderbridge.sync.tenant import open_tenant


@click.command()
@click.option("--since", required=True, help="POs updated since this date (YYYY-MM-DD or ISO; [display] timezone).")
@click.option("--dry-run", is_flag=True, help="Print what would change; write nothing.")
@click.option("--tenant", "names", multiple=True, help="Only this tenant (repeatable; default: every tenant).")
@click.pass_context
@guard
def backfill(ctx: click.Context, since: str, dry_run: bool, names: tuple[str, ...]) -> None:
    """Import marked POs updated since DATE, open or closed, without notifying anyone."""
    start = parse_when(since, zone_of(ctx))
    assert start is not None  # --since is required
    warn_old_expat(config_of(ctx).shared)

    async def work(tenant_config: TenantConfig) -> CycleSummary:
        async with open_tenant(quiet_settings(tenant_config.settings), name=tenant_config.name) as tenant:
            return await run_backfill(tenant, since=start, dry_run=dry_run)

    for tenant_config in config_of(ctx).select(names):
        summary = run_async(work(tenant_config))
        print_summary(summary)
        for line in describe(summary):
            console.print(shown(line))
