"""`orderbridge show PO`: one PO's whole story, oldest first, from the store alone.

Every observation, stage change, field write, note and error is already in the activity log and the
event table; this command only puts them on one timeline so nobody has to grep the log.
"""

from __future__ import annotations

import json
import sys

import click
from rich.table import Table

from orderbridge.cli.common import cell, console, guard, settings_of, shown
from orderbridge.store import ActivityFilter, Store

ICONS = {"observe": "seen", "write": "wrote", "event": "event", "note": "note", "error": "ERROR", "attention": "ATTN"}


@click.command()
@click.argument("po_number")
@click.option("--tenant", default=None, help="Only this tenant (default: all).")
@click.option("--json", "as_json", is_flag=True, help="Print the timeline as JSON.")
@click.pass_context
def show(ctx: click.Context, po_number: str, tenant: str | None, as_json: bool) -> None:
    """Show one PO's timeline: observations, stage changes, writes, notes and errors."""

    @guard
    def go() -> None:
        settings = settings_of(ctx)
        zone = settings.display.zone
        store = Store.open(settings.store.url)
        try:
            entries = store.query_activity(ActivityFilter(tenant=tenant, po_number=po_number, limit=None))
            po_ids = {(entry.tenant, entry.po_id) for entry in entries if entry.po_id is not None}
            tracked = {key: store.load_tracked(key[0], [key[1]]).get(key[1]) for key in po_ids}
        finally:
            store.close()
        if not entries:
            raise click.ClickException(f"nothing recorded for PO {po_number!r}; check the number or run a sync")
        entries.reverse()  # the log is newest first; a story reads oldest first
        if as_json:
            click.echo(
                json.dumps(
                    [
                        {
                            "at": e.at.isoformat(),
                            "tenant": e.tenant,
                            "action": e.action,
                            "field": e.field,
                            "old": e.old_value,
                            "new": e.new_value,
                            "reason": e.reason,
                        }
                        for e in entries
                    ],
                    indent=2,
                )
            )
            return
        for (name, _po_id), row in sorted(tracked.items(), key=lambda item: str(item[0])):
            if row is not None:
                stage = row.stage.name.title() if row.stage else "unknown"
                due = zone.stamp(row.next_check_at) if row.next_check_at else "now"
                line = f"{po_number} ({name}): stage {stage}; next check {due}"
                if row.consecutive_failures:
                    line += f"; failing {row.consecutive_failures} cycle(s): {row.last_error}"
                console.print(shown(line))
        table = Table(title=shown(f"Timeline of {po_number}"))
        for column in (f"when ({zone.label})", "what", "field", "old", "new", "detail"):
            table.add_column(column, overflow="fold")
        for e in entries:
            table.add_row(
                zone.format(e.at, "%Y-%m-%d %H:%M:%S"),
                shown(ICONS.get(e.action, e.action)),
                shown(e.field),
                cell(e.old_value),
                cell(e.new_value),
                shown(e.reason),
            )
        console.print(table)

    go()
    sys.stdout.flush()
