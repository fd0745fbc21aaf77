"""`[display]`: how orderbridge shows things to people (the time zone of every time shown, start-up notices).

Kept apart from the service and operations tables because nothing here changes what is synced or
stored: times stay UTC in the store, exports and JSON; only what a person reads changes.
"""

from __future__ import annotations

from pydantic import Field, field_validator

from orderbridge.config.services import Section
from orderbridge.core.display import DisplayZone, zone_named


class DisplaySettings(Section):
    timezone: str = Field(
        default="",
        description="IANA zone of the times in the CLI, dashboard, doctor and notifications; '' = this machine's",
    )
    expat_warning: bool = Field(
        default=True, description="warn (one line) when Python's bundled expat predates the 2024 fixes"
    )

    @field_validator("timezone")
    @classmethod
    def _zone_exists(cls, value: str) -> str:
        zone_named(value or None)  # raises ValueError naming the unknown zone
        return value

    @property
    def zone(self) -> DisplayZone:
        return DisplayZone.named(self.timezone or None)
