"""The `orderbridge` command line. Errors we raise on purpose are shown without a traceback.

Exit codes: 0 success; 1 a run-time failure (credentials, connectivity, setup); 2 bad configuration
or usage. A cycle in which some POs failed still exits 0: those POs are in the summary and the
activity log, and the other POs were synced.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from orderbridge import __version__
from orderbridge.config import Settings, load_settings
from orderbridge.core.errors import ConfigError, OrderbridgeError
from orderbridge.core.runtime import tune_for_sync
from orderbridge.store import ActivityFilter, Store, export_activity
from orderbridge.sync.summary import CycleSummary
from orderbridge.sync.tenant import open_tenant

T = TypeVar("T")
console = Console(stderr=False, highlight=False)
err_console = Console(stderr=True, highlight=False)


def _run(coro: Coroutine[Any, Any, T]) -> T:
    tune_for_sync()
    return asyncio.run(coro)


def _guard(fn: Callable[..., None]) -> Callable[..., None]:
    """Turn our own errors into a clear message and an exit code instead of a traceback."""

    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            fn(*args, **kwargs)
        except ConfigError as exc:
            err_console.print(f"[red]error:[/red] {exc.message}", markup=True, highlight=False)
            sys.exit(2)
        except OrderbridgeError as exc:
            err_console.print(f"[red]error:[/red] {exc.message}", markup=True, highlight=False)
            sys.exit(1)

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def _settings(ctx: click.Context) -> Settings:
    obj: dict[str, Any] = ctx.ensure_object(dict)
    if "settings" not in obj:
        obj["settings"] = load_settings(obj.get("config_path"))
        from orderbridge.core.xmlguard import expat_warning

        warning = expat_warning(max_response_bytes=obj["settings"].http.max_response_bytes)
        if warning:
            err_console.print(f"[yellow]warning:[/yellow] {warning}", markup=True, highlight=False)
    settings: Settings = obj["settings"]
    return settings


@click.group()
@click.version_option(__version__, prog_name="orderbridge")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar="ORDERBRIDGE_CONFIG",
    help="TOML config file (default ./orderbridge.toml; ORDERBRIDGE_* variables override it).",
)
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    """Keep ConnectWise PSA purchase orders in step with TD SYNNEX."""
    ctx.ensure_object(dict)["config_path"] = config_path


@main.command()
@click.option("--dry-run", is_flag=True, help="Say what would be created without changing ConnectWise.")
@click.option(
    "--callbacks",
    "callbacks_url",
    metavar="URL",
    default=None,
    help="Also register the ConnectWise purchase-order callback to this public base URL of `orderbridge web`.",
)
@click.pass_context
@_guard
def setup(ctx: click.Context, dry_run: bool, callbacks_url: str | None) -> None:
    """Create the TDS purchase-order statuses that are missing and check the custom field."""
    from orderbridge.runners.callbacks import register_callbacks
    from orderbridge.runners.setup import run_setup

    settings = _settings(ctx)

    async def go() -> list[str]:
        async with open_tenant(settings, operator_view=False) as tenant:
            report = await run_setup(settings, tenant.connectwise, dry_run=dry_run)
            lines = report.lines()
            if callbacks_url:
                registration = await register_callbacks(
                    settings, tenant.connectwise, callbacks_url, tenant=tenant.name, dry_run=dry_run
                )
                lines += registration.lines()
            return lines

    for line in _run(go()):
        console.print(("would: " if dry_run and line.startswith("created") else "") + line)


@main.command()
@click.option("--once", is_flag=True, default=True, help="Run one cycle and exit (the daemon is a later command).")
@click.option("--dry-run", is_flag=True, help="Plan and print the field changes; write nothing anywhere.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: when on a terminal).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
@_guard
def sync(ctx: click.Context, once: bool, dry_run: bool, progress: bool | None, as_json: bool) -> None:
    """One sync cycle: TD SYNNEX status into the tracked ConnectWise POs."""
    settings = _settings(ctx)
    show_progress = console.is_terminal if progress is None else progress

    async def go() -> CycleSummary:
        async with open_tenant(settings) as tenant:
            if not show_progress:
                return await tenant.engine.run_cycle(dry_run=dry_run)
            with Progress(
                SpinnerColumn(),
                TextColumn("[progress.description]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err_console,
                transient=True,
            ) as bar:
                task = bar.add_task("syncing POs", total=None)

                def tick(*, advance: int = 0, total: int | None = None) -> None:
                    bar.update(task, advance=advance, total=total)

                return await tenant.engine.run_cycle(dry_run=dry_run, progress=tick)

    summary = _run(go())
    if as_json:
        click.echo(json.dumps(summary.as_dict(), indent=2))
    else:
        print_summary(summary)
    if summary.aborted:
        # Monitoring should notice a cycle that did not cover every PO.
        sys.exit(1)


def print_summary(summary: CycleSummary, out: Console = console) -> None:
    if summary.dry_run:
        table = Table(title="Planned changes (dry run: nothing written)")
        for column in ("PO", "field", "old", "new", "why"):
            table.add_column(column)
        for item in summary.planned:
            change = item.change
            field = change.field if change.line_id is None else f"line {change.line_id}: {change.field}"
            table.add_row(item.po_number, field, _cell(change.old), _cell(change.new), change.reason)
        out.print(table)
    for po, text in summary.transitions:
        out.print(f"  {po}: {text}")
    for po, message in summary.failures:
        out.print(f"  [red]failed[/red] {po}: {message}", markup=True, highlight=False)
    if summary.aborted:
        out.print(f"  [yellow]incomplete:[/yellow] {summary.aborted}", markup=True, highlight=False)
    counts = summary.counts()
    out.print(
        "POs seen {seen}, checked {checked}, changed {changed}, unchanged {unchanged}, failed {failed}; "
        "ConnectWise writes {writes}".format(**counts)
    )


def _cell(value: object) -> str:
    if isinstance(value, dict) and "id" in value:
        return f"#{value['id']}" + (f" {value['name']}" if value.get("name") else "")
    return "" if value is None else str(value)


def _parse_when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD or an ISO timestamp") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@main.command("log")
@click.option("--po", "po_number", help="Only this PO number.")
@click.option("--since", help="From this date/time (YYYY-MM-DD or ISO; UTC unless an offset is given).")
@click.option("--until", help="Up to this date/time.")
@click.option("--action", "actions", multiple=True, help="observe, write, event, error, ... (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@click.option("--limit", type=int, default=1000, show_default=True)
@click.pass_context
@_guard
def log_command(
    ctx: click.Context,
    po_number: str | None,
    since: str | None,
    until: str | None,
    actions: tuple[str, ...],
    fmt: str,
    limit: int,
) -> None:
    """Show the activity log: every observation, write, event and error."""
    settings = _settings(ctx)
    store = Store.open(settings.store.url)
    try:
        entries = store.query_activity(
            ActivityFilter(
                tenant=None,
                po_number=po_number,
                actions=actions,
                since=_parse_when(since),
                until=_parse_when(until),
                limit=limit,
            )
        )
    finally:
        store.close()
    if fmt == "table":
        table = Table()
        for column in ("at", "PO", "action", "field", "old", "new", "why"):
            table.add_column(column, overflow="fold")
        for e in entries:
            table.add_row(
                e.at.strftime("%Y-%m-%d %H:%M:%S"),
                e.po_number or "",
                e.action,
                e.field or "",
                _cell(e.old_value),
                _cell(e.new_value),
                e.reason or "",
            )
        console.print(table)
    else:
        export_activity(entries, "csv" if fmt == "csv" else "json", sys.stdout)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback only unless you mean it.")
@click.option("--cw-port", default=8471, show_default=True)
@click.option("--tds-port", default=8472, show_default=True)
@click.option("--seed/--no-seed", default=True, help="Seed the demo book of about 50 POs.")
@click.option(
    "--faults",
    default=None,
    metavar="SPEC",
    help="Inject faults, e.g. 'tds:5xx=0.1,timeout=0.05,latency=200ms~p99:2s;cw:429burst=20/60s'.",
)
@_guard
def sim(host: str, cw_port: int, tds_port: int, seed: bool, faults: str | None) -> None:
    """Serve the ConnectWise and TD SYNNEX simulators until interrupted."""
    from orderbridge.simulators.fault_spec import FaultSpecError, parse_fault_spec
    from orderbridge.simulators.serve import serve_forever

    try:
        spec = parse_fault_spec(faults) if faults else None
    except FaultSpecError as exc:
        raise click.BadParameter(str(exc), param_hint="--faults") from None
    serve_forever(host=host, cw_port=cw_port, tds_port=tds_port, seed=seed, out=console, faults=spec)


@main.command()
@click.option("--cycles", default=8, show_default=True, help="Sync cycles to run while simulated time advances.")
@click.option("--orders", default=50, show_default=True, help="POs in the demo book.")
@_guard
def demo(cycles: int, orders: int) -> None:
    """Start both simulators, run setup and several cycles, and show what changed. Needs no credentials."""
    from orderbridge.runners.demo import run_demo

    wide = console if console.is_terminal else Console(width=120, highlight=False)
    _run(run_demo(cycles=cycles, orders=orders, out=wide))


# Commands from other modules: one `main.add_command(...)` line each, below this comment.
from orderbridge.cli.show import show  # noqa: E402

main.add_command(show)
from orderbridge.cli.run import run  # noqa: E402

main.add_command(run)
from orderbridge.cli.attention import attention  # noqa: E402

main.add_command(attention)
from orderbridge.cli.web import web  # noqa: E402

main.add_command(web)
from orderbridge.cli.report import report  # noqa: E402

main.add_command(report)
from orderbridge.cli.worker import worker  # noqa: E402

main.add_command(worker)
from orderbridge.cli.doctor import doctor  # noqa: E402

main.add_command(doctor)
from orderbridge.cli.replay import replay  # noqa: E402

main.add_command(replay)
from orderbridge.cli.backfill import backfill  # noqa: E402

main.add_command(backfill)
