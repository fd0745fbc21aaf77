"""`orderbridge replay --since DATE [--po PO] [--dry-run]`: re-plan stored answers after a config change.

No TD SYNNEX call is made; ConnectWise is read and written as in a cycle. Running it twice is safe:
the second run finds ConnectWise already matching and writes nothing.
"""

from __future__ import annotations

import click

from orderbridge.sync.summary import CycleSummary


@click.command()
@click.option("--since", required=True, help="Replay answers fetched since this date (YYYY-MM-DD or ISO; UTC).")
@click.option("--po", "po_number", default=None, help="Only this PO number.")
@click.option("--dry-run", is_flag=True, help="Print the changes it would make; write nothing.")
@click.pass_context
def replay(ctx: click.Context, since: str, po_number: str | None, dry_run: bool) -> None:
    """Re-run the planner over stored TD SYNNEX answers and apply the difference."""
    from orderbridge.cli import _guard, _parse_when, _run, _settings, print_summary
    from orderbridge.runners.replay import run_replay
    from orderbridge.sync.tenant import open_tenant

    @_guard
    def go() -> None:
        settings = _settings(ctx)
        start = _parse_when(since)
        assert start is not None  # --since is required

        async def work() -> CycleSummary:
            async with open_tenant(settings) as tenant:
                return await run_replay(tenant, since=start, po_number=po_number, dry_run=dry_run)

        print_summary(_run(work()))

    go()
