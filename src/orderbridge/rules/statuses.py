"""Which ConnectWise PO status is each TDS stage's: by id once known, by its [statuses] name before.

A person may rename "TDS Shipped" in ConnectWise. The status keeps its id, so orderbridge keeps
writing that id and says so every cycle, instead of reading every shipped PO as taken over by a
person and asking setup for a new status (which would create a duplicate). Ids are learned under the
configured name, by setup and by every cycle, and kept per tenant in the store; a changed [statuses]
name is the operator's choice, so it is looked up by name again. Pure: the store and ConnectWise are
read by `sync/statuses.py`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from orderbridge.config import StatusNames
from orderbridge.core.domain import PurchaseOrderStatus, Stage
from orderbridge.rules.situation import stage_status_name


@dataclass(frozen=True)
class KnownStatus:
    """The ConnectWise status id of one stage, and the [statuses] name it was learned under."""

    status_id: int
    configured: str


@dataclass(frozen=True)
class Rename:
    """A stage's status, found by id, now carries a name the config does not."""

    stage: Stage
    status_id: int
    configured: str
    current: str

    def warning(self) -> str:
        return (
            f"ConnectWise status #{self.status_id} was {self.configured!r}, now {self.current!r}: orderbridge "
            f"keeps writing status #{self.status_id}; rename it back (`orderbridge setup --rename-back`) "
            f"or set [statuses] {self.stage.name.lower()} = {json.dumps(self.current)}"
        )


@dataclass(frozen=True)
class StageStatuses:
    names: StatusNames
    found: Mapping[Stage, PurchaseOrderStatus]
    renamed: tuple[Rename, ...] = ()

    @property
    def missing(self) -> tuple[Stage, ...]:
        return tuple(stage for stage in Stage if stage not in self.found)

    @property
    def learned(self) -> dict[Stage, KnownStatus]:
        """What the store should remember: every stage found, under today's [statuses] name."""
        return {
            stage: KnownStatus(status.id, stage_status_name(self.names, stage)) for stage, status in self.found.items()
        }

    def for_planning(self, statuses: Sequence[PurchaseOrderStatus]) -> dict[str, PurchaseOrderStatus]:
        """Every ConnectWise status by folded name, with each stage's configured name pointing at the
        status found for it (by id when renamed), which is how the planner looks them up."""
        table = {status.name.casefold(): status for status in statuses}
        for stage, status in self.found.items():
            table[stage_status_name(self.names, stage).casefold()] = status
        return table


def resolve_statuses(
    names: StatusNames, statuses: Sequence[PurchaseOrderStatus], known: Mapping[Stage, KnownStatus]
) -> StageStatuses:
    by_id = {status.id: status for status in statuses}
    by_name = {status.name.casefold(): status for status in statuses}
    found: dict[Stage, PurchaseOrderStatus] = {}
    renamed: list[Rename] = []
    for stage in Stage:
        name = stage_status_name(names, stage)
        learned = known.get(stage)
        status = by_id.get(learned.status_id) if learned and learned.configured.casefold() == name.casefold() else None
        if status is None:
            # Never learned, learned under another [statuses] name, or deleted in ConnectWise: by name.
            status = by_name.get(name.casefold())
        elif status.name.casefold() != name.casefold():
            renamed.append(Rename(stage, status.id, name, status.name))
        if status is not None:
            found[stage] = status
    return StageStatuses(names, found, tuple(renamed))
