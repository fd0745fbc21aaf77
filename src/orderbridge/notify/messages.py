"""What a notification says: alert opened, alert resolved, a chosen stage reached (with tracking links).

Pure text building, apart from the sending, so the wording is tested without a mail server and the
sender never decides content. Every title and body passes through `redact` on its way out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from orderbridge.alerts.rules import RULE_LABELS
from orderbridge.core.display import UTC_DISPLAY, DisplayZone
from orderbridge.core.redaction import redact
from orderbridge.store.alerts import AlertRecord
from orderbridge.store.facts import FactsRow, TrackingLink
from orderbridge.store.records import EventRecord


@dataclass(frozen=True)
class Message:
    kind: str  # "alert", "resolved" or "stage"
    title: str
    body: str
    po_id: int
    alert_id: int | None = None

    def redacted(self) -> Message:
        return Message(self.kind, redact(self.title), redact(self.body), self.po_id, self.alert_id)


def po_link(dashboard_url: str | None, tenant: str, po_id: int) -> str | None:
    return f"{dashboard_url.rstrip('/')}/po/{tenant}/{po_id}" if dashboard_url else None


def _footer(dashboard_url: str | None, tenant: str, po_id: int) -> str:
    link = po_link(dashboard_url, tenant, po_id)
    return f"\n\nTimeline: {link}" if link else ""


def alert_opened(alert: AlertRecord, dashboard_url: str | None = None, zone: DisplayZone = UTC_DISPLAY) -> Message:
    label = RULE_LABELS.get(alert.rule, alert.rule)
    po = alert.po_number or f"PO id {alert.po_id}"
    body = f"{alert.message}\n\nOpened {zone.stamp(alert.opened_at)}." + _footer(
        dashboard_url, alert.tenant, alert.po_id
    )
    return Message("alert", f"[orderbridge] {label}: {po}", body, alert.po_id, alert.id)


def alert_resolved(alert: AlertRecord, dashboard_url: str | None = None, zone: DisplayZone = UTC_DISPLAY) -> Message:
    label = RULE_LABELS.get(alert.rule, alert.rule)
    po = alert.po_number or f"PO id {alert.po_id}"
    when = zone.stamp(alert.resolved_at) if alert.resolved_at else "now"
    body = f"Resolved by itself ({when}): {alert.message}" + _footer(dashboard_url, alert.tenant, alert.po_id)
    return Message("resolved", f"[orderbridge] Resolved - {label}: {po}", body, alert.po_id, alert.id)


def _tracking_lines(links: Sequence[TrackingLink]) -> list[str]:
    lines = []
    for link in links:
        carrier = f"{link.carrier} " if link.carrier else ""
        lines.append(f"  {carrier}{link.number}" + (f": {link.url}" if link.url else ""))
    return lines


def stage_reached(
    event: EventRecord,
    facts: FactsRow | None,
    shipments: Iterable[EventRecord] = (),
    dashboard_url: str | None = None,
) -> Message:
    """'PO-1001 shipped' with every tracking number (linked when the tenant's shipment method has a URL)."""
    po = (facts.po_number if facts else None) or f"PO id {event.po_id}"
    stage = event.stage.label if event.stage else "Stage changed"
    parts = [event.summary]
    links = list(facts.tracking) if facts else []
    if not links:
        numbers = dict.fromkeys(n for s in shipments for n in s.details.get("tracking_numbers", []))
        links = [TrackingLink(str(n)) for n in numbers]
    if links:
        parts.append("Tracking:\n" + "\n".join(_tracking_lines(links)))
    if facts and facts.expected_delivery_date:
        parts.append(f"Expected delivery: {facts.expected_delivery_date.isoformat()}")
    body = "\n\n".join(parts) + _footer(dashboard_url, event.tenant, event.po_id)
    return Message("stage", f"[orderbridge] {po}: {stage}", body, event.po_id)


def build_messages(
    *,
    opened: Sequence[AlertRecord],
    resolved: Sequence[AlertRecord],
    events: Sequence[EventRecord],
    facts: Mapping[int, FactsRow],
    alert_rules: Sequence[str],
    notify_resolved: bool,
    stage_changes: Sequence[str],
    dashboard_url: str | None,
    zone: DisplayZone = UTC_DISPLAY,
) -> list[Message]:
    """Every message one cycle calls for, in a stable order: new alerts, resolutions, stage changes.
    Times are in `zone` (`[display] timezone`) and say so."""
    wanted = set(alert_rules)
    messages = [alert_opened(a, dashboard_url, zone) for a in opened if not wanted or a.rule in wanted]
    if notify_resolved:
        messages += [alert_resolved(a, dashboard_url, zone) for a in resolved if not wanted or a.rule in wanted]
    stages = {name.casefold() for name in stage_changes}
    for event in events:
        if event.kind != "stage_changed" or event.stage is None or event.stage.name.casefold() not in stages:
            continue
        shipments = [e for e in events if e.kind == "shipment" and e.po_id == event.po_id]
        messages.append(stage_reached(event, facts.get(event.po_id), shipments, dashboard_url))
    return [m.redacted() for m in messages]
