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


SCAN_EVENTS_KEPT = 25  # the newest scans kept per parcel: the story a person reads, bounded

# Why a parcel is no longer polled (TrackedParcel.stopped); None while polling goes on.
STOPPED_FINAL = "final"  # delivered or back with the sender: nothing more to learn
STOPPED_BUDGET = "budget"  # the per-package call budget ([carriers] calls_per_package) is spent
STOPPED_NO_SCAN = "no_scan"  # no carrier scan for [carriers] give_up_days


@dataclass(frozen=True, slots=True)
class TrackedParcel:
    """One shipped package of one PO as orderbridge follows it: what TD SYNNEX said when it shipped, which
    provider follows it (None: nobody can, `route_reason` says why), and the latest a carrier told us.

    Keyed by (tenant, po_id, tracking_number): a carton serving two POs is followed once per PO, so each
    PO's story stays its own. `lines` are the PO line numbers the carton carries (TD SYNNEX echoes the
    reseller's line numbers). `events` are the newest scans, oldest first, bounded by the store.
    """

    tenant: str
    po_id: int
    tracking_number: str
    carrier: str | None
    provider: str | None
    route_reason: str
    registered_at: datetime
    lines: tuple[int, ...] = ()
    sales_order: str | None = None
    ship_method: str | None = None  # TD SYNNEX's code ("FG"), for reports by ship method
    shipped_at: datetime | None = None
    tds_estimate: date | None = None  # TD SYNNEX's EstimatedDeliveryDate for the carton's lines, if any
    state: ParcelState = ParcelState.UNKNOWN
    found: bool = False  # a provider has answered for this number at least once
    first_estimate: date | None = None  # the carrier's first estimate: what "slipped" and "on time" compare to
    estimate: date | None = None  # the carrier's current estimate
    delivered_at: datetime | None = None
    signed_by: str | None = None
    delivered_elsewhere: bool = False
    delivered_to: str | None = None
    awaiting_pickup: bool = False
    last_scan_at: datetime | None = None
    events: tuple[ScanEvent, ...] = ()
    provider_ref: str | None = None
    polls: int = 0  # provider answers asked for this package (each is one call, or a share of a FedEx batch)
    last_polled_at: datetime | None = None
    next_poll_at: datetime | None = None  # None: not polled any more (see `stopped`)
    stopped: str | None = None  # STOPPED_* once polling ended
    problem: str | None = None  # the provider's last word on this package when it was not a status
    updated_at: datetime | None = None

    @property
    def trackable(self) -> bool:
        """A provider follows it and has not given up: the carrier's word decides when it is delivered."""
        return self.provider is not None and self.stopped not in (STOPPED_BUDGET, STOPPED_NO_SCAN)

    @property
    def delivered(self) -> bool:
        return self.state is ParcelState.DELIVERED
