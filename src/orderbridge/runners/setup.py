"""`orderbridge setup`: make ConnectWise ready for the sync, idempotently, and say what was done.

It creates the five TDS purchase-order statuses that are missing ("TDS Closed" as a closed status)
and checks that the tracking custom field exists. A status a person renamed is found by the id the
store learned (rules/statuses.py), so setup reports the rename and never creates a duplicate; with
`rename_back` it gives the status its configured name again. It renames nothing else and deletes
nothing. With a store, setup also records the status ids and stamps the tenant, which makes the POs
that failed for a setup reason due at once (store/setup_state.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from orderbridge.config import Settings
from orderbridge.connectwise.client import ConnectWiseClient
from orderbridge.core.domain import Stage
from orderbridge.core.errors import SetupError
from orderbridge.rules.situation import stage_status_name
from orderbridge.rules.statuses import Rename, resolve_statuses
from orderbridge.store import Store
from orderbridge.store.setup_state import mark_setup_changed
from orderbridge.sync.fulfilment import fulfilment_problems
from orderbridge.sync.statuses import resolve
from orderbridge.sync.tracking_field import missing_field_message


@dataclass
class SetupReport:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    renamed_back: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    custom_field: str | None = None
    retried: int = 0  # POs that failed for a setup reason, made due now

    def lines(self) -> list[str]:
        out = [f"created status {name!r}" for name in self.created]
        out += [f"status {name!r} already exists" for name in self.existing]
        out += self.renamed_back
        if self.custom_field:
            out.append(f"custom field {self.custom_field!r} found")
        if self.retried:
            out.append(f"{self.retried} PO(s) that failed for want of this setup will be checked at the next cycle")
        out += [f"warning: {warning}" for warning in self.warnings]
        return out


async def run_setup(
    settings: Settings,
    connectwise: ConnectWiseClient,
    *,
    dry_run: bool = False,
    store: Store | None = None,
    tenant: str = "default",
    now: datetime | None = None,
    rename_back: bool = False,
) -> SetupReport:
    """Without a store (some tests), statuses are matched by name only."""
    report = SetupReport()
    caption = settings.connectwise.tracking_field
    definition = await connectwise.find_custom_field(caption)
    if definition is None:
        captions = [f.caption for f in await connectwise.list_custom_fields()]
        raise SetupError(
            f"{missing_field_message(caption, captions)}. To create it: a Checkbox custom field with that caption "
            f"on the Purchase Order screen (System > Setup Tables > User Defined Fields); then run setup again."
        )
    report.custom_field = caption
    if definition.field_type not in ("Checkbox", None):
        report.warnings.append(f"custom field {caption!r} is not a Checkbox; orderbridge tracks POs where it is true")
    delivered = settings.carriers.delivered_field if settings.carriers.enabled else ""
    if delivered and await connectwise.find_custom_field(delivered) is None:
        # Not fatal: the sync works without it, and says so on each PO (rules/custom_fields.py).
        report.warnings.append(
            f"PO custom field {delivered!r} ([carriers] delivered_field) is not defined; add a Text custom field "
            "with that caption on the Purchase Order screen, or clear the setting"
        )
    # Not fatal either: the PO syncs without them, and each cycle says which one is missing.
    report.warnings.extend(await fulfilment_problems(settings, connectwise))

    names = settings.statuses
    listed = await connectwise.list_statuses()
    when = now or datetime.now(UTC)
    stages = (
        resolve(names, listed, store, tenant, when, learn=False).stages
        if store is not None
        else resolve_statuses(names, listed, {})
    )
    for stage in Stage:
        name = stage_status_name(names, stage)
        found = stages.found.get(stage)
        want_closed = stage is Stage.CLOSED
        if found is None:
            if not dry_run:
                await connectwise.create_status(name, closed=want_closed)
            report.created.append(name)
            continue
        report.existing.append(name)
        if found.inactive_flag:
            report.warnings.append(f"status {found.name!r} is inactive in ConnectWise; reactivate it")
        if found.closed_flag != want_closed:
            kind = "closed" if want_closed else "open"
            report.warnings.append(f"status {found.name!r} should be a {kind} status; change it in ConnectWise")
    by_name = {status.name.casefold(): status.id for status in listed}
    for rename in stages.renamed:
        await _renamed(rename, by_name, report, connectwise, rename_back=rename_back, dry_run=dry_run)
    if store is not None and not dry_run:
        # Learn the ids of what exists now (created statuses included), then wake the failed POs.
        resolve(names, await connectwise.list_statuses(), store, tenant, when, learn=True)
        report.retried = mark_setup_changed(store, tenant, when)
    return report


async def _renamed(
    rename: Rename,
    by_name: dict[str, int],
    report: SetupReport,
    connectwise: ConnectWiseClient,
    *,
    rename_back: bool,
    dry_run: bool,
) -> None:
    other = by_name.get(rename.configured.casefold())
    if other is not None and other != rename.status_id:
        # A second status carries our name (created by an older setup after the rename): renaming back
        # would clash, and ConnectWise refuses duplicate names anyway.
        report.warnings.append(
            f"{rename.warning()}. A second status #{other} is also named {rename.configured!r}; orderbridge "
            f"writes #{rename.status_id}, so POs on #{other} are moved to it. Deactivate or delete #{other} "
            f"in ConnectWise if nobody uses it"
        )
        return
    if not rename_back:
        report.warnings.append(rename.warning())
        return
    if not dry_run:
        await connectwise.rename_status(rename.status_id, rename.configured)
    report.renamed_back.append(
        f"renamed status #{rename.status_id} back from {rename.current!r} to {rename.configured!r}"
    )
