"""The `orderbridge` command line: the group, and one module per command beside this one.

Each command module imports what it needs from `cli/common.py` and the runners; this module only
imports the commands, so nothing imports back up. Exit codes: see `common.py`.
"""

from __future__ import annotations

from typing import Any

import click

from orderbridge import __version__
from orderbridge.cli.attention import attention
from orderbridge.cli.backfill import backfill
from orderbridge.cli.demo import demo
from orderbridge.cli.doctor import doctor
from orderbridge.cli.log import log_command
from orderbridge.cli.reach import reach
from orderbridge.cli.replay import replay
from orderbridge.cli.report import report
from orderbridge.cli.run import run
from orderbridge.cli.setup import setup
from orderbridge.cli.show import show
from orderbridge.cli.sim import sim
from orderbridge.cli.sync import sync
from orderbridge.cli.web import web
from orderbridge.cli.worker import worker


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
    obj: dict[str, Any] = ctx.ensure_object(dict)
    obj["config_path"] = config_path


for command in (
    setup,
    sync,
    run,
    worker,
    web,
    log_command,
    show,
    attention,
    doctor,
    replay,
    backfill,
    report,
    sim,
    demo,
    reach,
):
    main.add_command(command)
