"""Carrier-tracking providers: what EasyPost, UPS and FedEx say about a shipped package.

TD SYNNEX stops at "shipped"; these clients follow each package to "delivered". Every client offers
`CarrierProvider` (provider.py: `track(queries) -> {number: ParcelStatus | problem}`) and maps its wire
vocabulary onto core/delivery.py in its `*_map.py` module, where the mapping table is. `routing.py`
decides which provider follows a package (pure); `providers.py` builds the configured clients;
`easypost_webhook.py` checks and reads EasyPost's pushed events. Import from here.
"""

from orderbridge.carriers.easypost import EasyPostClient
from orderbridge.carriers.easypost_webhook import (
    SIGNATURE_HEADER,
    TrackerEvent,
    read_tracker_event,
    signature_for,
    signature_is_valid,
)
from orderbridge.carriers.fedex import FedExClient
from orderbridge.carriers.provider import CarrierProvider, TrackResult
from orderbridge.carriers.providers import open_providers
from orderbridge.carriers.routing import CarrierRoutes, Route, RoutePlan, ShippedPackage, routes_for
from orderbridge.carriers.ups import UPSClient

__all__ = [
    "SIGNATURE_HEADER",
    "CarrierProvider",
    "CarrierRoutes",
    "EasyPostClient",
    "FedExClient",
    "Route",
    "RoutePlan",
    "ShippedPackage",
    "TrackResult",
    "TrackerEvent",
    "UPSClient",
    "open_providers",
    "read_tracker_event",
    "routes_for",
    "signature_for",
    "signature_is_valid",
]
