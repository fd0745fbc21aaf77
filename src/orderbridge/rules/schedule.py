"""When to ask TD SYNNEX about a PO next: by stage, with jitter, backing off on failures. Pure.

Calls go where change is likely: new and accepted orders move within hours, shipped ones change
when invoiced, invoiced ones rarely; a closed order is dropped after a grace period. Jitter spreads
checks of orders seen in the same cycle so the daemon's load stays flat instead of pulsing.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from orderbridge.config import ScheduleSettings
from orderbridge.core.domain import Stage


def interval_for(stage: Stage | None, settings: ScheduleSettings) -> timedelta:
    minutes = {
        None: settings.new_minutes,
        Stage.ACCEPTED: settings.accepted_minutes,
        Stage.RELEASED: settings.released_minutes,
        Stage.SHIPPED: settings.shipped_minutes,
        Stage.INVOICED: settings.invoiced_minutes,
        Stage.CLOSED: settings.closed_minutes,
    }[stage]
    return timedelta(minutes=minutes)


def next_check(
    stage: Stage | None,
    now: datetime,
    settings: ScheduleSettings,
    *,
    failures: int = 0,
    closed_since: datetime | None = None,
    rng: random.Random | None = None,
) -> datetime | None:
    """The next moment this PO is due, or None when it should no longer be tracked."""
    if (
        stage is Stage.CLOSED
        and closed_since is not None
        and now - closed_since >= timedelta(days=settings.closed_grace_days)
    ):
        return None
    if failures > 0:
        # A failing PO backs off exponentially so one poisoned order cannot eat the rate budget,
        # but never waits longer than its stage's normal interval plus the cap.
        base = timedelta(minutes=settings.retry_minutes) * (1 << min(failures - 1, 10))
        interval = min(base, timedelta(minutes=settings.retry_cap_minutes))
    else:
        interval = interval_for(stage, settings)
    spread = interval.total_seconds() * settings.jitter
    offset: float = (rng or random.Random()).uniform(-spread, spread) if spread else 0.0
    return now + interval + timedelta(seconds=offset)
