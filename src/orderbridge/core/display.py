"""Values and times as people read them: ConnectWise references by name, times in the display zone.

What is stored stays what ConnectWise takes (`{"id": 7}`, with the name beside it where known) and
times stay UTC; these rules turn them into what the CLI, the dashboard, `doctor` and notifications
show, the same way everywhere. Pure apart from reading the machine's own zone.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# tzlocal finds the machine's zone *by name* (TZ, /etc/timezone, /etc/localtime, Windows' registry), so
# summer time is right for every date shown and the label is "Europe/Berlin", not a fixed "+01:00".
import tzlocal

# Spellings of UTC that read better as plain "UTC" in a column heading.
_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/Universal", "Etc/Zulu", "Universal", "Zulu", "GMT", "Etc/GMT"})


def reference_text(value: object, names: Mapping[int, str] | None = None) -> str | None:
    """A ConnectWise reference `{"id": 7, "name": "X"}` (or its stored JSON text) as `X (#7)`; a bare
    `{"id": 7}` takes its name from `names` (a status or shipment-method list) or reads `#7`; None when
    `value` is no reference."""
    ref = value
    if isinstance(value, str) and value.startswith("{") and '"id"' in value:
        try:
            ref = json.loads(value)
        except ValueError:
            return None
    if not isinstance(ref, dict) or "id" not in ref or not set(ref) <= {"id", "name", "_info"}:
        return None
    name = ref.get("name")
    if not name and names and isinstance(ref["id"], int):
        name = names.get(ref["id"])
    return f"{name} (#{ref['id']})" if name else f"#{ref['id']}"


def value_text(value: object, names: Mapping[int, str] | None = None) -> str:
    """An activity value or a planned change for people: references by name, None as ''."""
    if value is None:
        return ""
    shown = reference_text(value, names)
    return shown if shown is not None else str(value)


def zone_named(name: str | None) -> tzinfo:
    """The zone called `name`, or the machine's own zone for None or ''. Raises ValueError for an
    unknown name, so a config check can name the key."""
    if not name:
        try:
            return tzlocal.get_localzone()
        except (ZoneInfoNotFoundError, ValueError) as exc:  # e.g. TZ=Nowhere/Land
            raise ValueError(f"this machine's time zone is unknown ({exc}); set an IANA name here") from None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as 'Europe/Berlin'") from None


@dataclass(frozen=True)
class DisplayZone:
    """Where times are shown to people. Stored times stay UTC; this converts and labels them."""

    zone: tzinfo

    @classmethod
    def named(cls, name: str | None) -> DisplayZone:
        return cls(zone_named(name))

    @property
    def label(self) -> str:
        key = getattr(self.zone, "key", None) or str(self.zone)
        return "UTC" if key in _UTC_NAMES else key

    def local(self, moment: datetime) -> datetime:
        """`moment` in this zone; a naive value is taken as UTC, as the store's are."""
        aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return aware.astimezone(self.zone)

    def format(self, moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        """`moment` in this zone without a label (the column heading carries it); '' for None."""
        return "" if moment is None else self.local(moment).strftime(fmt)

    def stamp(self, moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        """`moment` in this zone with its label, for a time that stands alone in a sentence."""
        return "never" if moment is None else f"{self.format(moment, fmt)} {self.label}"


UTC_DISPLAY = DisplayZone(UTC)
