"""Which provider follows a shipped package, or why none does: pure, from the [carriers] settings.

The carrier is the one TD SYNNEX's ship method names (`rules.carriers.claimed_carrier(code,
description)`, which the caller runs: rules/ sits above this package). It is never guessed from the
number alone; the number's format may only confirm it (`number_carriers`: the carriers whose format
the number has, `rules.carriers.number_evidence(number).shaped`, or None when not checked).

Rules, first match wins (each says which real situation it handles):
1. Tracking is off for the tenant: nothing is followed.
2. The reference matches a `[carriers.forwarders] numbers` pattern (a forwarder's house bill, a drop-ship
   reference): that row's provider, or none.
3. The ship-method code has a `[carriers.forwarders] ship_methods` row (UPSN drop-ship, an LTL code):
   that row's provider, or none.
4. The ship method names no carrier: none (we do not guess).
5. The carrier's route (`[carriers] route`, over the defaults: UPS to ups, FedEx to fedex when
   configured, else every parcel carrier to EasyPost when configured): none when there is no route,
   or the route says "none". Freight and LTL carriers have no default route, so their pro numbers
   never reach a parcel provider unless the operator routes them.
6. The number has been checked and has no format of that carrier: none (a parcel provider would only
   answer "not found" for weeks).
Otherwise the routed provider follows the package.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from orderbridge.config import CarrierSettings
from orderbridge.core.delivery import ParcelQuery

NO_PROVIDER = "none"
# Carriers with published number formats (rules/carriers.py NUMBERED_CARRIERS): only these can be
# confirmed or contradicted by the number; a freight pro number has no format to check.
FORMATTED_CARRIERS = frozenset({"ups", "fedex", "usps", "dhl", "ontrac", "amazon"})


@dataclass(frozen=True, slots=True)
class ShippedPackage:
    """One package as TD SYNNEX reported it, with what the caller knows about its carrier."""

    tracking_number: str
    carrier: str | None  # rules.carriers.claimed_carrier(ship method code, description)
    ship_method: str | None = None  # TD SYNNEX's ship-method code ("FG", "UPSN", "EXDO")
    number_carriers: frozenset[str] | None = None  # number_evidence(n).shaped; None: not checked
    provider_ref: str | None = None  # the provider's id from an earlier answer (EasyPost trk_...)


@dataclass(frozen=True, slots=True)
class Route:
    """The provider that follows a package (None: nobody does) and the plain reason, for the activity log."""

    provider: str | None
    reason: str


@dataclass
class RoutePlan:
    """Packages grouped by the provider that follows them, and the ones nobody follows, with why."""

    queries: dict[str, list[ParcelQuery]] = field(default_factory=dict)
    unfollowed: dict[str, str] = field(default_factory=dict)  # tracking number -> reason


class CarrierRoutes:
    """The routing rules of one tenant's [carriers] settings, compiled once."""

    def __init__(self, settings: CarrierSettings) -> None:
        self._enabled = settings.enabled
        self._configured = frozenset(settings.configured_providers())
        self._routes = settings.routes()
        self._methods = dict(settings.forwarders.ship_methods)
        self._patterns = [(re.compile(p), p, provider) for p, provider in settings.forwarders.numbers.items()]

    def route(self, package: ShippedPackage) -> Route:
        number = package.tracking_number.strip()
        if not self._enabled:
            return Route(None, "carrier tracking is off ([carriers] enabled = false)")
        if not number:
            return Route(None, "the package has no tracking number")
        for pattern, text, provider in self._patterns:
            if pattern.fullmatch(number):
                why = (
                    f"{number} matches [carriers.forwarders] numbers {text!r}, a reference that is not a parcel number"
                )
                return self._chosen(provider, why)
        code = (package.ship_method or "").strip().upper()
        if code in self._methods:
            why = f"ship method {code} is listed in [carriers.forwarders] ship_methods"
            return self._chosen(self._methods[code], why)
        carrier = (package.carrier or "").strip()
        if not carrier:
            shown = f"ship method {code}" if code else "the ship method"
            return Route(None, f"{shown} names no carrier, and orderbridge does not guess one from the number")
        routed = self._routes.get(carrier.casefold())
        if routed is None:
            return Route(None, f"no provider follows {carrier} (not a parcel carrier with a [carriers] route)")
        provider = routed
        if provider == NO_PROVIDER:
            return Route(None, f"[carriers] route sets {carrier} to none")
        known = package.number_carriers
        checkable = known is not None and carrier.casefold() in FORMATTED_CARRIERS
        if checkable and carrier.casefold() not in {name.casefold() for name in known or ()}:
            looks = f"looks like {' or '.join(sorted(known or ()))}" if known else "matches no parcel format"
            return Route(None, f"{number} {looks}, not {carrier}; not sent to {provider}")
        return self._chosen(provider, f"{carrier} is followed by {provider}")

    def _chosen(self, provider: str, why: str) -> Route:
        if provider == NO_PROVIDER:
            return Route(None, f"{why}; no provider follows it")
        if provider not in self._configured:
            return Route(None, f"{why}, but {provider} is not configured")
        return Route(provider, why)

    def plan(self, packages: Iterable[ShippedPackage]) -> RoutePlan:
        """Each distinct number once: the queries per provider, and the reasons for the rest."""
        plan = RoutePlan()
        seen: set[str] = set()
        for package in packages:
            number = package.tracking_number.strip()
            if number in seen:
                continue
            seen.add(number)
            route = self.route(package)
            if route.provider is None:
                plan.unfollowed[number or "(none)"] = route.reason
            else:
                query = ParcelQuery(number, package.carrier or "", package.provider_ref)
                plan.queries.setdefault(route.provider, []).append(query)
        return plan


def routes_for(settings: CarrierSettings, packages: Collection[ShippedPackage]) -> RoutePlan:
    return CarrierRoutes(settings).plan(packages)
