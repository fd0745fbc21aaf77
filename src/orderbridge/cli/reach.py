"""`orderbridge reach preview PO` and `orderbridge reach pending`: who would be told what, before anyone is.

`preview` renders every message the PO's recorded events call for (emails with their headers and text,
ticket notes, staff lines) and says what became of each: sent, skipped and why, or not yet. `pending`
lists what the next live cycle would send. Both read ConnectWise and the store and write nothing.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

import click

from orderbridge.cli.common import config_of, console, guard, run_async, shown
from orderbridge.config.tenants import TenantConfig
from orderbridge.connectwise.conditions import condition
from orderbridge.reach.cycle import Preview, Reach
from orderbridge.sync.tenant import open_tenant


@click.group()
def reach() -> None:
    """Messages to customers, ticket contacts, sales reps, project managers and staff (see [reach])."""


def print_previews(previews: Sequence[Preview], *, full: bool = True) -> None:
    if not previews:
        console.print(shown("no messages"))
        return
    for p in previews:
        d = p.decision
        who = f"{d.recipient_name} <{d.recipient}>" if d.recipient_name and d.channel == "email" else d.recipient
        console.print(shown(f"[{p.state}] {d.event.name} -> {d.audience} by {d.channel}: {who}"))
        if full and p.content:
            console.print(shown(f"  Subject: {p.subject}"))
            for line in str(p.content.get("text") or "").splitlines():
                console.print(shown(f"  | {line}"))


def _as_json(previews: Sequence[Preview]) -> str:
    return json.dumps(
        [
            {
                "event": p.decision.event.name,
                "audience": p.decision.audience,
                "channel": p.decision.channel,
                "recipient": p.decision.recipient,
                "state": p.state,
                "subject": p.subject,
                "text": p.content.get("text"),
            }
            for p in previews
        ],
        indent=2,
    )


async def _preview(tenant_config: TenantConfig, po_number: str) -> list[Preview]:
    async with open_tenant(tenant_config.settings, name=tenant_config.name) as tenant:
        found = [
            po async for po in tenant.connectwise.list_purchase_orders(conditions=condition("poNumber", "=", po_number))
        ]
        if not found:
            raise click.ClickException(f"ConnectWise has no PO numbered {po_number!r}")
        methods = await tenant.connectwise.list_shipment_methods()
        engine = Reach(tenant.settings, tenant.store, tenant.name, tenant.connectwise)
        return await engine.preview(found[0].id, methods, now=datetime.now(UTC))


async def pending_previews(tenant_config: TenantConfig) -> list[Preview]:
    async with open_tenant(tenant_config.settings, name=tenant_config.name) as tenant:
        methods = await tenant.connectwise.list_shipment_methods()
        engine = Reach(tenant.settings, tenant.store, tenant.name, tenant.connectwise)
        return await engine.pending(datetime.now(UTC), methods)


@reach.command()
@click.argument("po_number")
@click.option("--tenant", "name", default=None, help="The tenant (default: the first).")
@click.option("--json", "as_json", is_flag=True, help="Print the messages as JSON.")
@click.pass_context
@guard
def preview(ctx: click.Context, po_number: str, name: str | None, as_json: bool) -> None:
    """Render every message PO_NUMBER's events call for, and what became of each. Sends nothing."""
    tenant = config_of(ctx).select([name] if name else [])[0]
    previews = run_async(_preview(tenant, po_number))
    click.echo(_as_json(previews)) if as_json else print_previews(previews)
    sys.stdout.flush()


@reach.command()
@click.option("--tenant", "names", multiple=True, help="Only this tenant (repeatable).")
@click.pass_context
@guard
def pending(ctx: click.Context, names: tuple[str, ...]) -> None:
    """What the next live cycle would send: decided messages and recorded events not decided yet."""
    for tenant in config_of(ctx).select(names):
        console.print(shown(f"tenant {tenant.name}:"))
        print_previews(run_async(pending_previews(tenant)), full=False)
