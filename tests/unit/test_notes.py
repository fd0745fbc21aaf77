"""PO note text: readable without newlines, bounded, and recognisable again by its marker."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderbridge.core.domain import Invoice
from orderbridge.rules.notes import (
    NOTE_LIMIT,
    ShipmentFacts,
    TrackedPackage,
    find_marker,
    invoice_note,
    invoices_summary,
    note_marker,
    shipment_note,
    stage_note,
)

KEY = "shipment:41000001|123456789012|2026-01-06T18:00:00Z"
URL = "https://www.fedex.com/fedextrack/?trknbr=123456789012"


def _shipment(packages: int = 1) -> ShipmentFacts:
    found = tuple(TrackedPackage(f"{123456789012 + n}", URL) for n in range(packages))
    return ShipmentFacts("41000001", date(2026, 1, 6), "FedEx Ground", (1, 2, 3), found)


def test_shipment_note_reads_like_a_sentence_and_ends_with_its_marker() -> None:
    note = shipment_note(KEY, "TDS Shipped: 3 of 5 lines shipped", _shipment())
    assert note.key == KEY
    assert note.text == (
        "TDS Shipped: 3 of 5 lines shipped. Sales order 41000001 shipped 2026-01-06 via FedEx Ground: "
        f"123456789012 {URL}. Lines 1, 2, 3. {note_marker(KEY)}"
    )
    assert "\n" not in note.text
    assert find_marker(note.text) == KEY


def test_many_packages_are_summarised_within_the_note_limit() -> None:
    note = shipment_note(KEY, "TDS Shipped: 5 of 5 lines shipped", _shipment(packages=200))
    assert len(note.text) <= NOTE_LIMIT
    assert "more packages" in note.text
    assert find_marker(note.text) == KEY


def test_shipment_without_tracking_number_says_so() -> None:
    facts = ShipmentFacts("41000002", None, "Will Call", (4,), ())
    text = shipment_note("shipment:41000002||", "TDS Shipped: 1 of 5 lines shipped", facts).text
    assert "Sales order 41000002 shipped via Will Call: no tracking number. Line 4." in text


def test_marker_survives_connectwise_turning_newlines_into_spaces() -> None:
    text = f"Line one\nline two {note_marker('stage:SHIPPED')}".replace("\n", " ")
    assert find_marker(text) == "stage:SHIPPED"


@given(st.text(min_size=1, max_size=80))
def test_any_event_key_round_trips_through_the_marker(key: str) -> None:
    marker = note_marker(key)
    assert not any(ch.isspace() for ch in marker)
    assert find_marker(f"Some text. {marker}") == key
    assert find_marker(f"Some text. {marker}".replace(" ", "\n")) == key


def test_the_last_marker_names_the_note_and_a_persons_note_has_none() -> None:
    assert find_marker(f"quoted {note_marker('a')} then ours {note_marker('b')}") == "b"
    assert find_marker("Called the customer about the delay.") is None
    assert find_marker("") is None


def test_stage_note_lists_every_invoice_with_its_total_and_the_sum() -> None:
    invoices = (
        Invoice("9001", date(2026, 1, 8), order_number="41000001", total=Decimal("1234.5")),
        Invoice("9002", date(2026, 1, 20), order_number="41000002", total=Decimal("99")),
    )
    note = stage_note(
        "stage:INVOICED",
        "TDS Invoiced: all 5 lines invoiced",
        invoices=invoices,
        packages=(TrackedPackage("123456789012", URL),),
    )
    assert note.text.startswith(
        "TDS Invoiced: all 5 lines invoiced. Invoices: Invoice 9001 dated 2026-01-08, total 1,234.50 "
        "(sales order 41000001); Invoice 9002 dated 2026-01-20, total 99.00 (sales order 41000002). "
        f"Sum 1,333.50. Tracking numbers: 123456789012 {URL}."
    )


def test_invoice_without_total_is_named_and_left_out_of_the_sum() -> None:
    text = invoices_summary((Invoice("9001", None, total=Decimal(5)), Invoice("9002", None)))
    assert text.endswith("Sum 5.00 (1 without a total).")


def test_invoice_note_for_a_late_invoice_lists_all_of_them() -> None:
    invoices = (
        Invoice("9001", date(2026, 1, 8), total=Decimal(1)),
        Invoice("9002", date(2026, 1, 9), total=Decimal(2)),
    )
    note = invoice_note("invoice:9002", invoices[1], invoices)
    assert note.text.startswith("Invoice 9002 dated 2026-01-09, total 2.00. Invoices: Invoice 9001")
    assert "Sum 3.00." in note.text and find_marker(note.text) == "invoice:9002"


@pytest.mark.parametrize("count", [1, 60, 500])
def test_stage_note_stays_under_the_limit_however_many_invoices_and_packages(count: int) -> None:
    invoices = tuple(Invoice(f"INV{n:08d}", date(2026, 1, 8), total=Decimal(n)) for n in range(count))
    packages = tuple(TrackedPackage(f"T{n:020d}", URL) for n in range(count))
    orders = tuple(f"4100{n:04d}" for n in range(count))
    note = stage_note("stage:CLOSED", "TDS Closed: done", sales_orders=orders, invoices=invoices, packages=packages)
    assert len(note.text) <= NOTE_LIMIT
    assert find_marker(note.text) == "stage:CLOSED"
