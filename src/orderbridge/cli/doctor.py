"""`orderbridge doctor [PO]`: is every tenant able to sync, and why is this PO not updating?

Exit 0 only when nothing is wrong, so monitoring can run it; 1 for any problem found, 2 when the
config itself does not load (the finding still says which key and how to fix it).
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime

import click

from orderbridge.cli.common import run_async, warn_old_expat
from orderbridge.core.errors import ConfigError, ConfigFileNotFound
from orderbridge.core.terminal import for_terminal
from orderbridge.troubleshoot.findings import Finding, Report


@click.command()
@click.argument("po_number", required=False)
@click.option("--tenant", default=None, help="Only this tenant (default: every tenant in the config).")
@click.option("--raw", is_flag=True, help="With a PO: also print TD SYNNEX's last raw answer.")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.pass_context
def doctor(ctx: click.Context, po_number: str | None, tenant: str | None, raw: bool, as_json: bool) -> None:
    """Check config, credentials, connectivity, ConnectWise setup and the store; or explain one PO."""
    from orderbridge.config.tenants import load_config
    from orderbridge.store import Store
    from orderbridge.troubleshoot.doctor import check_tenant, explain_po

    report = Report()
    try:
        tenants = load_config(ctx.ensure_object(dict).get("config_path")).tenants
    except ConfigError as exc:
        missing = isinstance(exc, ConfigFileNotFound)
        summary = "the config file is not found" if missing else "the configuration does not load"
        fix = (
            "copy config.example.toml to that path and fill it in, or pass --config PATH"
            if missing
            else "correct the key named above (config.example.toml documents every key)"
        )
        report.add("config", [Finding.problem("config", summary, cause=exc.message, fix=fix)])
        _emit(report, as_json)
        sys.exit(2)
    chosen = [t for t in tenants if tenant is None or t.name == tenant]
    if not chosen:
        raise click.BadParameter(f"no tenant {tenant!r} in the config", param_hint="--tenant")
    warn_old_expat(chosen[0].settings)
    now = datetime.now(UTC)
    raw_body: bytes | None = None
    # Tenants share one store; the doctor never migrates it (an outdated schema is one of its findings).
    store = Store.open(chosen[0].settings.store.url, migrate=False)
    try:
        for config in chosen:
            if po_number is None:
                report.add(f"tenant {config.name}", run_async(check_tenant(config.name, config.settings, store, now)))
                continue
            findings, payload = run_async(explain_po(config.name, config.settings, store, po_number, now))
            report.add(f"PO {po_number} (tenant {config.name})", findings)
            if payload is not None and raw_body is None:
                raw_body = payload.body
    finally:
        store.close()
    _emit(report, as_json)
    if raw and po_number is not None:
        click.echo("-- TD SYNNEX's last raw answer --" if raw_body else "-- no raw answer stored --")
        if raw_body:
            # TD SYNNEX's text verbatim, except that a control character cannot reach the terminal.
            text = raw_body.decode("utf-8", errors="replace").replace("\r\n", "\n")
            click.echo(for_terminal(text))
    sys.exit(report.exit_code)


def _emit(report: Report, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
    else:
        click.echo(report.text())
