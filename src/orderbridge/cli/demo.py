"""`orderbridge demo`: both simulators, setup and several cycles while simulated time advances."""

from __future__ import annotations

import click
from rich.console import Console

from orderbridge.cli.common import console, guard, run_async
from orderbridge.runners.demo import run_demo


@click.command()
@click.option("--cycles", default=8, show_default=True, help="Sync cycles to run while simulated time advances.")
@click.option("--orders", default=50, show_default=True, help="POs in the demo book.")
@guard
def demo(cycles: int, orders: int) -> None:
    """Start both simulators, run setup and several cycles, and show what changed. Needs no credentials."""
    wide = console if console.is_terminal else Console(width=120, highlight=False)
    run_async(run_demo(cycles=cycles, orders=orders, out=wide))
