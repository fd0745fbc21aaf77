"""`orderbridge replay --since DATE [--po PO] [--dry-run]`: re-plan stored answers after a config change.

No TD SYNNEX call is made; ConnectWise is read and written as in a cycle. Running it twice is safe:
the second run finds ConnectWise already matching and writes nothing.
"""

from __future__ import annotations

import click

from orderbridge.cli.common import config_of, guard, parse_when, print_summary, run_async, warn_old_expat, zone_of
from orderbridge.config.tenants import TenantConfig
from orderbridge.runners.replay import run_replay
from orderbridge.sync.summary import CycleSummary
from orderbridge.sync.tenant import open_tenant


@click.command()
@click.option(
    "--since", required=True, help="Replay answers fetched since this date (YYYY-MM-DD or ISO; [display] timezone)."
)
@click.option("--po", "po_number", default=None, help="Only this PO number.")
@click.option("--dry-run", is_flag=True, help="Print the changes it would make; write nothing.")
@click.option("--tenant", "names", multiple=True, help="Only this tenant (repeatable; default: every tenant).")
@click.pass_context
@guard
def replay(ctx: click.Context, since: str, po_number: str | None, dry_run: bool, names: tuple[str, ...]) -> None:
    """Re-run the planner over stored TD SYNNEX answers and apply the difference."""
    start = parse_when(since, zone_of(ctx))
    assert start is not None  # --since is required
    warn_old_expat(config_of(ctx).shared)

    async def work(tenant_config: TenantConfig) -> CycleSummary:
        async with open_tenant(tenant_config.settings, name=tenant_config.name) as tenant:
            return await run_replay(tenant, since=start, po_number=po_number, dry_run=dry_run)

    for tenant_config in config_of(ctx).select(names):
        print_summary(run_async(work(tenant_config)))
