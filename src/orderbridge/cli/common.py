"""What every command shares: the consoles, the config of this invocation, the error guard, summaries.

Commands import from here and `cli/__init__.py` imports the commands, so nothing imports back up.
Errors we raise on purpose are shown as one line without a traceback; exit codes: 0 success, 1 a
run-time failure (credentials, connectivity, setup), 2 bad configuration or usage, 75 (EX_TEMPFAIL,
"try again later" to cron and systemd) another process is writing to the tenant (runners/writer.py).
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
from rich.table import Table

from orderbridge.config import Settings
from orderbridge.config.tenants import Config, load_config
from orderbridge.core.errors import ConfigError, LeaseLost, OrderbridgeError, TenantBusy
from orderbridge.core.runtime import tune_for_sync
from orderbridge.sync.summary import CycleSummary

T = TypeVar("T")
P = ParamSpec("P")
EXIT_BUSY = 75
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
            err_console.print(f"[red]error:[/red] {exc.message}", markup=True, highlight=False)
            sys.exit(2)
        except (TenantBusy, LeaseLost) as exc:
            print_busy(exc)
            sys.exit(EXIT_BUSY)
        except OrderbridgeError as exc:
            err_console.print(f"[red]error:[/red] {exc.message}", markup=True, highlight=False)
            sys.exit(1)

    return wrapper


def print_busy(exc: TenantBusy | LeaseLost) -> None:
    """The one line a command refused (or stopped) by another writer of the tenant prints."""
    # soft_wrap: one line whatever the terminal width, so a cron mail or a log grep sees all of it.
    err_console.print(f"[yellow]busy:[/yellow] {exc.message}", markup=True, highlight=False, soft_wrap=True)


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
