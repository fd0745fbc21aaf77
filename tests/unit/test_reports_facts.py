"""facts_row: one check folded into an order's facts (pure), and the facts table on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from orderbridge.core.domain import (
    DistributorLine,
    DistributorOrder,
    Package,
    Plan,
    PurchaseOrder,
    Reference,
    ShipmentMethod,
    Stage,
    StatusCode,
)
from orderbridge.reports.facts import facts_row
from orderbridge.store import Store
from orderbridge.store.facts import FactsFilter, list_facts, load_facts, save_facts

T0 = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)
PACIFIC = ZoneInfo("America/Los_Angeles")
METHODS = (
    ShipmentMethod(1, "FedEx Ground", "https://www.fedex.com/fedextrack/?trknbr={n}"),
    ShipmentMethod(2, "UPS Ground", "https://www.ups.com/track?tracknum=[TrackingNumber]"),
    ShipmentMethod(3, "Sneaky", "javascript:alert(1)//"),
)
PO = PurchaseOrder(id=7, po_number="PO-7", status=Reference(1, "TDS Accepted"))


def line(number: int, code: StatusCode, **extra: object) -> DistributorLine:
    values: dict[str, object] = {
        "order_number": "41000001",
        "order_type": "SO",
        "warehouse": "6",
        "ship_method": "FG",
        "ship_method_description": "FedEx Ground",
        "estimated_ship_date": date(2026, 3, 4),
        **extra,
    }
    return DistributorLine(number, code, code.value, **values)  # type: ignore[arg-type]


def order(*lines: DistributorLine, code: StatusCode = StatusCode.ACCEPTED) -> DistributorOrder:
    return DistributorOrder(
        "100001", "PO-7", code, code.value, po_datetime=datetime(2026, 3, 1, 9, 0, tzinfo=PACIFIC), lines=lines
    )


def plan(stage: Stage | None) -> Plan:
    return Plan(po_id=7, po_number="PO-7", stage=stage)


def test_an_answer_the_planner_refuses_is_not_shown_either() -> None:
    first = facts_row("t", PO, order(line(1, StatusCode.ACCEPTED)), plan(Stage.ACCEPTED), T0, None)
    hostile = line(
        1,
        StatusCode.SHIPPED,
        ship_datetime=T0,
        estimated_ship_date=date(9999, 12, 31),
        packages=(Package("5418\u202e77002320"),),
    )
    error = "TD SYNNEX line 1: tracking number ... refused, nothing of this PO was written to ConnectWise"
    row = facts_row("t", PO, order(hostile), None, T0 + timedelta(hours=1), first, error=error)
    assert row.tracking == first.tracking == ()
    assert row.estimated_ship_date == date(2026, 3, 4) and row.first_shipped_at is None
    assert row.last_error == error


def test_first_check_records_stage_time_estimates_and_po_date() -> None:
    row = facts_row("t", PO, order(line(1, StatusCode.ACCEPTED)), plan(Stage.ACCEPTED), T0, None)
    assert (row.stage, row.accepted_at, row.stage_since, row.first_seen_at) == (Stage.ACCEPTED, T0, T0, T0)
    assert row.po_at == datetime(2026, 3, 1, 17, 0, tzinfo=UTC)
    assert row.estimated_ship_date == row.promised_ship_date == date(2026, 3, 4)
    assert (row.carrier, row.ship_method_name, row.warehouses) == ("FedEx", "FedEx Ground", ("6",))


def test_a_stage_time_is_set_once_and_a_stale_stage_never_moves_it() -> None:
    first = facts_row("t", PO, order(line(1, StatusCode.ACCEPTED)), plan(Stage.ACCEPTED), T0, None)
    shipped_line = line(
        1,
        StatusCode.SHIPPED,
        ship_datetime=datetime(2026, 3, 3, 14, 0, tzinfo=PACIFIC),
        packages=(Package("123456789012"),),
    )
    later = T0 + timedelta(days=1)
    second = facts_row("t", PO, order(shipped_line), plan(Stage.SHIPPED), later, first)
    assert (second.accepted_at, second.shipped_at, second.stage_since) == (T0, later, later)
    assert second.first_shipped_at == datetime(2026, 3, 3, 22, 0, tzinfo=UTC)
    assert second.first_ship_date == date(2026, 3, 3)  # TD SYNNEX's local day, compared with its estimates
    assert second.estimated_ship_date is None  # nothing left unshipped
    assert second.promised_ship_date == date(2026, 3, 4)
    stale = facts_row("t", PO, order(line(1, StatusCode.ACCEPTED)), plan(Stage.ACCEPTED), later + timedelta(1), second)
    assert (stale.stage, stale.stage_since, stale.shipped_at) == (Stage.SHIPPED, later, later)


def test_tracking_links_use_each_lines_method_and_both_placeholders() -> None:
    fedex = line(1, StatusCode.SHIPPED, packages=(Package("123456789012"),), ship_datetime=T0)
    ups = line(
        2,
        StatusCode.SHIPPED,
        ship_method="UP",
        ship_method_description="UPS Ground",
        packages=(Package("1Z 999/AA1"),),
        ship_datetime=T0,
    )
    row = facts_row("t", PO, order(fedex, ups), plan(Stage.SHIPPED), T0, None, shipment_methods=METHODS)
    links = {t.number: t.url for t in row.tracking}
    assert links["123456789012"] == "https://www.fedex.com/fedextrack/?trknbr=123456789012"
    assert links["1Z 999/AA1"] == "https://www.ups.com/track?tracknum=1Z%20999%2FAA1"


def test_a_non_web_tracking_template_never_becomes_a_link() -> None:
    shipped = line(1, StatusCode.SHIPPED, ship_method="ZZ", ship_method_description="Sneaky", packages=(Package("X1"),))
    row = facts_row("t", PO, order(shipped), plan(Stage.SHIPPED), T0, None, shipment_methods=METHODS)
    assert [(t.number, t.url) for t in row.tracking] == [("X1", None)]


def test_not_found_keeps_what_was_known_and_remembers_since_when() -> None:
    known = facts_row("t", PO, order(line(1, StatusCode.ACCEPTED)), plan(Stage.ACCEPTED), T0, None)
    missing = DistributorOrder("100001", "PO-7", StatusCode.NOT_FOUND, "notFound")
    later = T0 + timedelta(hours=5)
    first = facts_row("t", PO, missing, None, later, known, error="TD SYNNEX has no order")
    again = facts_row("t", PO, missing, None, later + timedelta(hours=5), first, error="TD SYNNEX has no order")
    assert (again.not_found_since, again.stage, again.carrier) == (later, Stage.ACCEPTED, "FedEx")
    assert again.last_error == "TD SYNNEX has no order"
    found = facts_row("t", PO, order(line(1, StatusCode.ACCEPTED)), plan(Stage.ACCEPTED), later + timedelta(1), again)
    assert (found.not_found_since, found.last_error) == (None, None)


def test_a_failure_without_an_answer_changes_nothing_but_the_error() -> None:
    known = facts_row("t", PO, order(line(1, StatusCode.ACCEPTED)), plan(Stage.ACCEPTED), T0, None)
    failed = facts_row("t", PO, None, None, T0 + timedelta(hours=1), known, error="HTTP 503 (will retry)")
    assert failed.last_error == "HTTP 503 (will retry)"
    assert (failed.stage, failed.accepted_at, failed.estimated_ship_date) == (
        known.stage,
        known.accepted_at,
        known.estimated_ship_date,
    )


def test_facts_round_trip_and_upsert_keep_first_seen(store: Store) -> None:
    shipped = line(1, StatusCode.SHIPPED, packages=(Package("123456789012"),), ship_datetime=T0)
    first = facts_row("t", PO, order(line(1, StatusCode.ACCEPTED)), plan(Stage.ACCEPTED), T0, None)
    second = facts_row("t", PO, order(shipped), plan(Stage.SHIPPED), T0 + timedelta(1), first, shipment_methods=METHODS)
    save_facts(store, [first])
    save_facts(store, [second, second])  # a PO listed twice in one batch is fine
    loaded = load_facts(store, "t", [7])[7]
    assert loaded == second
    assert loaded.first_seen_at == T0
    assert list_facts(store, FactsFilter(text="1234567890")) == [second]
    assert list_facts(store, FactsFilter(warehouse="6")) == [second]
    assert list_facts(store, FactsFilter(warehouse="16")) == []
    assert list_facts(store, FactsFilter(text="50%_")) == []
