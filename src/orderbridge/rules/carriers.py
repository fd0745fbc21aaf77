"""Which carrier shipped a package: the SYNNEX ship-method code table, the description, and the number itself.

Separate from `shipping.py` because carrier identity is decided from two independent witnesses that can
disagree: what TD SYNNEX says the ship method was, and what the tracking number's format says. The planner
writes a shipment method only when they agree; otherwise it reports the case verbatim and never guesses.

Tracking-number formats come from the `tracking-numbers` package (PyPI, MIT, no dependencies, no network):
it is generated from the public `tracking_number_data` rules (regexes + check-digit algorithms for FedEx, UPS,
USPS, DHL, OnTrac, Amazon, S10), so we keep no hand-written regexes that drift from what carriers publish.
It was the only maintained PyPI package implementing those shared rules; its last release is from 2022, and
the rules change rarely. Without it installed the code table alone decides (a degraded, documented mode).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from orderbridge.core.domain import DistributorLine, Event, ShipmentMethod, Stage

try:  # an optional witness: without it the code table alone decides (see the module docstring)
    import tracking_numbers as _numbers  # type: ignore[import-untyped,unused-ignore]

    _DEFINITIONS: tuple[Any, ...] = tuple(_numbers.DEFINITIONS)
except ImportError:  # pragma: no cover - exercised only where the package is missing
    _DEFINITIONS = ()

NUMBER_RULES_AVAILABLE = bool(_DEFINITIONS)

# SYNNEX ship-method code -> (carrier, service), from Appendix B of the PO spec (td-synnex.md §6.1 [S2]).
# Codes that name no carrier (DSV direct ship, HS hold ship, WHS, RI, NL "Hold Order") are left out on
# purpose, and so is UPSN: it is not in Appendix B and its drop-ship "tracking" numbers match no UPS
# format (td-synnex.md §1.6, §7.16), so tying them to a UPS tracking URL would mislead. UNCONFIRMED.
# FXLE/FXLP are "FedEx Freight": LTL pro numbers, which no parcel format can confirm or contradict.
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
    "FXLE": ("FedEx Freight", "FedEx Freight Economy"),
    "FXLP": ("FedEx Freight", "FedEx Freight Priority"),
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
# Parcel carriers whose numbers have public formats (the package's couriers, in our spelling). Freight and
# LTL carriers are absent on purpose: their pro numbers have no public format, and a 10-digit pro number
# passes DHL's 10-digit check one time in seven, so a number can never contradict a freight ship method.
_COURIERS = {"fedex": "FedEx", "ups": "UPS", "usps": "USPS", "dhl": "DHL", "ontrac": "OnTrac", "amazon": "Amazon"}
NUMBERED_CARRIERS = frozenset(_COURIERS.values())
# Carrier words in a free-text description ("UPS(GROUND)- CVS.COM"), for codes outside Appendix B.
_DESCRIPTION_WORDS = {"fedex": "FedEx", "ups": "UPS", "usps": "USPS", "dhl": "DHL", "purolator": "Purolator"}
_PLACEHOLDER = re.compile(r"\{n\}|\{trackingnumber\}|\[trackingnumber\]", re.IGNORECASE)


@dataclass(frozen=True)
class NumberEvidence:
    """What a tracking number's format says: carriers whose pattern it has, and those whose check digit passes."""

    shaped: frozenset[str] = frozenset()
    valid: frozenset[str] = frozenset()
    url: str | None = None


@dataclass(frozen=True)
class CarrierVerdict:
    """The tenant shipment method to write, or why none is written (quoted in an "unknown_carrier" event)."""

    method: ShipmentMethod | None
    carrier: str | None
    problem: str | None = None
    number: str | None = None
    contradicted: bool = False  # the witnesses disagree: no tracking link either, never a wrong one


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def claimed_carrier(code: str | None, description: str | None) -> tuple[str | None, str | None]:
    """(carrier, conflict): the carrier the ship method names, or a message when code and description differ."""
    entry = CARRIER_SERVICES.get((code or "").strip().upper())
    words = re.split(r"[^a-z0-9]+", (description or "").casefold())
    described = next((_DESCRIPTION_WORDS[w] for w in words if w in _DESCRIPTION_WORDS), None)
    if entry is None:
        return described, None
    if described is not None and not entry[0].startswith(described):
        return None, f"code {code} means {entry[0]} but the description names {described}"
    return entry[0], None


def number_evidence(number: str) -> NumberEvidence:
    shaped: set[str] = set()
    valid: set[str] = set()
    url = None
    for definition in _DEFINITIONS:
        carrier = _COURIERS.get(str(definition.courier.code))
        found = definition.test(number) if carrier else None
        if found is None or carrier is None:
            continue
        shaped.add(carrier)
        if found.valid:
            valid.add(carrier)
            url = url or found.tracking_url
    return NumberEvidence(frozenset(shaped), frozenset(valid), url)


def _disagreement(carrier: str, number: str) -> str | None:
    if not NUMBER_RULES_AVAILABLE or carrier not in NUMBERED_CARRIERS:
        return None
    evidence = number_evidence(number)
    # Shape, not check digit: a transposed digit in TD SYNNEX's data is still that carrier's number, while a
    # drop-ship reference like H320463803 under a UPS description has no UPS shape at all (td-synnex.md §6.3).
    if carrier in evidence.shaped:
        return None
    others = sorted(evidence.valid or evidence.shaped)
    if others:
        return f"the number looks like {' or '.join(others)}, not {carrier}"
    return f"the number matches no {carrier} format (nor any other parcel format)"


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


def resolve_shipment_method(
    code: str | None, description: str | None, numbers: Sequence[str], methods: Sequence[ShipmentMethod]
) -> CarrierVerdict:
    """The method to write only when ship method and every tracking number agree on the carrier."""
    carrier, conflict = claimed_carrier(code, description)
    latest = numbers[-1] if numbers else None
    if conflict is not None:
        return CarrierVerdict(None, None, conflict, latest, contradicted=True)
    for number in numbers if carrier else ():
        problem = _disagreement(carrier or "", number)
        if problem is not None:
            return CarrierVerdict(None, carrier, problem, number, contradicted=True)
    method = match_shipment_method(code, description, methods)
    if method is None:
        return CarrierVerdict(None, carrier, "matches no ConnectWise shipment method", latest)
    return CarrierVerdict(method, carrier, None, latest)


def tracking_link(number: str, method: ShipmentMethod | None, carrier: str | None = None) -> str | None:
    """The tenant's tracking URL for this number, else the public one for a number proven to be that carrier's.

    The placeholder syntax of ConnectWise's `trackingUrl` is UNCONFIRMED: `{n}`, `{trackingNumber}` and
    `[TrackingNumber]` are replaced (any case); a template with none of them gets the number appended.
    """
    template = method.tracking_url if method else None
    encoded = quote(number, safe="")
    if template:
        if _PLACEHOLDER.search(template):
            return _PLACEHOLDER.sub(lambda _: encoded, template)
        return template + encoded
    if carrier is None or not NUMBER_RULES_AVAILABLE:
        return None
    evidence = number_evidence(number)
    return evidence.url if carrier in evidence.valid and evidence.valid == {carrier} else None


def unknown_carrier_event(line: DistributorLine, verdict: CarrierVerdict, stage: Stage) -> Event:
    """Quote code, description and number verbatim; once per ship method per PO, not per carton.

    The key is the phase-1 one (`unknown_carrier:<code or description>`), so stores that already hold it
    do not announce the same drop-ship PO again.
    """
    code, description = line.ship_method or "", line.ship_method_description or ""
    number = f"tracking number {verdict.number}" if verdict.number else "no tracking number"
    summary = f"Ship method '{code}' ('{description}') with {number}: {verdict.problem}; shipment method not written"
    details = {"code": line.ship_method, "description": line.ship_method_description, "tracking_number": verdict.number}
    return Event("unknown_carrier", summary, stage, f"unknown_carrier:{code or description}", details)
