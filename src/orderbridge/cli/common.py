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
   75  another process is writing to the tenant (the writer lease, runners/writer.py; EX_TEMPFAIL,
       "try again later" to cron and systemd): nothing was done

Text from outside (PO numbers, TD SYNNEX and ConnectWise values, error messages) reaches the terminal
only through `shown` (or `cell`): controls escaped (core/terminal.py) and never parsed as rich markup,
so `[http]` in a message stays `[http]`. Times go through `zone_of(ctx)`, the `[display] timezone`.
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
from rich.text import Text

from orderbridge.config import Settings
from orderbridge.config.tenants import Config, load_config
from orderbridge.core.display import DisplayZone, value_text
from orderbridge.core.errors import ConfigError, LeaseLost, OrderbridgeError, TenantBusy
from orderbridge.core.runtime import tune_for_sync
from orderbridge.core.terminal import for_terminal
from orderbridge.core.xmlguard import expat_warning
from orderbridge.sync.summary import CycleSummary

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2
EXIT_BUSY = 75  # the writer lease's code (EX_TEMPFAIL): another process syncs this tenant

T = TypeVar("T")
P = ParamSpec("P")
console = Console(stderr=False, highlight=False)
err_console = Console(stderr=True, highlight=False)


def shown(value: object) -> Text:
    """Untrusted text for a table cell or a line: controls shown escaped, never read as rich markup."""
    return Text(for_terminal(value))


def cell(value: object) -> Text:
    """An activity value or a planned change: a ConnectWise reference by name (`TDS Shipped (#7)`), shown."""
    return shown(value_text(value))


def problem(label: str, message: object, style: str = "red") -> Text:
    """`label` styled (e.g. "error:" in red) followed by untrusted `message`, as one safe line."""
    return Text.assemble((label, style), " ", shown(message))


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
            err_console.print(problem("error:", exc.message), soft_wrap=True)
            sys.exit(EXIT_CONFIG)
        except (TenantBusy, LeaseLost) as exc:
            print_busy(exc)
            sys.exit(EXIT_BUSY)
        except OrderbridgeError as exc:
            # One unwrapped line: what an operator greps for and pastes into a ticket.
            err_console.print(problem("error:", exc.message), soft_wrap=True)
            sys.exit(EXIT_FAILED)

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
    config: Config = obj["config"]
    return config


def expat_notice(settings: Settings, version: tuple[int, int, int] | None = None) -> str | None:
    """The old-expat warning for these settings (None when expat is current or the warning is off)."""
    if not settings.display.expat_warning:
        return None
    return expat_warning(version, max_response_bytes=settings.http.max_response_bytes)


def warn_old_expat(settings: Settings) -> None:
    """One line on stderr. Each command that parses TD SYNNEX XML (sync, run, worker, replay, backfill,
    doctor) calls this once at start, so it is said once per run, and never by the commands that only
    read the store. Not a marker file "once per machine": the next cron job, or another user, would
    never learn why; `[display] expat_warning = false` is there for whoever has read it."""
    notice = expat_notice(settings)
    if notice:
        err_console.print(problem("warning:", notice, "yellow"), soft_wrap=True)


def zone_of(ctx: click.Context) -> DisplayZone:
    """The `[display] timezone` every time shown by this invocation is converted to and labelled with."""
    return settings_of(ctx).display.zone


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
            table.add_row(
                shown(item.po_number), field, cell(change.old), cell(change.labelled_new), shown(change.reason)
            )
        out.print(table)
    for po, text in summary.transitions:
        out.print(shown(f"  {po}: {text}"))
    # One unwrapped line per cause (grep-able), not one per PO; an outage is the cause of every failure.
    lines = [problem("service down:", summary.outage)] if summary.outage else []
    lines += [] if summary.outage else [problem("failed", g.text()) for g in summary.failure_groups()]
    lines += [problem("warning:", warning, "yellow") for warning in summary.warnings]
    for line in lines:
        out.print(Text("  ") + line, soft_wrap=True)
    if summary.aborted:
        out.print(Text("  ") + problem("incomplete:", summary.aborted, "yellow"))
    counts = summary.counts()
    out.print(
        "POs seen {seen}, checked {checked}, changed {changed}, unchanged {unchanged}, failed {failed}; "
        "ConnectWise writes {writes}".format(**counts)
    )


def parse_when(value: str | None, zone: DisplayZone | None = None) -> datetime | None:
    """A date or timestamp typed by a person: without an offset it is in `zone` (the display zone, the
    one the tables show), else UTC."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD or an ISO timestamp") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone.zone if zone else UTC)
