"""The PO custom fields the operator may name: every tracking number, the expected delivery date, and when
and to whom the carriers delivered (`[carriers] delivered_field`).

ConnectWise takes custom fields only as the WHOLE `customFields` array (connectwise-psa.md §4.3), so both
values travel in one FieldChange per plan; `connectwise.patch.custom_fields_op` builds the array the same
way the action layer would. Separate from the header rules because it is optional, configured per tenant,
and the one place that can find the tenant's setup incomplete.
"""

from __future__ import annotations

from typing import Any

from orderbridge.connectwise.patch import custom_fields_op
from orderbridge.core.domain import Event, FieldChange
from orderbridge.rules.delivery import delivered_field_value
from orderbridge.rules.quotes import counted_lines
from orderbridge.rules.shipping import CUSTOM_FIELD_LIMIT, all_tracking_numbers, fit_list
from orderbridge.rules.situation import NOTHING, Outcome, Situation


def expected_delivery(s: Situation) -> str | None:
    """The latest EstimateDeliveryDate / EstimatedDeliveryDate over the counted lines, as an ISO date
    (a quote item its sales order replaced keeps a stale estimate, quotes.py)."""
    dates = [line.estimated_delivery_date for line in counted_lines(s.order) if line.estimated_delivery_date]
    return max(dates).isoformat() if dates else None


def _same_value(current: Any, new: str, *, is_date: bool) -> bool:
    if current == new:
        return True
    # The value format of a Date-type custom field is UNCONFIRMED (connectwise-psa.md §4.1): ConnectWise may
    # echo "2026-01-09T00:00:00Z" for the "2026-01-09" we wrote, which is the same day, not a change.
    return is_date and isinstance(current, str) and current.startswith(new)


def custom_fields_rule(s: Situation) -> Outcome:
    sync = s.ctx.sync
    delivered_field = s.ctx.carriers.delivered_field if s.ctx.carriers.enabled else ""
    if s.stale or not (sync.tracking_numbers_field or sync.expected_delivery_field or delivered_field):
        return NOTHING
    wanted: list[tuple[str, str, str, bool]] = []
    if sync.tracking_numbers_field:
        # trackingNumber holds one number in 50 characters; a PO with six cartons keeps all six here.
        numbers = fit_list(all_tracking_numbers(s.order), CUSTOM_FIELD_LIMIT)
        if numbers is not None:
            wanted.append((sync.tracking_numbers_field, "sync.tracking_numbers_field", numbers, False))
    if sync.expected_delivery_field:
        when = expected_delivery(s)
        if when is not None:
            wanted.append((sync.expected_delivery_field, "sync.expected_delivery_field", when, True))
    if delivered_field:
        # ConnectWise has no delivered-date field (DESIGN.md §2): the operator names a Text custom field.
        delivered = delivered_field_value(s)
        if delivered is not None:
            wanted.append((delivered_field, "carriers.delivered_field", delivered, False))
    updates: dict[str, str] = {}
    old: dict[str, Any] = {}
    events: list[Event] = []
    for caption, key_name, value, is_date in wanted:
        current = s.po.custom_field(caption)
        # The operator named a field that this tenant never defined for purchase orders: say how to fix it.
        if current is None:
            summary = (
                f"PO custom field '{caption}' ({key_name}) is not defined for purchase orders; "
                "add it in ConnectWise (System > Setup Tables > User Defined Fields) or clear the setting"
            )
            events.append(Event("setup_needed", summary, s.stage, f"setup_needed:{caption}", {"caption": caption}))
        elif not _same_value(current.value, value, is_date=is_date):
            updates[current.caption] = value
            old[current.caption] = current.value
    if not updates:
        return Outcome(events=tuple(events))
    array = custom_fields_op(s.po.custom_fields, updates)["value"]
    reason = "every tracking number / expected delivery date / delivered (whole customFields array)"
    return Outcome(changes=(FieldChange("customFields", old, array, reason),), events=tuple(events))
