"""The "Packages" section of a PO's page: each shipped package as the carriers told it (store/parcels.py).

Per package: carrier, tracking number (linked to the carrier's tracking page), state, the carrier's
estimate and TD SYNNEX's, delivered time and signer, who follows it (or why nobody does), and the scans,
newest first. Kept apart from orders.py and rendered by its own template (packages.html, included by
timeline.html), so other sections of the PO page change without touching it. Everything shown is the
carriers' or TD SYNNEX's text: the template escapes it like every page (autoescape), and a link is only
ever http(s).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from orderbridge.core.delivery import ParcelState, ScanEvent, TrackedParcel
from orderbridge.rules.carriers import tracking_link
from orderbridge.store import Store
from orderbridge.store.parcels import load_parcels
from orderbridge.web.rendering import web_url

STATE_LABELS: Mapping[ParcelState, str] = {
    ParcelState.UNKNOWN: "Not known to the carrier yet",
    ParcelState.LABEL_CREATED: "Label created",
    ParcelState.IN_TRANSIT: "In transit",
    ParcelState.OUT_FOR_DELIVERY: "Out for delivery",
    ParcelState.FAILED_ATTEMPT: "Delivery attempt failed",
    ParcelState.EXCEPTION: "Carrier exception",
    ParcelState.RETURNED_TO_SENDER: "Returned to sender",
    ParcelState.DELIVERED: "Delivered",
}
STOPPED = {"budget": "call budget spent", "no_scan": "no carrier scan for too long", "final": ""}
PROVIDERS = {"easypost": "EasyPost", "ups": "UPS", "fedex": "FedEx"}


@dataclass(frozen=True)
class PackageView:
    number: str
    url: str | None
    carrier: str | None
    state: str  # a label for people
    css: str  # "ok", "warn", "alert" or "" for the badge
    estimate: date | None
    first_estimate: date | None
    tds_estimate: date | None
    delivered_at: datetime | None
    signed_by: str | None
    delivered_to: str | None
    delivered_elsewhere: bool
    shipped_at: datetime | None
    followed_by: str  # "FedEx", or why nobody follows it
    problem: str | None
    scans: Sequence[ScanEvent]  # newest first


def _css(parcel: TrackedParcel) -> str:
    if parcel.delivered:
        return "warn" if parcel.delivered_elsewhere else "ok"
    if parcel.state in (ParcelState.EXCEPTION, ParcelState.FAILED_ATTEMPT, ParcelState.RETURNED_TO_SENDER):
        return "alert"
    return ""


def _followed_by(parcel: TrackedParcel) -> str:
    if parcel.provider is None:
        return f"nobody: {parcel.route_reason}" if parcel.route_reason else "nobody"
    name = PROVIDERS.get(parcel.provider, parcel.provider)
    stopped = STOPPED.get(parcel.stopped or "", parcel.stopped or "")
    return f"{name} (stopped: {stopped})" if stopped else name


def package_view(parcel: TrackedParcel, urls: Mapping[str, str | None]) -> PackageView:
    """One package for the page; `urls` are the PO's tracking links from its facts (the tenant's templates)."""
    url = web_url(urls.get(parcel.tracking_number)) or web_url(
        tracking_link(parcel.tracking_number, None, parcel.carrier)
    )
    return PackageView(
        number=parcel.tracking_number,
        url=url,
        carrier=parcel.carrier,
        state=STATE_LABELS.get(parcel.state, parcel.state.value)
        + (" (waiting for pickup)" if parcel.awaiting_pickup else ""),
        css=_css(parcel),
        estimate=parcel.estimate,
        first_estimate=parcel.first_estimate,
        tds_estimate=parcel.tds_estimate,
        delivered_at=parcel.delivered_at,
        signed_by=parcel.signed_by,
        delivered_to=parcel.delivered_to,
        delivered_elsewhere=parcel.delivered_elsewhere,
        shipped_at=parcel.shipped_at,
        followed_by=_followed_by(parcel),
        problem=parcel.problem,
        scans=tuple(reversed(parcel.events)),
    )


def po_packages(store: Store, tenant: str, po_id: int, urls: Mapping[str, str | None]) -> list[PackageView]:
    """The PO's packages, oldest shipment first; empty when carrier tracking never saw one."""
    return [package_view(parcel, urls) for parcel in load_parcels(store, tenant, [po_id]).get(po_id, ())]
