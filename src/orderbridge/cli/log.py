"""`orderbridge log`: the activity log, filtered, as a table, CSV or JSON."""

from __future__ import annotations

import sys

import click
from rich.table import Table

from orderbridge.cli.common import cell, console, guard, parse_when, settings_of, shown
from orderbridge.store import ActivityFilter, Store, export_activity


@click.command("log")
@click.option("--po", "po_number", help="Only this PO number.")
@click.option("--since", help="From this date/time (YYYY-MM-DD or ISO; [display] timezone unless an offset is given).")
@click.option("--until", help="Up to this date/time.")
@click.option("--action", "actions", multiple=True, help="observe, write, event, error, ... (repeatable).")
@click.option("--tenant", default=None, help="Only this tenant (default: all).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@click.option("--limit", type=int, default=1000, show_default=True)
@click.pass_context
@guard
def log_command(
    ctx: click.Context,
    po_number: str | None,
    since: str | None,
    until: str | None,
    actions: tuple[str, ...],
    tenant: str | None,
    fmt: str,
    limit: int,
) -> None:
    """Show the activity log: every observation, write, event and error."""
    settings = settings_of(ctx, tenant)
    zone = settings.display.zone
    store = Store.open(settings.store.url)
    try:
        entries = store.query_activity(
            ActivityFilter(
                tenant=tenant,
                po_number=po_number,
                actions=actions,
                since=parse_when(since, zone),
                until=parse_when(until, zone),
                limit=limit,
            )
        )
    finally:
        store.close()
    if fmt == "table":
        table = Table()
        for column in (f"at ({zone.label})", "PO", "action", "field", "old", "new", "why"):
            table.add_column(column, overflow="fold")
        for e in entries:
            table.add_row(
                zone.format(e.at, "%Y-%m-%d %H:%M:%S"),
                shown(e.po_number),
                shown(e.action),
                shown(e.field),
                cell(e.old_value),
                cell(e.new_value),
                shown(e.reason),
            )
        console.print(table)
    else:
        export_activity(entries, "csv" if fmt == "csv" else "json", sys.stdout)
