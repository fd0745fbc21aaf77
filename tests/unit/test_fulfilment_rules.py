"""rules/fulfilment.py, pure: when a line is received, when the coordination ticket is due, which serials
need a configuration; tables for the cases people name, properties for the rest."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from plan_builders import NOW, cw_line, item, order, po

from orderbridge.config import FulfilmentSettings
from orderbridge.config.fulfilment import po_link
from orderbridge.core.delivery import ParcelState, TrackedParcel
from orderbridge.core.domain import Invoice, InvoiceLine, Package, PurchaseOrder, Reference
from orderbridge.rules import fulfilment as rules

A, B = "797615467620", "1Z1442YY7229014688"


def parcel(number: str, delivered: bool, *, at_hours: int = 0) -> TrackedParcel:
    return TrackedParcel(
        tenant="default",
        po_id=501,
        tracking_number=number,
        carrier="FedEx",
        provider="fedex",
        route_reason="",
        registered_at=NOW,
        state=ParcelState.DELIVERED if delivered else ParcelState.IN_TRANSIT,
        delivered_at=NOW + timedelta(hours=at_hours) if delivered else None,
    )


def shipped(n: int, numbers: tuple[str, ...], quantity: int = 2, shipped_quantity: int | None = None) -> Any:
    return item(n, "shipped", shipped_at=NOW, tracking=numbers, quantity=quantity, shipped_quantity=shipped_quantity)


@pytest.mark.parametrize(
    ("numbers", "delivered", "ordered", "shipped_quantity", "received"),
    [
        ((A,), {A}, 2, 2, True),
        ((A, B), {A}, 2, 2, False),  # one of the line's two packages still travelling
        ((A, B), {A, B}, 2, 2, True),
        ((A,), set(), 2, 2, False),
        ((A,), {A}, 2, 1, False),  # shipped short: a person receives it (partial statuses clone/cancel)
        ((), set(), 2, 2, False),  # nothing with a tracking number: no carrier can confirm
    ],
)
def test_a_line_is_received_only_when_every_package_carrying_it_is_delivered(
    numbers: tuple[str, ...], delivered: set[str], ordered: int, shipped_quantity: int, received: bool
) -> None:
    purchase = po(lines=(cw_line(1, quantity=float(ordered)),), drop_ship=True)
    answer = order(shipped(1, numbers, quantity=ordered, shipped_quantity=shipped_quantity), code="shipped")
    parcels = [parcel(n, n in delivered, at_hours=i) for i, n in enumerate(numbers)]
    changes = {c.field: c.new for c in rules.receipts(purchase, answer, parcels)}
    if not received:
        assert changes == {}
        return
    assert changes["receivedQuantity"] == ordered and changes["receivedStatus"] == "FullyReceived"
    latest = max(p.delivered_at for p in parcels if p.delivered_at is not None)
    assert changes["dateReceived"] == latest.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_receiving_is_absolute_so_a_received_line_changes_nothing() -> None:
    line = cw_line(1, quantity=2.0, received_quantity=2, received_status="FullyReceived", date_received=NOW)
    answer = order(shipped(1, (A,)), code="shipped")
    assert rules.receipts(po(lines=(line,)), answer, [parcel(A, True)]) == ()


@pytest.mark.parametrize(
    ("scope", "drop_ship", "allowed"),
    [("drop_ship", True, True), ("drop_ship", None, False), ("drop_ship", False, False), ("all", False, True)],
)
def test_receive_scope(scope: str, drop_ship: bool | None, allowed: bool) -> None:
    assert rules.receive_scope_allows(po(drop_ship=drop_ship), scope) is allowed


@given(
    deliveries=st.lists(st.booleans(), min_size=1, max_size=4),
    keys=st.sets(st.sampled_from(["coordination_ticket", "stage:SHIPPED"])),
    enabled=st.booleans(),
)
def test_the_ticket_is_due_once_every_package_is_delivered_and_none_is_on_record(
    deliveries: list[bool], keys: set[str], enabled: bool
) -> None:
    numbers = tuple(f"79761546762{i}" for i in range(len(deliveries)))
    answer = order(shipped(1, numbers), code="shipped")
    parcels = [parcel(n, d) for n, d in zip(numbers, deliveries, strict=True)]
    due = rules.coordination_due(answer, parcels, keys, enabled=enabled)
    assert due == (enabled and all(deliveries) and "coordination_ticket" not in keys)


@given(st.text(min_size=0, max_size=300), st.integers(min_value=1, max_value=10**9))
def test_the_ticket_summary_fits_and_always_carries_its_marker(customer: str, po_id: int) -> None:
    purchase = PurchaseOrder(id=po_id, po_number="PO-1", customer_company=Reference(7, customer or None))
    summary = rules.coordination_summary("Delivered: PO {po_number} for {customer} ({delivered})", purchase, "x" * 50)
    assert len(summary) <= rules.SUMMARY_LIMIT
    assert summary.endswith(rules.coordination_marker(po_id))


@given(
    st.lists(st.text(alphabet="ABCabc123- ", min_size=0, max_size=12), max_size=8),
    st.lists(st.text(alphabet="ABCabc123- ", min_size=0, max_size=12), max_size=8),
)
def test_serials_are_found_once_and_only_missing_ones_are_created(from_status: list[str], existing: list[str]) -> None:
    line = item(1, "shipped", shipped_at=NOW, packages=(Package(A, serial_numbers=tuple(from_status)),))
    invoice = Invoice("INV1", lines=(InvoiceLine(sku="SKU1", serial_numbers=tuple(from_status[::-1])),))
    serials = rules.shipped_serials(order(line, code="shipped"), [invoice])
    folded = [s.serial.casefold() for s in serials]
    assert len(folded) == len(set(folded))
    assert {" ".join(s.split()).casefold() for s in from_status if s.strip()} == set(folded)
    wanted = rules.missing(serials, existing)
    have = {" ".join(e.split()).casefold() for e in existing}
    assert {s.serial.casefold() for s in wanted} == set(folded) - have
    # The key names the set, not the order it was reported in.
    assert rules.configurations_key(serials) == rules.configurations_key(tuple(reversed(serials)))


def test_configuration_names_keep_the_serial_whole() -> None:
    name = rules.configuration_name(rules.ShippedSerial("SN-123456", "P" * 300))
    assert len(name) <= rules.CONFIGURATION_NAME_LIMIT and name.endswith(" SN-123456")


@pytest.mark.parametrize(
    ("base_url", "link", "expected"),
    [
        (
            "https://api-na.myconnectwise.net/v4_6_release/apis/3.0",
            "",
            "https://na.myconnectwise.net/v4_6_release/ConnectWise.aspx?locale=en_US&routeTo=PurchaseOrderFV&recid=42",
        ),
        (
            "https://cw.example.com/v2025_1/apis/3.0",
            "https://cw.example.com/po?id={id}",
            "https://cw.example.com/po?id=42",
        ),
    ],
)
def test_po_link(base_url: str, link: str, expected: str) -> None:
    assert po_link(FulfilmentSettings(po_link=link), base_url, 42) == expected


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"configurations": True}, "needs configuration_type"),
        ({"coordination_summary": "PO {number}"}, "cannot be filled in"),
        ({"po_link": "https://cw.example.com/po"}, "containing {id}"),
        ({"receive_scope": "some"}, "drop_ship"),
    ],
)
def test_bad_settings_say_what_is_wrong(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FulfilmentSettings(**values)
