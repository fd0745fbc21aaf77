"""Carry out a plan in ConnectWise: JSON Patch the header and lines, then write the notes, exactly once.

Patches are idempotent (absolute `replace` values), so repeating one after a crash is harmless. A
note is not: POSTing it twice makes two notes. Each note ends with a marker naming its event, and
before writing any note the PO's existing notes are read and every marker already present is
skipped. That covers the crash between "note written" and "event recorded in the store". It is only
sound with one writer per tenant, so every write first asks the writer lease (`fence`) whether this
process still holds it (runners/writer.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from orderbridge.connectwise.client import ConnectWiseClient
from orderbridge.connectwise.patch import changes_to_ops
from orderbridge.core.domain import Plan, PurchaseOrder
from orderbridge.core.errors import WriteRejected
from orderbridge.rules.notes import find_marker


class Fence(Protocol):
    """The writer lease as a write sees it (runners/writer.py): `check` raises LeaseLost (Fatal) when
    this process may no longer write to the tenant's ConnectWise."""

    def check(self) -> None: ...


@dataclass
class Applied:
    writes: int = 0
    notes: dict[str, int] = field(default_factory=dict)
    notes_found: dict[str, int] = field(default_factory=dict)
    note_errors: dict[str, str] = field(default_factory=dict)
    # ConnectWise's lastUpdated after our own header PATCH: the ledger records the check as no earlier
    # than this, so our write does not read as a person's edit next cycle (and re-fetch the lines).
    last_updated: datetime | None = None


async def apply_plan(
    cw: ConnectWiseClient, po: PurchaseOrder, plan: Plan, *, write_notes: bool, fence: Fence | None = None
) -> Applied:
    """Notes first, then lines, then the header. The header may carry the closed status, after which the
    PO is no longer listed for tracking: anything still unwritten when a crash hits after that PATCH
    would be lost for good, whereas everything before it is simply redone by the next cycle."""
    applied = Applied()
    check = fence.check if fence is not None else _unfenced
    if write_notes and plan.notes:
        existing: dict[str, int] = {}
        for written in await cw.list_notes(po.id):
            key = find_marker(written.text or "")
            if key is not None:
                existing.setdefault(key, written.id)
        for note in plan.notes:
            if note.key in existing:
                applied.notes_found[note.key] = existing[note.key]
                continue
            check()  # between the notes read above and this POST, nobody else may have written
            try:
                applied.notes[note.key] = await cw.add_note(po.id, note.text)
            except WriteRejected as exc:
                # ConnectWise refused the note itself (an older tenant without PO notes, a note-type
                # rule): the status and tracking still matter more than the note, so carry on.
                applied.note_errors[note.key] = exc.message
                continue
            applied.writes += 1
    for line_id, changes in plan.line_changes().items():
        check()
        await cw.patch_line_item(po.id, line_id, changes_to_ops(changes))
        applied.writes += 1
    if plan.header_changes:
        check()
        patched = await cw.patch_purchase_order(po.id, changes_to_ops(plan.header_changes))
        applied.last_updated = patched.last_updated
        applied.writes += 1
    return applied


def _unfenced() -> None:
    """No lease to check: a caller that is the tenant's only writer by construction (tests, tools)."""
