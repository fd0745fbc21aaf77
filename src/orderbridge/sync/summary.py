"""What one cycle did, counted so the numbers always add up (reliability-security.md G9).

Every PO seen ends in exactly one bucket: changed, unchanged or failed. `writes` counts ConnectWise
mutating calls, which is what the "second cycle makes zero writes" bar is checked against.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from orderbridge.core.domain import FieldChange


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
    planned: list[PlannedChange] = field(default_factory=list)
    transitions: list[tuple[str, str]] = field(default_factory=list)
    aborted: str | None = None

    def add_failure(self, po_label: str, message: str) -> None:
        self.failed += 1
        self.failures.append((po_label, message))

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
        if self.aborted:
            data["aborted"] = self.aborted
        return data
