"""What every command shares: the consoles, the config of this invocation, the error guard, summaries.

Commands import from here and `cli/__init__.py` imports the commands, so nothing imports back up.
Errors we raise on purpose are shown as one line without a traceback. Exit codes, the same for every
command (monitoring and cron read them):

    0  success; a cycle where some POs failed for their own reasons (a PO number TD SYNNEX does not
       know) is a success: those POs are in the summary and the activity log
    1  a run-time failure: the cycle failed as a whole (stopped early, or every PO it tried failed
       because a service did not answer), credentials refused, ConnectWise setup missing, the store
       unreachable
    2  bad configuration or usage: a key missing or wrong, the config file not found, a bad option
   75  reserved for the writer lease (EX_TEMPFAIL, "try again later" to cron and systemd): another
       process is writing to the tenant, nothing was done
"""

from __future__ import annotations

import asyncio
import functools
import sys
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from orderbridge.config import Settings
from orderbridge.config.tenants import Config, load_config
from orderbridge.core.errors import ConfigError, OrderbridgeError
from orderbridge.core.runtime import tune_for_sync
from orderbridge.sync.summary import CycleSummary

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2
EXIT_BUSY = 75  # the writer lease's code (EX_TEMPFAIL): another process syncs this tenant

T = TypeVar("T")
P = ParamSpec("P")
console = Console(stderr=False, highlight=False)
err_console = Console(stderr=True, highlight=False)


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    tune_for_sync()
    return asyncio.run(coro)


def guard(fn: Callable[P, None]) -> Callable[P, None]:
    """Turn our own errors into a clear message and an exit code instead of a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            fn(*args, **kwargs)
        except ConfigError as exc:
            err_console.print(f"[red]error:[/red] {escape(exc.message)}", highlight=False, soft_wrap=True)
            sys.exit(EXIT_CONFIG)
        except OrderbridgeError as exc:
            # One unwrapped line: what an operator greps for and pastes into a ticket.
            err_console.print(f"[red]error:[/red] {escape(exc.message)}", highlight=False, soft_wrap=True)
            sys.exit(EXIT_FAILED)

    return wrapper


def config_of(ctx: click.Context) -> Config:
    """The configuration of this invocation (every tenant), loaded and validated once."""
    obj: dict[str, Any] = ctx.ensure_object(dict)
    if "config" not in obj:
        obj["config"] = load_config(obj.get("config_path"))
        from orderbridge.core.xmlguard import expat_warning

        warning = expat_warning(max_response_bytes=obj["config"].shared.http.max_response_bytes)
        if warning:
            err_console.print(f"[yellow]warning:[/yellow] {warning}", markup=True, highlight=False)
    config: Config = obj["config"]
    return config


def settings_of(ctx: click.Context, tenant: str | None = None) -> Settings:
    """One tenant's settings (`tenant`), or the shared ones: the store, the dashboard, the worker."""
    config = config_of(ctx)
    return config.shared if tenant is None else config.select([tenant])[0].settings


def print_summary(summary: CycleSummary, out: Console = console) -> None:
    if summary.dry_run:
        table = Table(title="Planned changes (dry run: nothing written)")
        for column in ("PO", "field", "old", "new", "why"):
            table.add_column(column)
        for item in summary.planned:
            change = item.change
            field = change.field if change.line_id is None else f"line {change.line_id}: {change.field}"
            table.add_row(item.po_number, field, cell(change.old), cell(change.new), change.reason)
        out.print(table)
    for po, text in summary.transitions:
        out.print(f"  {po}: {text}", markup=False)
    # One unwrapped line per cause (grep-able), not one per PO; an outage is the cause of every failure.
    lines = [f"[red]service down:[/red] {escape(summary.outage)}"] if summary.outage else []
    lines += [] if summary.outage else [f"[red]failed[/red] {escape(g.text())}" for g in summary.failure_groups()]
    lines += [f"[yellow]warning:[/yellow] {escape(warning)}" for warning in summary.warnings]
    for line in lines:
        out.print("  " + line, markup=True, highlight=False, soft_wrap=True)
    if summary.aborted:
        out.print(f"  [yellow]incomplete:[/yellow] {escape(summary.aborted)}", markup=True, highlight=False)
    counts = summary.counts()
    out.print(
        "POs seen {seen}, checked {checked}, changed {changed}, unchanged {unchanged}, failed {failed}; "
        "ConnectWise writes {writes}".format(**counts)
    )


def cell(value: object) -> str:
    if isinstance(value, dict) and "id" in value:
        return f"#{value['id']}" + (f" {value['name']}" if value.get("name") else "")
    return "" if value is None else str(value)


def parse_when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD or an ISO timestamp") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
