"""`orderbridge sync --once [--dry-run]`: one cycle for every tenant of the config (or the ones named).

The primitive everything else wraps: a cron line or a systemd timer runs it; `orderbridge run` is the
daemon. Tenants are synced one after the other, each with its own clients and limits, each under its
writer lease (runners/writer.py): a tenant another process is syncing is skipped with one line, the
others still run, and the command exits 75 at the end. A dry run writes nothing and takes no lease.

Exit codes (cli/common.py): 0 when every tenant's cycle did its job, even if some POs failed for their
own reasons (they are listed, grouped by cause); 1 when a tenant's cycle failed as a whole: it stopped
early, a service did not answer for any PO it tried (said in one line: which service, what to
check), or credentials or setup are missing; 2 for a config or usage error; 75 when a tenant was busy.
"""

from __future__ import annotations

import json
import sys

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from orderbridge.cli.common import (
    EXIT_BUSY,
    EXIT_FAILED,
    config_of,
    console,
    err_console,
    guard,
    print_busy,
    print_summary,
    run_async,
    shown,
    warn_old_expat,
)
from orderbridge.cli.reach import pending_previews, print_previews
from orderbridge.config.tenants import TenantConfig
from orderbridge.core.errors import Retriable, TenantBusy
from orderbridge.runners.operator import live_engine
from orderbridge.runners.writer import tenant_writer
from orderbridge.sync.causes import error_line
from orderbridge.sync.engine import Engine
from orderbridge.sync.summary import CycleSummary
from orderbridge.sync.tenant import open_tenant


@click.command()
@click.option("--once", is_flag=True, help="Run one cycle and exit (required: the daemon is `orderbridge run`).")
@click.option("--dry-run", is_flag=True, help="Plan and print the field changes; write nothing anywhere.")
@click.option("--tenant", "names", multiple=True, help="Only this tenant (repeatable; default: every tenant).")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: when on a terminal).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
@guard
def sync(
    ctx: click.Context, once: bool, dry_run: bool, names: tuple[str, ...], progress: bool | None, as_json: bool
) -> None:
    """One sync cycle: TD SYNNEX status into the tracked ConnectWise POs."""
    if not once:
        raise click.UsageError("`orderbridge sync` runs one cycle: pass --once (the daemon is `orderbridge run`)")
    config = config_of(ctx)
    warn_old_expat(config.shared)
    show_progress = console.is_terminal if progress is None else progress
    summaries: list[CycleSummary] = []
    busy = False
    for tenant in config.select(names):
        try:
            summaries.append(run_async(_cycle(tenant, dry_run=dry_run, show_progress=show_progress)))
        except TenantBusy as exc:
            print_busy(exc)
            busy = True
    if as_json and summaries:  # a tenant that was busy has no summary: the line above and the exit code say so
        data = [summary.as_dict() for summary in summaries]
        click.echo(json.dumps(data[0] if len(data) == 1 else data, indent=2))
    else:
        for summary in summaries:
            if len(summaries) > 1:
                console.print(shown(f"tenant {summary.tenant}:"))
            print_summary(summary)
    if any(summary.failed_as_a_whole for summary in summaries):
        # Monitoring should notice a cycle that did not cover every PO, or covered none of them.
        sys.exit(EXIT_FAILED)
    if busy:
        sys.exit(EXIT_BUSY)


async def _cycle(tenant_config: TenantConfig, *, dry_run: bool, show_progress: bool) -> CycleSummary:
    try:
        return await _tenant_cycle(tenant_config, dry_run=dry_run, show_progress=show_progress)
    except TenantBusy:
        raise  # its own one line, printed by the caller
    except Retriable as exc:
        # ConnectWise did not answer before any PO was listed: one line naming it and what to check.
        raise Retriable(error_line(exc, tenant_config.settings)) from None


async def _tenant_cycle(tenant_config: TenantConfig, *, dry_run: bool, show_progress: bool) -> CycleSummary:
    async with open_tenant(tenant_config.settings, name=tenant_config.name) as tenant:
        if dry_run:
            summary = await _run(live_engine(tenant), dry_run=True, show_progress=show_progress, name=tenant.name)
            if tenant.settings.reach.enabled:  # who the next live cycle would tell (writes nothing)
                console.print(shown("messages the next live cycle would send:"))
                print_previews(await pending_previews(tenant_config), full=False)
            return summary
        async with tenant_writer(tenant, "orderbridge sync --once").held() as lease:
            engine = live_engine(tenant, fence=lease)
            return await _run(engine, dry_run=False, show_progress=show_progress, name=tenant.name)


async def _run(engine: Engine, *, dry_run: bool, show_progress: bool, name: str) -> CycleSummary:
    if not show_progress:
        return await engine.run_cycle(dry_run=dry_run)
    with Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task(f"syncing POs of {name}", total=None)

        def tick(*, advance: int = 0, total: int | None = None) -> None:
            bar.update(task, advance=advance, total=total)

        return await engine.run_cycle(dry_run=dry_run, progress=tick)
