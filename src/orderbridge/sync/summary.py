"""What one cycle did, counted so the numbers always add up (reliability-security.md G9).

Every PO seen ends in exactly one bucket: changed, unchanged or failed. `writes` counts ConnectWise
mutating calls, which is what the "second cycle makes zero writes" bar is checked against. Each
failure keeps its cause (sync/causes.py), so the summary can group them and say when the cycle failed
as a whole (`outage`); `warnings` are tenant-level findings that failed no PO (a renamed status).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from orderbridge.config import Settings
from orderbridge.core.domain import FieldChange
from orderbridge.sync.causes import PO_CAUSE, Cause, FailureGroup, group_failures, outage_line


@dataclass(frozen=True)
class PlannedChange:
    """One line of `--dry-run` output: which PO, which field, from what to what, and why."""

    po_number: str
    change: FieldChange


@dataclass
class CycleSummary:
    tenant: str
    dry_run: bool = False
    seen: int = 0
    checked: int = 0
    changed: int = 0
    unchanged: int = 0
    failed: int = 0
    not_due: int = 0
    quiet: int = 0  # checked and unchanged, so not planned again (sync/quiet.py); counted in `unchanged`
    attention: int = 0
    writes: int = 0
    events: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    causes: list[Cause] = field(default_factory=list)  # one per failure, in the same order
    planned: list[PlannedChange] = field(default_factory=list)
    transitions: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    aborted: str | None = None
    outage: str | None = None  # set when every attempted PO failed because a service did not answer

    def add_failure(self, po_label: str, message: str, cause: Cause = PO_CAUSE) -> None:
        self.failed += 1
        self.failures.append((po_label, message))
        self.causes.append(cause)

    @property
    def attempted(self) -> int:
        """POs this cycle tried to check (seen minus the ones not yet due)."""
        return self.seen - self.not_due

    @property
    def failed_as_a_whole(self) -> bool:
        """The cycle did not do its job: it stopped early, or a service answered for none of its POs."""
        return bool(self.aborted or self.outage)

    def find_outage(self, settings: Settings) -> str | None:
        """Decide, once the cycle is over, whether it failed as a whole for want of a service."""
        self.outage = outage_line(self.failures, self.causes, self.attempted, settings)
        return self.outage

    def failure_groups(self) -> list[FailureGroup]:
        causes = self.causes + [PO_CAUSE] * (len(self.failures) - len(self.causes))
        return group_failures(self.failures, causes)

    @property
    def balanced(self) -> bool:
        """fetched = changed + unchanged + failed (+ not yet due): anything else means a PO fell through a crack."""
        return self.seen == self.changed + self.unchanged + self.failed + self.not_due

    def counts(self) -> dict[str, int]:
        return {
            "seen": self.seen,
            "checked": self.checked,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "not_due": self.not_due,
            "quiet": self.quiet,
            "attention": self.attention,
            "writes": self.writes,
            "events": self.events,
        }

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"tenant": self.tenant, "dry_run": self.dry_run, **self.counts()}
        data["failures"] = [{"po": po, "error": message} for po, message in self.failures]
        data["causes"] = [
            {"count": group.count, "kind": group.cause.kind, "error": group.message, "pos": list(group.pos)}
            for group in self.failure_groups()
        ]
        if self.warnings:
            data["warnings"] = list(self.warnings)
        if self.aborted:
            data["aborted"] = self.aborted
        if self.outage:
            data["outage"] = self.outage
        return data
