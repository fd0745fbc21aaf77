"""What a TD SYNNEX shipment looks like in ConnectWise terms: carrier, tracking number, ship date, sales orders.

Separate from the planner because the carrier table and the "which package is the latest" rules are
facts about TD SYNNEX data, and the line-level planner of a later issue needs the same answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from orderbridge.domain import DistributorLine, DistributorOrder, ShipmentMethod
from orderbridge.sync.stages import SHIPPED_CODES

# ConnectWise trackingNumber / vendorOrderNumber / vendorInvoiceNumber: "Max length: 50" (connectwise-psa.md §3.2).
CW_TEXT_LIMIT = 50

# SYNNEX ship-method code -> (carrier, service), from Appendix B of the PO spec (td-synnex.md §6.1 [S2]).
# Codes that name no carrier (DSV direct ship, HS hold ship, WHS, RI, NL "Hold Order") are left out on
# purpose, and so is UPSN: it is not in Appendix B and its drop-ship "tracking" numbers match no UPS
# format (td-synnex.md §1.6, §7.16), so tying them to a UPS tracking URL would mislead. UNCONFIRMED.
CARRIER_SERVICES: dict[str, tuple[str, str]] = {
    "FG": ("FedEx", "FedEx Ground"),
    "FHD": ("FedEx", "FedEx Home Delivery"),
    "FX": ("FedEx", "FedEx Express Saver"),
    "F2": ("FedEx", "FedEx 2Day"),
    "FO": ("FedEx", "FedEx Standard Overnight"),
    "FP": ("FedEx", "FedEx Priority Overnight"),
    "FS": ("FedEx", "FedEx Saturday"),
    "FI": ("FedEx", "FedEx International"),
    "FPI": ("FedEx", "FedEx International Priority"),
    "FXIN": ("FedEx", "FedEx International"),
    "FXLE": ("FedEx", "FedEx Freight Economy"),
    "FXLP": ("FedEx", "FedEx Freight Priority"),
    "FDXH": ("FedEx", "FedEx Express"),
    "UP": ("UPS", "UPS Ground"),
    "UR": ("UPS", "UPS Next Day Air"),
    "URS": ("UPS", "UPS Next Day Air Saver"),
    "UB": ("UPS", "UPS 2nd Day Air"),
    "U3": ("UPS", "UPS 3 Day Select"),
    "US": ("UPS", "UPS Saturday"),
    "UPSA": ("UPS", "UPS Standard"),
    "UPG": ("UPS", "UPS Standard"),
    "UPX": ("UPS", "UPS Express Saver"),
    "UPSS": ("UPS", "UPS Express Saver"),
    "DH": ("DHL", "DHL"),
    "DHI": ("DHL", "DHL International"),
    "EXDO": ("Expeditors", "Expeditors LTL"),
    "CHR": ("C.H. Robinson", "C.H. Robinson"),
    "ODI": ("Old Dominion", "Old Dominion"),
    "YF": ("YRC", "YRC Freight"),
    "USH": ("USF Holland", "USF Holland"),
    "PYLE": ("A. Duie Pyle", "A. Duie Pyle"),
    "PUG": ("Purolator", "Purolator Ground"),
    "PUX": ("Purolator", "Purolator Express Ground"),
    "PUA": ("Purolator", "Purolator Express Air"),
    "CPC": ("Canada Post", "Canada Post"),
    "EDEL": ("Electronic Delivery", "Electronic Delivery"),
    "WC": ("Will Call", "Will Call"),
}


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


def shipped_lines(order: DistributorOrder) -> tuple[DistributorLine, ...]:
    return tuple(line for line in order.live_lines if line.code in SHIPPED_CODES)


def _when(line: DistributorLine) -> str:
    # Compared as UTC text so aware and naive values never meet in a comparison; undated lines sort first.
    return cw_datetime(line.ship_datetime) if line.ship_datetime else ""


def latest_shipped_line(order: DistributorOrder, *, with_tracking: bool = False) -> DistributorLine | None:
    """Latest ShipDatetime wins; on a tie the later line in document order (the most recent `<Item>`)."""
    best: DistributorLine | None = None
    for line in shipped_lines(order):
        if with_tracking and not line.tracking_numbers:
            continue
        if best is None or _when(line) >= _when(best):
            best = line
    return best


def latest_tracking_number(order: DistributorOrder) -> str | None:
    line = latest_shipped_line(order, with_tracking=True)
    return line.tracking_numbers[-1] if line else None


def latest_ship_datetime(order: DistributorOrder) -> datetime | None:
    dated = [line for line in shipped_lines(order) if line.ship_datetime]
    return max(dated, key=_when).ship_datetime if dated else None


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


def describe_ship_method(code: str | None, description: str | None) -> str:
    return description or code or "no ship method"


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def match_shipment_method(
    code: str | None, description: str | None, methods: Sequence[ShipmentMethod]
) -> ShipmentMethod | None:
    """Map a SYNNEX ship method to the tenant's table, or None. There is no universal enum [S23]: never guess."""
    by_name: dict[str, ShipmentMethod] = {}
    for method in methods:
        by_name.setdefault(_normal(method.name), method)
    # The returned description is what TD SYNNEX tells people ("FedEx Ground"); a tenant that named its
    # methods the same way gets an exact match.
    if description and _normal(description) in by_name:
        return by_name[_normal(description)]
    entry = CARRIER_SERVICES.get((code or "").strip().upper())
    if entry is None:
        return None
    carrier, service = entry
    if _normal(service) in by_name:
        return by_name[_normal(service)]
    # A tenant with one FedEx row ("FedEx", "FedEx (all services)") still gets the right tracking URL;
    # with two or more FedEx rows picking one would be a guess.
    wanted = _normal(carrier)
    candidates = [m for name, m in by_name.items() if name == wanted or _starts_word(name, wanted)]
    return candidates[0] if len(candidates) == 1 else None


def _starts_word(name: str, prefix: str) -> bool:
    return name.startswith(prefix) and not name[len(prefix)].isalnum()


def vendor_order_text(order_numbers: Sequence[str], limit: int = CW_TEXT_LIMIT) -> str | None:
    """Distinct sales orders joined by ", "; past the limit, as many as fit plus " +N more" (never silent)."""
    distinct = list(dict.fromkeys(n for n in order_numbers if n))
    if not distinct:
        return None
    joined = ", ".join(distinct)
    if len(joined) <= limit:
        return joined
    for keep in range(len(distinct) - 1, 0, -1):
        text = f"{', '.join(distinct[:keep])} +{len(distinct) - keep} more"
        if len(text) <= limit:
            return text
    return None
