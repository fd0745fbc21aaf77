"""Latest-package choice, shipments, dates and list-fitting text: the TD SYNNEX shipping facts the planner uses."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from plan_builders import item, order

from orderbridge.rules.shipping import (
    cw_datetime,
    latest_ship_datetime,
    latest_tracking_number,
    shipments,
    vendor_order_text,
)

T1 = datetime(2025, 3, 4, 10, 0)
T2 = datetime(2025, 3, 9, 8, 0)


def test_latest_package_wins_then_later_line_on_a_tie() -> None:
    lines = order(
        item(1, "shipped", shipped_at=T2, tracking=("A",)),
        item(2, "shipped", shipped_at=T1, tracking=("B",)),
        item(3, "shipped", shipped_at=T2, tracking=("C1", "C2")),
        item(4, "deleted", shipped_at=T2, tracking=("DEAD",)),
        item(5, "accepted"),
    )
    assert latest_tracking_number(lines) == "C2"
    assert latest_ship_datetime(lines) == T2


def test_nothing_shipped_means_no_tracking_and_no_date() -> None:
    lines = order(item(1), item(2, "deleted"))
    assert latest_tracking_number(lines) is None
    assert latest_ship_datetime(lines) is None


def test_shipments_group_lines_of_one_sales_order_leaving_together() -> None:
    found = shipments(
        order(
            item(1, "shipped", shipped_at=T2, tracking=("B", "A")),
            item(2, "shipped", shipped_at=T2, tracking=("A",)),
            item(3, "invoiced", shipped_at=T1, tracking=("C",), so="41000002"),
        )
    )
    assert [(s.order_number, s.tracking_numbers, len(s.lines)) for s in found] == [
        ("41000002", ("C",), 1),
        ("41000001", ("A", "B"), 2),
    ]
    assert found[1].key == "shipment:41000001|A,B|2025-03-09T08:00:00Z"


def test_datetimes_are_written_in_utc() -> None:
    pacific = timezone(timedelta(hours=-8))
    assert cw_datetime(datetime(2025, 3, 4, 16, 0, tzinfo=pacific)) == "2025-03-05T00:00:00Z"


@pytest.mark.parametrize(
    ("numbers", "expected"),
    [
        ([], None),
        (["41000001", "41000001", "41000002"], "41000001, 41000002"),
        ([f"4100000{n}" for n in range(1, 6)], "41000001, 41000002, 41000003, 41000004, 41000005"),
        ([f"4100000{n}" for n in range(1, 7)], "41000001, 41000002, 41000003, 41000004 +2 more"),
        (["X" * 60], None),
    ],
)
def test_vendor_order_text_fits_fifty_and_says_what_it_left_out(numbers: list[str], expected: str | None) -> None:
    text = vendor_order_text(numbers)
    assert text == expected
    assert text is None or len(text) <= 50
