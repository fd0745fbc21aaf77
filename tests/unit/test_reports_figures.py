"""Report figures against a small hand-computed fixture, on both databases, in every output format.

Four orders, one day = 24 h from D0 (2026-03-01T00:00Z); the expected numbers are worked out by hand
in the comments, never by calling the code under test.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

from orderbridge.core.domain import Stage
from orderbridge.reports.figures import NONE_YET
from orderbridge.reports.load import load_report
from orderbridge.reports.render import report_dict, write_report
from orderbridge.store import Store
from orderbridge.store.facts import FactsRow, save_facts

D0 = datetime(2026, 3, 1, tzinfo=UTC)
NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)


def day(n: float) -> datetime:
    return D0 + timedelta(days=n)


FIXTURE = [
    # A: PO→accepted 1 d, accepted→shipped 2 d, shipped→invoiced 2 d, invoiced→closed 4 d; on time; seen 6 h late.
    FactsRow(
        "t", 1, "PO-A", D0, NOW, stage=Stage.CLOSED, carrier="FedEx", ship_method_name="FedEx Ground",
        warehouses=("6",), po_at=day(0), accepted_at=day(1), first_shipped_at=day(3), shipped_at=day(3.25),
        invoiced_at=day(5), closed_at=day(9), promised_ship_date=date(2026, 3, 4), first_ship_date=date(2026, 3, 4),
    ),
    # B: PO→accepted 2 d, accepted→shipped 4 d, shipped→invoiced 2 d; late (3-07 > 3-05); seen 12 h late.
    FactsRow(
        "t", 2, "PO-B", D0, NOW, stage=Stage.INVOICED, carrier="FedEx", ship_method_name="FedEx Ground",
        warehouses=("6", "16"), po_at=day(0), accepted_at=day(2), first_shipped_at=day(6), shipped_at=day(6.5),
        invoiced_at=day(8), promised_ship_date=date(2026, 3, 5), first_ship_date=date(2026, 3, 7),
    ),
    # C: PO→accepted 1 d; promised 3-03, nothing shipped by 3-20: overdue.
    FactsRow(
        "t", 3, "PO-C", D0, NOW, stage=Stage.ACCEPTED, carrier="UPS", ship_method_name="UPS Ground",
        warehouses=("16",), po_at=day(0), accepted_at=day(1), promised_ship_date=date(2026, 3, 3),
    ),
    # D: TD SYNNEX has never heard of it: counted as an order, in no figure.
    FactsRow("t", 4, "PO-D", D0, NOW),
    # Another tenant's order must not leak into tenant t's report.
    FactsRow("other", 1, "PO-X", D0, NOW, stage=Stage.SHIPPED, carrier="DHL", po_at=day(0), first_shipped_at=day(1)),
]  # fmt: skip


def seed(store: Store) -> None:
    save_facts(store, FIXTURE)
    for seen, failed, dry in ((10, 1, False), (10, 3, False), (10, 5, True)):
        cycle = store.start_cycle("t", D0, dry_run=dry)
        store.finish_cycle(cycle, D0, {"seen": seen, "failed": failed}, "ok")


def test_report_figures_match_the_hand_computed_fixture(store: Store) -> None:
    seed(store)
    report = load_report(store, now=NOW, tenant="t")
    assert report.orders == 4
    assert report.by_stage == {"Accepted": 1, "Released": 0, "Shipped": 0, "Invoiced": 1, "Closed": 1}
    legs = {leg.label: (leg.days.count, leg.days.mean, leg.days.median) for leg in report.legs}
    assert legs == {
        "PO → accepted": (3, 1.33, 1.0),  # (1 + 2 + 1) / 3
        "accepted → shipped": (2, 3.0, 3.0),  # (2 + 4) / 2
        "shipped → invoiced": (2, 2.0, 2.0),
        "invoiced → closed": (1, 4.0, 4.0),
        "PO → shipped": (2, 4.5, 4.5),  # (3 + 6) / 2
    }
    assert (report.on_time.measured, report.on_time.on_time, report.on_time.rate) == (2, 1, 0.5)
    assert report.on_time.overdue_unshipped == 1
    carriers = {g.name: (g.orders, g.shipped, g.on_time.rate, g.days_to_ship.mean) for g in report.by_carrier}
    assert carriers == {"FedEx": (2, 2, 0.5, 4.5), "UPS": (1, 0, None, None), NONE_YET: (1, 0, None, None)}
    warehouses = {g.name: (g.orders, g.shipped, g.on_time.rate) for g in report.by_warehouse}
    # B ships from 6 and 16, so it counts in both.
    assert warehouses == {"6": (2, 2, 0.5), "16": (2, 1, 0.0), NONE_YET: (1, 0, None)}
    assert [g.name for g in report.by_warehouse][-1] == NONE_YET
    # Dry runs write nothing, so they are no checks: (1 + 3) / (10 + 10).
    assert (report.errors.checks, report.errors.failures, report.errors.rate) == (20, 4, 0.2)
    delay = report.update_delay_hours
    assert (delay.count, delay.mean, delay.median) == (2, 9.0, 9.0)  # (6 h + 12 h) / 2


def test_report_for_a_period_counts_only_orders_first_seen_in_it(store: Store) -> None:
    seed(store)
    assert load_report(store, now=NOW, tenant="t", since=D0 + timedelta(days=1)).orders == 0
    assert load_report(store, now=NOW, until=D0 + timedelta(days=1)).orders == 5


def test_csv_json_and_table_carry_the_same_figures(store: Store) -> None:
    seed(store)
    report = load_report(store, now=NOW, tenant="t")
    out = io.StringIO()
    write_report(report, "csv", out)
    rows = {(r["section"], r["group"], r["metric"]): r["value"] for r in csv.DictReader(io.StringIO(out.getvalue()))}
    assert rows[("on_time", "all", "on_time_rate")] == "0.5"
    assert rows[("stage_days", "PO → shipped", "mean_days")] == "4.5"
    assert rows[("by_carrier", "UPS", "on_time_rate")] == ""
    out = io.StringIO()
    write_report(report, "json", out)
    document = json.loads(out.getvalue())
    assert document == json.loads(json.dumps(report_dict(report)))
    assert document["errors"]["all"]["error_rate"] == 0.2
    assert document["by_warehouse"]["16"]["orders"] == 2
    out = io.StringIO()
    write_report(report, "table", out)
    assert "50.0% (1 of 2 shipped orders" in out.getvalue()
    assert "Error rate: 20.0% (4 failed of 20 PO checks)" in out.getvalue()
