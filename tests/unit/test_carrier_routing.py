"""Which provider follows a package (carriers/routing.py), with the carrier from TD SYNNEX's ship method.

What is protected: the carrier comes from the ship method (rules.carriers.claimed_carrier), never from
the number alone; LTL, freight and forwarder references never reach a parcel provider unless the
carrier map names one, and always come back with a plain reason; the default route sends every parcel
carrier to EasyPost when it is the only provider, and UPS/FedEx to their own APIs when configured.
"""

from __future__ import annotations

import string
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orderbridge.carriers.routing import CarrierRoutes, ShippedPackage
from orderbridge.config import CarrierSettings
from orderbridge.rules.carriers import claimed_carrier, number_evidence

EASYPOST_ONLY: dict[str, Any] = {"enabled": True, "easypost": {"api_key": "EZAKunit-test-key-000000"}}
ALL_THREE: dict[str, Any] = {
    **EASYPOST_ONLY,
    "ups": {"client_id": "u", "client_secret": "ups-secret-unit-1"},
    "fedex": {"client_id": "f", "client_secret": "fedex-secret-unit-1"},
}
UPS, FEDEX_GROUND, USPS, DHL = "1Z999AA10123456784", "812085413736309", "9400110898825022579493", "3318810025"


def package(number: str, code: str | None, description: str | None = None, *, check: bool = True) -> ShippedPackage:
    """As the pipeline builds it: the carrier from TD SYNNEX's ship method, the number's format as evidence."""
    carrier, _conflict = claimed_carrier(code, description)
    evidence = number_evidence(number).shaped if check else None
    return ShippedPackage(number, carrier, code, evidence)


def routes(**tables: Any) -> CarrierRoutes:
    return CarrierRoutes(CarrierSettings(**tables))


@pytest.mark.parametrize(
    ("tables", "number", "code", "expected"),
    [
        (EASYPOST_ONLY, UPS, "UP", "easypost"),
        (EASYPOST_ONLY, FEDEX_GROUND, "FG", "easypost"),
        (ALL_THREE, UPS, "UR", "ups"),
        (ALL_THREE, FEDEX_GROUND, "FG", "fedex"),
        ({**ALL_THREE, "route": {"FedEx": "easypost"}}, FEDEX_GROUND, "FG", "easypost"),
        ({**ALL_THREE, "route": {"ups": "none"}}, UPS, "UP", None),  # carrier names match without case
        (ALL_THREE, DHL, "DH", "easypost"),
    ],
)
def test_parcel_carriers_go_to_their_provider(
    tables: dict[str, Any], number: str, code: str, expected: str | None
) -> None:
    assert routes(**tables).route(package(number, code)).provider == expected


def test_usps_goes_to_easypost_by_default_or_nowhere_without_it() -> None:
    usps = ShippedPackage(USPS, "USPS", None, frozenset({"USPS"}))
    assert routes(**ALL_THREE).route(usps).provider == "easypost"
    ups_only = {"enabled": True, "ups": {"client_id": "u", "client_secret": "ups-secret-unit-1"}}
    route = routes(**ups_only).route(usps)
    assert route.provider is None and "no provider follows USPS" in route.reason


@pytest.mark.parametrize(
    ("number", "code", "description", "words"),
    [
        ("H320463803", "UPSN", "UPS(GROUND)- CVS.COM", "matches [carriers.forwarders] numbers"),  # drop-ship
        ("H320463803", None, None, "matches [carriers.forwarders] numbers"),
        ("0123456789", "UPSN", "UPS(GROUND)- CVS.COM", "ship method UPSN is listed"),
        ("0123456789", "EXDO", "Expeditors LTL Ground", "no provider follows Expeditors"),
        ("0123456789", "FXLE", "FedEx Freight Economy", "no provider follows FedEx Freight"),
        ("0123456789", "ZZ", "Mystery Freight", "names no carrier"),
        ("0123456789", None, None, "names no carrier"),
    ],
)
def test_freight_and_forwarder_references_never_reach_a_parcel_provider(
    number: str, code: str | None, description: str | None, words: str
) -> None:
    route = routes(**ALL_THREE).route(package(number, code, description))
    assert route.provider is None and words in route.reason


def test_the_carrier_map_can_follow_a_freight_carrier_on_purpose() -> None:
    tables = {**ALL_THREE, "route": {"FedEx Freight": "fedex"}, "forwarders": {"ship_methods": {"EXDO": "easypost"}}}
    assert routes(**tables).route(package("0123456789", "FXLE", check=False)).provider == "fedex"
    assert routes(**tables).route(package("0123456789", "EXDO", check=False)).provider == "easypost"


def test_a_number_that_contradicts_the_ship_method_is_not_sent() -> None:
    route = routes(**ALL_THREE).route(package(FEDEX_GROUND, "UP", "UPS Ground"))
    assert route.provider is None and "not UPS" in route.reason and "ups" in route.reason
    unchecked = routes(**ALL_THREE).route(package(FEDEX_GROUND, "UP", "UPS Ground", check=False))
    assert unchecked.provider == "ups"  # without evidence the ship method alone decides


def test_nothing_is_followed_when_tracking_is_off() -> None:
    route = routes(easypost=EASYPOST_ONLY["easypost"]).route(package(UPS, "UP"))
    assert route.provider is None and "enabled = false" in route.reason


def test_the_plan_groups_queries_and_keeps_each_number_once() -> None:
    plan = routes(**ALL_THREE).plan(
        [
            package(UPS, "UP"),
            package(UPS, "UP"),  # two lines share a carton
            package(FEDEX_GROUND, "FG"),
            package("H320463803", "UPSN", "UPS(GROUND)- CVS.COM"),
            ShippedPackage("", "UPS"),
        ]
    )
    assert {name: [q.tracking_number for q in queries] for name, queries in plan.queries.items()} == {
        "ups": [UPS],
        "fedex": [FEDEX_GROUND],
    }
    assert plan.queries["ups"][0].carrier == "UPS"
    assert set(plan.unfollowed) == {"H320463803", "(none)"}


NUMBERS = st.text(string.ascii_uppercase + string.digits, min_size=1, max_size=22)
CARRIERS = st.sampled_from([None, "UPS", "FedEx", "USPS", "DHL", "FedEx Freight", "Expeditors", "OnTrac"])
CODES = st.sampled_from([None, "UP", "FG", "UPSN", "EXDO", "FXLE", "DH", "ZZ"])
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(NUMBERS, CARRIERS, CODES, st.none() | st.frozensets(st.sampled_from(["UPS", "FedEx", "USPS", "DHL"])))
def test_every_package_gets_a_configured_provider_or_a_reason(
    number: str, carrier: str | None, code: str | None, evidence: frozenset[str] | None
) -> None:
    route = routes(**ALL_THREE).route(ShippedPackage(number, carrier, code, evidence))
    assert route.provider in (None, "easypost", "ups", "fedex")
    assert route.reason
    if route.provider is not None:
        assert carrier in ("UPS", "FedEx", "USPS", "DHL")  # only parcel carriers, by default
        assert code != "UPSN" and not number.startswith("H320")


@PROPERTY
@given(st.text(string.digits, min_size=1, max_size=12), CARRIERS, CODES)
def test_a_forwarder_reference_is_never_routed_whatever_the_carrier(
    digits: str, carrier: str | None, code: str | None
) -> None:
    route = routes(**ALL_THREE).route(ShippedPackage("H320" + digits, carrier, code))
    assert route.provider is None
