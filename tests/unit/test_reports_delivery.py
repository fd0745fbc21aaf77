"""Delivery figures (reports/delivery.py), table-driven: ship-to-delivery days, on time against TD SYNNEX's
estimate and the carrier's first estimate, by carrier and ship method; and `orderbridge report` shows them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from orderbridge.cli import main
from orderbridge.core.delivery import ParcelState, TrackedParcel
from orderbridge.reports.delivery import build_delivery_report
from orderbridge.store import Store
from orderbridge.store.parcels import save_parcels

SHIPPED = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
TODAY = date(2026, 3, 12)
LA = ZoneInfo("America/Los_Angeles")


def parcel(number: str, **values: Any) -> TrackedParcel:
    values.setdefault("provider", "fedex")
    values.setdefault("carrier", "FedEx")
    values.setdefault("ship_method", "FG")
    values.setdefault("shipped_at", SHIPPED)
    return TrackedParcel("t", 1, number, route_reason="r", registered_at=SHIPPED, **values)


def delivered(number: str, after_days: float, **values: Any) -> TrackedParcel:
    return parcel(number, state=ParcelState.DELIVERED, delivered_at=SHIPPED + timedelta(days=after_days), **values)


CASES: list[tuple[str, list[TrackedParcel], dict[str, Any]]] = [
    ("nothing shipped", [], {"packages": 0, "delivered": 0, "days": None}),
    (
        "delivered on both promises",
        [delivered("a", 3, tds_estimate=date(2026, 3, 5), first_estimate=date(2026, 3, 5))],
        {"packages": 1, "delivered": 1, "days": 3.0, "tds": (1, 1, 0), "carrier": (1, 1, 0)},
    ),
    (
        "a day after TD SYNNEX's date, on the carrier's",
        [delivered("a", 4, tds_estimate=date(2026, 3, 5), first_estimate=date(2026, 3, 6))],
        {"tds": (1, 0, 0), "carrier": (1, 1, 0)},
    ),
    (
        "undelivered, past the carrier's first estimate: overdue",
        [parcel("a", state=ParcelState.IN_TRANSIT, first_estimate=date(2026, 3, 6), estimate=date(2026, 3, 13))],
        {"packages": 1, "delivered": 0, "carrier": (0, 0, 1)},
    ),
    (
        "returned: shipped, never delivered, not overdue",
        [parcel("a", state=ParcelState.RETURNED_TO_SENDER, first_estimate=date(2026, 3, 6))],
        {"packages": 1, "delivered": 0, "returned": 1, "carrier": (0, 0, 0)},
    ),
    (
        "nobody follows it: left out",
        [parcel("a", provider=None)],
        {"packages": 0},
    ),
]


@pytest.mark.parametrize(("parcels", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_delivery_figures(parcels: list[TrackedParcel], expected: dict[str, Any]) -> None:
    report = build_delivery_report(parcels, today=TODAY)
    everything = report.all
    got = {
        "packages": everything.packages,
        "delivered": everything.delivered,
        "returned": everything.returned,
        "days": everything.days.mean,
        "tds": (everything.vs_tdsynnex.measured, everything.vs_tdsynnex.on_time, everything.vs_tdsynnex.overdue),
        "carrier": (everything.vs_carrier.measured, everything.vs_carrier.on_time, everything.vs_carrier.overdue),
    }
    assert {key: got[key] for key in expected} == expected


def test_the_delivery_day_is_taken_in_the_report_zone() -> None:
    # 03:00 UTC on 3-06 is the evening of 3-05 in Los Angeles: on time there, a day late in UTC.
    late_night = parcel(
        "a",
        state=ParcelState.DELIVERED,
        delivered_at=datetime(2026, 3, 6, 3, tzinfo=UTC),
        first_estimate=date(2026, 3, 5),
    )
    assert build_delivery_report([late_night], today=TODAY).all.vs_carrier.on_time == 0
    assert build_delivery_report([late_night], today=TODAY, zone=LA).all.vs_carrier.on_time == 1


def test_groups_by_carrier_and_ship_method() -> None:
    report = build_delivery_report(
        [
            delivered("a", 2, first_estimate=date(2026, 3, 4)),
            delivered("b", 4, first_estimate=date(2026, 3, 4)),
            delivered("c", 1, carrier="UPS", provider="ups", ship_method="U1"),
        ],
        today=TODAY,
    )
    carriers = {g.name: (g.packages, g.days.mean, g.vs_carrier.rate) for g in report.by_carrier}
    assert carriers == {"FedEx": (2, 3.0, 0.5), "UPS": (1, 1.0, None)}
    assert [g.name for g in report.by_ship_method] == ["FG", "U1"]


CONFIG = """
[connectwise]
company = "c"
public_key = "p"
private_key = "k"
client_id = "x"
[tdsynnex]
user_id = "u"
password = "pw"
customer_number = "1"
[store]
url = "{url}"
"""


def test_orderbridge_report_shows_delivery(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'report.db'}"
    with Store.open(url) as store:
        save_parcels(store, [delivered("a", 3, first_estimate=date(2026, 3, 5), tds_estimate=date(2026, 3, 4))])
    config = tmp_path / "orderbridge.toml"
    config.write_text(CONFIG.format(url=url), encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["--config", str(config), "report", "--format", "json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["delivery"]["all"]["mean_days_ship_to_delivery"] == 3.0
    assert figures["delivery"]["all"]["vs_carrier_on_time_rate"] == 1.0
    assert figures["delivery"]["all"]["vs_tdsynnex_on_time_rate"] == 0.0
    assert figures["delivery_by_carrier"]["FedEx"]["packages"] == 1
    table = runner.invoke(main, ["--config", str(config), "report"])
    assert table.exit_code == 0 and "Delivery (packages the carriers follow)" in table.stdout
    assert "carrier FedEx" in table.stdout
