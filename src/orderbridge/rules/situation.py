"""What every planning rule looks at: the PO, the TD SYNNEX answer, invoices, context and what we knew before.

Its own module so the rule modules (`plan.py` for the header, `lines.py`, `invoices.py`,
`custom_fields.py`) share one frozen view without importing each other. Built once per plan, so no
two rules can disagree about the stage or about which ConnectWise line an `<Item>` belongs to.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from orderbridge.config import CarrierSettings, StatusNames, SyncSettings
from orderbridge.core.delivery import TrackedParcel
from orderbridge.core.domain import (
    DistributorOrder,
    Event,
    FieldChange,
    Invoice,
    PurchaseOrder,
    PurchaseOrderStatus,
    ShipmentMethod,
    Stage,
)
from orderbridge.rules.stages import StageVerdict

PACIFIC = ZoneInfo("America/Los_Angeles")  # `[tdsynnex] timezone`'s default


@dataclass(frozen=True)
class PriorState:
    """What the store knew about this PO before this observation."""

    stage: Stage | None = None
    written_status: str | None = None
    person_status: bool = False
    event_keys: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PlanContext:
    status_names: StatusNames
    statuses: Mapping[str, PurchaseOrderStatus]
    shipment_methods: Sequence[ShipmentMethod]
    now: datetime
    release_on_fees: bool = True
    sync: SyncSettings = field(default_factory=SyncSettings)
    # `[tdsynnex] timezone`: notes give a ship date as TD SYNNEX's own calendar day. The codec hands
    # times over in UTC, where a 17:30 Pacific shipment is already the next day.
    tdsynnex_zone: tzinfo = PACIFIC
    # `[carriers]`: the delivered custom field, the slip tolerance; and the zone of delivery times in notes.
    carriers: CarrierSettings = field(default_factory=CarrierSettings)
    delivery_zone: tzinfo = UTC


@dataclass(frozen=True)
class Situation:
    """Everything a rule may look at, decided once so no two rules disagree about the stage."""

    po: PurchaseOrder
    order: DistributorOrder
    ctx: PlanContext
    prior: PriorState
    verdict: StageVerdict
    stage: Stage
    stale: bool
    person_owns_status: bool
    invoices: tuple[Invoice, ...] = ()
    parcels: tuple[TrackedParcel, ...] = ()  # the packages this answer ships, as the carriers last told us

    def stage_name(self, stage: Stage) -> str:
        return stage_status_name(self.ctx.status_names, stage)


@dataclass(frozen=True)
class Outcome:
    changes: tuple[FieldChange, ...] = ()
    events: tuple[Event, ...] = ()
    problems: tuple[str, ...] = ()
    needs_setup: bool = False  # the problem is ConnectWise's setup, not this PO (sync/causes.py SETUP)


Rule = Callable[[Situation], Outcome]
NOTHING = Outcome()
FIRST_SIGHT = PriorState()


def stage_status_name(names: StatusNames, stage: Stage) -> str:
    return str(getattr(names, stage.name.lower()))


def lines_text(count: int) -> str:
    return f"{count} line" if count == 1 else f"{count} lines"
