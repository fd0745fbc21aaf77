"""`orderbridge attention`: the POs that failed several cycles in a row, with their last error.

A poison PO never blocks the others and is retried every cycle, so it only needs a person when the
cause is on our side of the fence (a wrong PO number, a ConnectWise validation rule): this list is
where they find it. Reads the store only; nothing is contacted.
"""

from __future__ import annotations

import csv
import json
import sys

import click
from rich.table import Table

from orderbridge.cli.common import console, guard, settings_of, shown
from orderbridge.store import Store
from orderbridge.store.attention import attention_report

CSV_COLUMNS = ("tenant", "po_id", "po_number", "failures", "failing_since", "last_checked_at", "last_error")
# Error text quotes TD SYNNEX and ConnectWise; a cell starting like a formula is defused for spreadsheets.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_START) else value


@click.command()
@click.option("--tenant", default=None, help="Only this tenant (default: all).")
@click.option(
    "--threshold",
    type=click.IntRange(min=1),
    default=None,
    help="Failed cycles in a row (default: sync.attention_after_failures).",
)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.pass_context
def attention(ctx: click.Context, tenant: str | None, threshold: int | None, fmt: str) -> None:
    """List the POs that need attention: failing cycle after cycle, with the last error and since when."""

    @guard
    def go() -> None:
        settings = settings_of(ctx)
        limit = threshold or settings.sync.attention_after_failures
        store = Store.open(settings.store.url)
        try:
            items = attention_report(store, tenant, limit)
        finally:
            store.close()
        rows = [item.as_dict() for item in items]
        if fmt == "json":
            click.echo(json.dumps(rows, indent=2))
            return
        if fmt == "csv":
            writer = csv.DictWriter(sys.stdout, fieldnames=CSV_COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows({key: _cell(value) for key, value in row.items()} for row in rows)
            return
        if not rows:
            console.print(f"No PO has failed {limit} cycles in a row.")
            return
        zone = settings.display.zone
        table = Table(title=f"POs needing attention (failed {limit}+ cycles in a row; times {zone.label})")
        for column in ("PO", "failures", "failing since", "last checked", "last error"):
            table.add_column(column, overflow="fold")
        for item in items:
            order = item.order
            table.add_row(
                shown(order.po_number or f"id {order.po_id}"),
                str(item.failures),
                zone.format(item.failing_since) if item.failing_since else "?",
                zone.format(order.last_checked_at),
                shown(order.last_error),
            )
        console.print(table)

    go()
