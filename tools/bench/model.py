"""The yardsticks: the least number of calls a cycle needs, and the least wall time they can take.

Minimum calls, per cycle (everything else a client sends is overhead):

- TD SYNNEX: one PO Status query per tracked PO; nothing is known about an order without it.
- ConnectWise reference data: one statuses list and one shipment-method list.
- ConnectWise PO list: ceil(N / page_size) pages (the Link header says when there is no next page).
- Line-item GETs: only for POs whose TD SYNNEX answer changed since the last check (the lines are
  needed to match them); an unchanged answer needs no lines.
- PATCHes: one per PO header and one per PO line whose fields really differ afterwards (measured on the
  simulator's book, not taken from our own plan).
- Notes: one list per PO that gets a note (to find markers) plus one POST per note added.
- Invoice queries: one per PO that really gained an invoice. The observer also asks after a changed
  answer with a shipped line (the invoice may exist before the status says "invoiced"); those
  speculative queries show up as overhead, which is the honest way to count them.

The bound of a service is the larger of calls x mean latency / concurrency (Little's law: that many
calls cannot overlap more than `concurrency` at once) and calls / rate limit; the cycle's bound is
the largest service bound. The log-normal's mean, not its median, is the right latency for this.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

CW_KINDS = ("cw_meta", "cw_list", "cw_line_get", "cw_po_patch", "cw_line_patch", "cw_note_list", "cw_note_post")
TDS_KINDS = ("tds_status", "tds_invoice")


def lognormal_mean(median_s: float, p99_s: float | None) -> float:
    """Mean of the simulators' latency draw (median M, 99th percentile T); the cap at 5 T is ignored."""
    if p99_s is None or p99_s <= median_s:
        return median_s
    sigma = math.log(p99_s / median_s) / 2.3263478740408408
    return median_s * math.exp(sigma * sigma / 2)


@dataclass(frozen=True)
class ServiceLimits:
    latency_s: float
    concurrency: int
    per_minute: int

    def bound_s(self, calls: int) -> float:
        return max(calls * self.latency_s / self.concurrency, calls * 60.0 / self.per_minute)


@dataclass(frozen=True)
class Changes:
    """What a cycle had to change, measured on the simulators and the store."""

    listed: int
    answers_changed: int
    headers_changed: int
    lines_changed: int
    pos_with_new_notes: int
    notes_added: int
    pos_with_new_invoices: int = 0


def minimum_calls(changes: Changes, *, page_size: int) -> dict[str, int]:
    return {
        "tds_status": changes.listed,
        "cw_meta": 2,
        # Twice: the light listing of PO numbers (fields=id,poNumber; sync/duplicates.py), then the POs.
        "cw_list": 2 * max(1, math.ceil(changes.listed / page_size)),
        "cw_line_get": changes.answers_changed,
        "cw_po_patch": changes.headers_changed,
        "cw_line_patch": changes.lines_changed,
        "cw_note_list": changes.pos_with_new_notes,
        "cw_note_post": changes.notes_added,
        "tds_invoice": changes.pos_with_new_invoices,
    }


def bound_s(calls: dict[str, int], *, cw: ServiceLimits, tds: ServiceLimits) -> float:
    cw_calls = sum(calls.get(kind, 0) for kind in CW_KINDS)
    tds_calls = sum(calls.get(kind, 0) for kind in TDS_KINDS)
    return max(cw.bound_s(cw_calls), tds.bound_s(tds_calls))
