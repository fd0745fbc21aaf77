"""`orderbridge setup`: make ConnectWise ready for the sync, idempotently, and say what was done.

It creates the five TDS purchase-order statuses that are missing ("TDS Closed" as a closed status)
and checks that the tracking custom field exists. It never renames or deletes anything a person made.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from orderbridge.config import Settings
from orderbridge.connectwise.client import ConnectWiseClient
from orderbridge.core.errors import SetupError


@dataclass
class SetupReport:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    custom_field: str | None = None

    def lines(self) -> list[str]:
        out = [f"created status {name!r}" for name in self.created]
        out += [f"status {name!r} already exists" for name in self.existing]
        if self.custom_field:
            out.append(f"custom field {self.custom_field!r} found")
        out += [f"warning: {warning}" for warning in self.warnings]
        return out


async def run_setup(settings: Settings, connectwise: ConnectWiseClient, *, dry_run: bool = False) -> SetupReport:
    report = SetupReport()
    caption = settings.connectwise.tracking_field
    definition = await connectwise.find_custom_field(caption)
    if definition is None:
        raise SetupError(
            f"ConnectWise has no purchase-order custom field {caption!r}. Create a Checkbox custom field "
            f"with that caption on the Purchase Order screen (System > Setup Tables > User Defined Fields), "
            f"or set [connectwise] tracking_field to the caption you use, then run setup again."
        )
    report.custom_field = caption
    if getattr(definition, "type", "Checkbox") not in ("Checkbox", None):
        report.warnings.append(f"custom field {caption!r} is not a Checkbox; orderbridge tracks POs where it is true")

    existing = {status.name.casefold(): status for status in await connectwise.list_statuses()}
    names = settings.statuses
    for name in names.all():
        found = existing.get(name.casefold())
        want_closed = name == names.closed
        if found is None:
            if not dry_run:
                await connectwise.create_status(name, closed=want_closed)
            report.created.append(name)
            continue
        report.existing.append(name)
        if found.inactive_flag:
            report.warnings.append(f"status {name!r} is inactive in ConnectWise; reactivate it")
        if found.closed_flag != want_closed:
            kind = "closed" if want_closed else "open"
            report.warnings.append(f"status {name!r} should be a {kind} status; change it in ConnectWise")
    return report
