"""`orderbridge backfill --since DATE`: bring in POs closed, cancelled or marked before orderbridge ran.

Facts, events and history are written as a live sync would; no notification, alert or PO note goes
out for these old events (see `orderbridge/backfill.py`).
"""

from __future__ import annotations

import click

from orderbridge.sync.summary import CycleSummary


@click.command()
@click.option("--since", required=True, help="POs updated since this date (YYYY-MM-DD or ISO; UTC).")
@click.option("--dry-run", is_flag=True, help="Print what would change; write nothing.")
@click.pass_context
def backfill(ctx: click.Context, since: str, dry_run: bool) -> None:
    """Import marked POs updated since DATE, open or closed, without notifying anyone."""
    from orderbridge.cli import _guard, _parse_when, _run, _settings, console, print_summary
    from orderbridge.runners.backfill import describe, quiet_settings, run_backfill
    from orderbridge.sync.tenant import open_tenant

    @_guard
    def go() -> None:
        settings = quiet_settings(_settings(ctx))
        start = _parse_when(since)
        assert start is not None  # --since is required

        async def work() -> CycleSummary:
            async with open_tenant(settings, operator_view=False) as tenant:
                return await run_backfill(tenant, since=start, dry_run=dry_run)

        summary = _run(work())
        print_summary(summary)
        for line in describe(summary):
            console.print(line, highlight=False)

    go()
