"""Carrier detection: the tenant's shipment-method table, the SYNNEX code table and the tracking-number format."""

from __future__ import annotations

import pytest
import tracking_numbers  # noqa: F401  (the package the lead adds to pyproject; these tests need it)
from plan_builders import METHODS

from orderbridge.core.domain import ShipmentMethod
from orderbridge.rules.carriers import (
    NUMBER_RULES_AVAILABLE,
    claimed_carrier,
    match_shipment_method,
    number_evidence,
    resolve_shipment_method,
    tracking_link,
)

FEDEX_12 = "123456789012"  # valid FedEx Express check digit
FEDEX_GROUND = "812085413736309"  # spec example 6
UPS = "1Z999AA10123456784"
DROP_SHIP = "H320463803"  # production capture, warehouse 98, UPSN
NO_PARCEL = "nor any other parcel format"


@pytest.mark.parametrize(
    ("code", "description", "expected"),
    [
        ("FG", "FedEx Ground", 21),  # the description names a tenant method exactly
        ("FG", "  fedex   GROUND ", 21),  # spacing and case drift
        ("FP", "FEDEX PRIORITY", 22),  # description differs: the SYNNEX code table decides
        ("UR", None, 24),
        ("EXDO", "Expeditors LTL Ground", 25),
        ("ZZ", "Mystery Freight", None),  # never guess
        ("UPSN", "UPS(GROUND)- CVS.COM", None),  # drop-ship code outside Appendix B
        ("FX", "FedEx Express Saver", None),  # carrier-only fallback is ambiguous: two FedEx rows
    ],
)
def test_ship_method_maps_to_tenant_table(code: str, description: str | None, expected: int | None) -> None:
    method = match_shipment_method(code, description, METHODS)
    assert (method.id if method else None) == expected


def test_carrier_alone_matches_when_the_tenant_has_one_row_for_it() -> None:
    methods = (ShipmentMethod(1, "FedEx (all services)"), ShipmentMethod(2, "UPS Ground"), ShipmentMethod(3, "UPSX"))
    assert match_shipment_method("FX", "FedEx Express Saver", methods) == methods[0]
    # "UPSX" does not start with the word UPS, so UPS Ground is the only UPS row.
    assert match_shipment_method("UR", "UPS Next Day Air", methods) == methods[1]


def test_tenant_method_named_like_a_drop_ship_description_is_found_by_the_table() -> None:
    methods = (ShipmentMethod(7, "UPS(GROUND)- CVS.COM"),)
    assert match_shipment_method("UPSN", "UPS(GROUND)- CVS.COM", methods) == methods[0]


def test_the_number_library_is_installed_and_works_offline() -> None:
    assert NUMBER_RULES_AVAILABLE
    assert number_evidence(FEDEX_12).valid == {"FedEx"}
    assert number_evidence(UPS).valid == {"UPS"}
    assert number_evidence(DROP_SHIP).shaped == frozenset()


def test_carrier_is_read_from_code_then_description_words() -> None:
    assert claimed_carrier("FG", "FedEx Ground") == ("FedEx", None)
    assert claimed_carrier("UPSN", "UPS(GROUND)- CVS.COM") == ("UPS", None)
    assert claimed_carrier("ZZ", "Mystery Freight") == (None, None)
    carrier, conflict = claimed_carrier("FG", "UPS Ground")
    assert carrier is None and conflict == "code FG means FedEx but the description names UPS"


@pytest.mark.parametrize(
    ("code", "description", "number", "method", "problem"),
    [
        ("FG", "FedEx Ground", FEDEX_12, 21, None),
        ("FG", "FedEx Ground", FEDEX_GROUND, 21, None),
        # A transposed check digit still has FedEx's shape: a typo in ERP data, not another carrier.
        ("FG", "FedEx Ground", "123456789013", 21, None),
        ("UP", "UPS Ground", UPS, 23, None),
        ("UP", "UPS Ground", FEDEX_12, None, "the number looks like FedEx, not UPS"),
        ("FG", "FedEx Ground", UPS, None, "the number looks like UPS, not FedEx"),
        # Production drop-ship: a UPS description over a vendor reference that is no UPS number at all.
        ("UPSN", "UPS(GROUND)- CVS.COM", DROP_SHIP, None, f"the number matches no UPS format ({NO_PARCEL})"),
        # LTL pro numbers have no public format, so they can neither confirm nor contradict a freight code.
        ("EXDO", "Expeditors LTL Ground", "0123456789", 25, None),
        ("ZZ", "Mystery Freight", FEDEX_12, None, "matches no ConnectWise shipment method"),
        ("FG", "UPS Ground", FEDEX_12, None, "code FG means FedEx but the description names UPS"),
    ],
)
def test_method_is_written_only_when_ship_method_and_number_agree(
    code: str, description: str, number: str, method: int | None, problem: str | None
) -> None:
    verdict = resolve_shipment_method(code, description, (number,), METHODS)
    assert (verdict.method.id if verdict.method else None) == method
    assert verdict.problem == problem
    if method is None:
        assert verdict.number == number


def test_tenant_method_named_like_the_drop_ship_description_is_still_refused_for_a_non_ups_number() -> None:
    methods = (ShipmentMethod(7, "UPS(GROUND)- CVS.COM"),)
    verdict = resolve_shipment_method("UPSN", "UPS(GROUND)- CVS.COM", (DROP_SHIP,), methods)
    assert verdict.method is None and verdict.contradicted


def test_every_number_of_the_line_must_agree() -> None:
    verdict = resolve_shipment_method("FG", "FedEx Ground", (FEDEX_12, UPS), METHODS)
    assert verdict.method is None and verdict.number == UPS


def test_no_number_yet_lets_the_ship_method_decide() -> None:
    assert resolve_shipment_method("UP", "UPS Ground", (), METHODS).method == METHODS[2]


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("https://t.example/track?n={n}", "https://t.example/track?n=AB 1"),
        ("https://t.example/track?n={TrackingNumber}", "https://t.example/track?n=AB 1"),
        ("https://t.example/track?n=[trackingnumber]", "https://t.example/track?n=AB 1"),
        ("https://t.example/track?n=[TRACKINGNUMBER]&x=1", "https://t.example/track?n=AB 1&x=1"),
        ("https://t.example/track?n=", "https://t.example/track?n=AB 1"),
    ],
)
def test_tracking_url_templates_in_every_placeholder_syntax(template: str, expected: str) -> None:
    link = tracking_link("AB 1", ShipmentMethod(1, "X", template))
    assert link == expected.replace("AB 1", "AB%201")


def test_without_a_tenant_template_only_a_proven_number_gets_the_public_link() -> None:
    link = tracking_link(FEDEX_12, None, "FedEx")
    assert link is not None and FEDEX_12 in link and "fedex.com" in link
    assert tracking_link(FEDEX_12, None, "UPS") is None
    assert tracking_link(DROP_SHIP, None, "UPS") is None
    assert tracking_link(FEDEX_12, None, None) is None
