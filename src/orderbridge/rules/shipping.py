"""What a TD SYNNEX shipment looks like in ConnectWise terms: tracking number, ship date, sales orders, limits.

Separate from the planner because "which package is the latest" and "how a list fits in 50 characters" are
facts about TD SYNNEX data and ConnectWise fields that the header rules and the line rules both need. Every
function takes a sequence of `<Item>`s, so one PO line's items are asked the same questions as the order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

from orderbridge.core.domain import DistributorLine, DistributorOrder, Event, Stage
from orderbridge.rules.stages import SHIPPED_CODES

# ConnectWise trackingNumber / vendorOrderNumber / vendorInvoiceNumber: "Max length: 50" (connectwise-psa.md §3.2).
CW_TEXT_LIMIT = 50
# Custom field values are stored as nvarchar(1000) (connectwise-psa.md §4.1, TRI claim, UNCONFIRMED).
CUSTOM_FIELD_LIMIT = 1000


@dataclass(frozen=True)
class Shipment:
    """Lines of one sales order that left at one moment: what a person calls "a shipment"."""

    order_number: str | None
    ship_datetime: datetime | None
    lines: tuple[DistributorLine, ...]
    tracking_numbers: tuple[str, ...]

    @property
    def key(self) -> str:
        when = cw_datetime(self.ship_datetime) if self.ship_datetime else ""
        return f"shipment:{self.order_number or ''}|{','.join(self.tracking_numbers)}|{when}"


def cw_datetime(value: datetime) -> str:
    """ConnectWise date-time text in UTC. The codec attaches TD SYNNEX's zone; a naive value is taken as UTC."""
    aware = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.strftime("%Y-%m-%dT%H:%M:%SZ")


def local_date(value: datetime, zone: tzinfo) -> date:
    """The calendar day of `value` in `zone` (TD SYNNEX's); a naive value is taken as UTC, as above."""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(zone).date()


def cw_date(value: date) -> str:
    """A TD SYNNEX calendar date (ETA, invoice date) as a ConnectWise date-time: midnight UTC of that day."""
    return f"{value.isoformat()}T00:00:00Z"


def shipped_items(items: Iterable[DistributorLine]) -> tuple[DistributorLine, ...]:
    return tuple(line for line in items if line.code in SHIPPED_CODES)


def shipped_lines(order: DistributorOrder) -> tuple[DistributorLine, ...]:
    return shipped_items(order.live_lines)


def _when(line: DistributorLine) -> str:
    # Compared as UTC text so aware and naive values never meet in a comparison; undated lines sort first.
    return cw_datetime(line.ship_datetime) if line.ship_datetime else ""


def latest_item(items: Iterable[DistributorLine], *, with_tracking: bool = False) -> DistributorLine | None:
    """Latest ShipDatetime among shipped items; on a tie the later one in document order (the newest `<Item>`)."""
    best: DistributorLine | None = None
    for line in shipped_items(items):
        if with_tracking and not line.tracking_numbers:
            continue
        if best is None or _when(line) >= _when(best):
            best = line
    return best


def latest_shipped_line(order: DistributorOrder, *, with_tracking: bool = False) -> DistributorLine | None:
    return latest_item(order.live_lines, with_tracking=with_tracking)


def latest_tracking_number(order: DistributorOrder) -> str | None:
    line = latest_shipped_line(order, with_tracking=True)
    return line.tracking_numbers[-1] if line else None


def latest_ship_time(items: Iterable[DistributorLine]) -> datetime | None:
    dated = [line for line in shipped_items(items) if line.ship_datetime]
    return max(dated, key=_when).ship_datetime if dated else None


def latest_ship_datetime(order: DistributorOrder) -> datetime | None:
    return latest_ship_time(order.live_lines)


def shipments(order: DistributorOrder) -> tuple[Shipment, ...]:
    """Group shipped lines by (sales order, ship time), oldest first; one carton can serve several lines."""
    groups: dict[tuple[str, str], list[DistributorLine]] = {}
    for line in shipped_lines(order):
        groups.setdefault((line.order_number or "", _when(line)), []).append(line)
    found = [
        Shipment(
            order_number=lines[0].order_number,
            ship_datetime=lines[0].ship_datetime,
            lines=tuple(lines),
            tracking_numbers=tuple(sorted({n for line in lines for n in line.tracking_numbers})),
        )
        for lines in groups.values()
    ]
    return tuple(sorted(found, key=lambda s: cw_datetime(s.ship_datetime) if s.ship_datetime else ""))


def all_tracking_numbers(order: DistributorOrder) -> tuple[str, ...]:
    """Every tracking number of the live lines, oldest shipment first, each once (cartons serve several lines)."""
    return tuple(dict.fromkeys(n for shipment in shipments(order) for n in shipment.tracking_numbers))


def describe_ship_method(code: str | None, description: str | None) -> str:
    return description or code or "no ship method"


def fit_list(values: Sequence[str], limit: int) -> str | None:
    """Values joined by ", "; past the limit, as many as fit plus " +N more" (never silent); None if none fits."""
    if not values:
        return None
    joined = ", ".join(values)
    if len(joined) <= limit:
        return joined
    for keep in range(len(values) - 1, 0, -1):
        text = f"{', '.join(values[:keep])} +{len(values) - keep} more"
        if len(text) <= limit:
            return text
    return None


def vendor_order_text(order_numbers: Sequence[str], limit: int = CW_TEXT_LIMIT) -> str | None:
    """Distinct sales orders joined by ", "; past the limit, as many as fit plus " +N more" (never silent)."""
    return fit_list(list(dict.fromkeys(n for n in order_numbers if n)), limit)


def too_long_event(number: str, stage: Stage) -> Event:
    """LTL / forwarder references can outgrow ConnectWise's 50 characters: never truncated, never silent."""
    summary = f"Tracking number longer than {CW_TEXT_LIMIT} characters, not written (the PO note has it): {number}"
    return Event("tracking_too_long", summary, stage, f"tracking_too_long:{number}", {"tracking_number": number})
