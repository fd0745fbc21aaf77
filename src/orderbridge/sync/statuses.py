"""Each TDS stage's ConnectWise status for one tenant: read ConnectWise and the store, resolve, learn.

The rule itself (by id once known, renames reported) is pure, in rules/statuses.py; this is the one
place that feeds it, so a cycle and `orderbridge setup` always agree on which status is whose.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from orderbridge.config import StatusNames
from orderbridge.connectwise.client import ConnectWiseClient
from orderbridge.core.domain import PurchaseOrderStatus, Stage
from orderbridge.rules.statuses import KnownStatus, StageStatuses, resolve_statuses
from orderbridge.store import Store
from orderbridge.store.setup_state import load_stage_statuses, save_stage_statuses


@dataclass(frozen=True)
class TenantStatuses:
    listed: tuple[PurchaseOrderStatus, ...]  # every PO status ConnectWise has
    stages: StageStatuses


def known_statuses(store: Store, tenant: str) -> dict[Stage, KnownStatus]:
    rows = load_stage_statuses(store, tenant)
    return {Stage(stage): KnownStatus(status_id, name) for stage, (status_id, name) in rows.items()}


def remember(store: Store, tenant: str, stages: StageStatuses, known: dict[Stage, KnownStatus], now: datetime) -> None:
    """Save what `stages` found, when it differs from what the store knew."""
    learned = stages.learned
    if learned != known:
        rows = {int(stage): (status.status_id, status.configured) for stage, status in learned.items()}
        save_stage_statuses(store, tenant, rows, now)


def resolve(
    names: StatusNames, listed: Sequence[PurchaseOrderStatus], store: Store, tenant: str, now: datetime, *, learn: bool
) -> TenantStatuses:
    """Resolve against the ids the store knows; with `learn`, remember what was found."""
    known = known_statuses(store, tenant)
    stages = resolve_statuses(names, listed, known)
    if learn:
        remember(store, tenant, stages, known, now)
    return TenantStatuses(tuple(listed), stages)


async def tenant_statuses(
    connectwise: ConnectWiseClient, names: StatusNames, store: Store, tenant: str, now: datetime, *, learn: bool
) -> TenantStatuses:
    return resolve(names, await connectwise.list_statuses(), store, tenant, now, learn=learn)
