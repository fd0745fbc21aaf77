"""What a carrier says about one package, in one vocabulary for every provider (EasyPost, UPS, FedEx).

TD SYNNEX stops at "shipped"; these types carry the rest of a package's journey from a carrier-tracking
provider to the planner, the store and the operator's view. Each provider client (carriers/) maps its
own statuses onto `ParcelState` and documents that mapping; nothing outside the clients ever sees a
provider's wire vocabulary.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime


class ParcelState(enum.StrEnum):
    """A package's state, normalised. `rank` orders them for "which signal wins" when several coexist."""

    UNKNOWN = "unknown"  # the carrier does not know the number (yet), or said nothing usable
    LABEL_CREATED = "label_created"  # a label exists; the carrier has not scanned the package
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    FAILED_ATTEMPT = "failed_attempt"  # a delivery was attempted and did not happen; another may follow
    EXCEPTION = "exception"  # damaged, lost, held, cancelled: a person should look
    RETURNED_TO_SENDER = "returned_to_sender"
    DELIVERED = "delivered"

    @property
    def final(self) -> bool:
        """No further polling changes the story: delivered, or back with the sender."""
        return self in (ParcelState.DELIVERED, ParcelState.RETURNED_TO_SENDER)


@dataclass(frozen=True, slots=True)
class ScanEvent:
    """One carrier scan, as the provider reported it (times in UTC)."""

    at: datetime
    state: ParcelState
    description: str
    location: str | None = None
    code: str | None = None  # the carrier's own event code, kept for people who know it


@dataclass(frozen=True, slots=True)
class ParcelStatus:
    """Everything a provider told us about one tracking number at one moment."""

    tracking_number: str
    carrier: str  # "UPS", "FedEx", "USPS", "DHL", ... as orderbridge names carriers (rules/carriers.py)
    provider: str  # "easypost", "ups", "fedex"
    state: ParcelState
    estimated_delivery: date | None = None  # the carrier's current estimate, in the destination's calendar
    delivered_at: datetime | None = None
    signed_by: str | None = None
    delivered_elsewhere: bool = False  # delivered to a different address, an access point or a neighbour
    delivered_to: str | None = None  # where, when the carrier says (city/state or an access point name)
    events: tuple[ScanEvent, ...] = ()  # oldest first
    provider_ref: str | None = None  # the provider's own id for this package (EasyPost "trk_...")
    # False: the provider does not know the number (yet); state is UNKNOWN. Separate from UNKNOWN, which
    # also covers a known package whose latest status is outside the mapping (its raw code is in events).
    found: bool = True
    # Waiting at a carrier location or access point for the recipient to collect (UPS 017/040/144, FedEx
    # HL/HP, EasyPost available_for_pickup); state is OUT_FOR_DELIVERY, since nobody has it yet.
    awaiting_pickup: bool = False

    @property
    def last_scan_at(self) -> datetime | None:
        return self.events[-1].at if self.events else None


@dataclass(frozen=True, slots=True)
class ParcelQuery:
    """A package to ask a provider about: the number, the carrier TD SYNNEX's ship method names, and the
    provider's own id when an earlier call returned one (EasyPost trackers are created once, then read)."""

    tracking_number: str
    carrier: str
    provider_ref: str | None = None
