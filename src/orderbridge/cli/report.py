"""`orderbridge report`: the delivery figures of the dashboard's reports page, as a table, CSV or JSON."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta, tzinfo

import click

from orderbridge.cli.common import guard, settings_of


def _day(value: str | None, zone: tzinfo, *, end: bool = False) -> datetime | None:
    """A day of the display zone; with `end`, the next day's start (an exclusive bound)."""
    if not value:
        return None
    try:
        start = datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD") from None
    return (start + timedelta(days=1) if end else start).replace(tzinfo=zone)


@click.command()
@click.option("--tenant", default=None, help="Only this tenant (default: all).")
@click.option("--since", help="Orders first seen on or after this day (YYYY-MM-DD, [display] timezone).")
@click.option("--until", help="Orders first seen up to and including this day.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.pass_context
def report(ctx: click.Context, tenant: str | None, since: str | None, until: str | None, fmt: str) -> None:
    """Average days between stages, on-time shipping, carriers, warehouses, error rate, update delay, and
    delivery: ship-to-delivery days, on time against TD SYNNEX's and the carrier's estimate."""

    @guard
    def go() -> None:
        from orderbridge.reports.load import load_report
        from orderbridge.reports.render import ReportFormat, write_report
        from orderbridge.store import Store

        settings = settings_of(ctx)
        zone = settings.display.zone.zone
        store = Store.open(settings.store.url)
        try:
            figures = load_report(
                store,
                now=datetime.now(UTC),
                tenant=tenant,
                since=_day(since, zone),
                until=_day(until, zone, end=True),
                zone=zone,
            )
        finally:
            store.close()
        chosen: ReportFormat = "csv" if fmt == "csv" else "json" if fmt == "json" else "table"
        write_report(figures, chosen, sys.stdout)

    go()
