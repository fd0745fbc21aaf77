"""`orderbridge sim`: serve the simulators on loopback (ConnectWise, TD SYNNEX, and the carrier-tracking
providers that follow TD SYNNEX's packages), seeded with the demo book, until interrupted."""

from __future__ import annotations

import click

from orderbridge.cli.common import console, guard
from orderbridge.simulators.fault_spec import FaultSpecError, parse_fault_spec
from orderbridge.simulators.serve import serve_forever


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback only unless you mean it.")
@click.option("--cw-port", default=8471, show_default=True)
@click.option("--tds-port", default=8472, show_default=True)
@click.option("--carriers-port", default=8473, show_default=True, help="EasyPost, UPS and FedEx simulators.")
@click.option("--seed/--no-seed", default=True, help="Seed the demo book of about 50 POs.")
@click.option(
    "--faults",
    default=None,
    metavar="SPEC",
    help="Inject faults, e.g. 'tds:5xx=0.1,timeout=0.05,latency=200ms~p99:2s;cw:429burst=20/60s'.",
)
@guard
def sim(host: str, cw_port: int, tds_port: int, carriers_port: int, seed: bool, faults: str | None) -> None:
    """Serve the ConnectWise, TD SYNNEX and carrier-tracking simulators until interrupted."""
    try:
        spec = parse_fault_spec(faults) if faults else None
    except FaultSpecError as exc:
        raise click.BadParameter(str(exc), param_hint="--faults") from None
    serve_forever(
        host=host,
        cw_port=cw_port,
        tds_port=tds_port,
        carriers_port=carriers_port,
        seed=seed,
        out=console,
        faults=spec,
    )
