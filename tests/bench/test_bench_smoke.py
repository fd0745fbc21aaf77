"""The benchmark end to end at N=200, over real sockets: its report has every key and cycle two writes nothing.

No timing is asserted (the machine is shared); latency is scaled down so the run stays short.
"""

from __future__ import annotations

import json

import pytest
from tools.bench.__main__ import main
from tools.bench.counting import kind_of
from tools.bench.model import Changes, ServiceLimits, bound_s, lognormal_mean, minimum_calls

KEYS = {
    "n_orders",
    "wall_s",
    "bound_s",
    "ratio_to_bound",
    "calls",
    "min_calls",
    "calls_ratio",
    "cpu_s_per_1000",
    "peak_rss_mb",
    "second_cycle_writes",
    "carrier_packages",
    "carrier_calls_per_package",
    "carrier_min_per_package",
    "carrier_calls_ratio",
}


def test_bench_at_200_orders_reports_every_key_and_a_quiet_second_cycle(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--orders", "200", "--latency-scale", "0.05", "--journey-days", "2", "--journey-step-hours", "6"])
    out = capsys.readouterr().out.strip().splitlines()
    result = json.loads(out[-1])
    assert set(result) == KEYS
    assert result["n_orders"] == 200
    assert result["second_cycle_writes"] == 0
    assert result["calls"] >= result["min_calls"] > 200
    # Carriers are on in the bench's world: shipped packages exist and are followed, never below the minimum.
    assert result["carrier_packages"] > 0
    assert result["carrier_calls_per_package"] >= result["carrier_min_per_package"] > 0
    journey = json.loads(next(line for line in out if line.startswith("carrier_journey: ")).split(": ", 1)[1])
    assert journey["rounds"] == 9 and journey["calls"] >= journey["min_calls"]


def test_minimum_calls_follow_the_model() -> None:
    changes = Changes(
        listed=2500,
        answers_changed=40,
        headers_changed=30,
        lines_changed=5,
        pos_with_new_notes=20,
        notes_added=22,
        pos_with_new_invoices=7,
    )
    minimum = minimum_calls(changes, page_size=1000)
    assert minimum == {
        "tds_status": 2500,
        "cw_meta": 2,
        "cw_list": 6,
        "cw_line_get": 40,
        "cw_po_patch": 30,
        "cw_line_patch": 5,
        "cw_note_list": 20,
        "cw_note_post": 22,
        "tds_invoice": 7,
    }
    cw = ServiceLimits(latency_s=0.1, concurrency=4, per_minute=1000)
    tds = ServiceLimits(latency_s=0.25, concurrency=64, per_minute=12000)
    # ConnectWise: 125 calls at 1,000/min = 7.5 s. TD SYNNEX: 2507 x 0.25 / 64 = 9.79 s of latency but
    # 2507 calls at 200/s = 12.5 s of rate limit; the largest figure is the bound.
    assert bound_s(minimum, cw=cw, tds=tds) == pytest.approx(2507 * 60 / 12000)


def test_latency_mean_is_above_the_median_with_a_tail() -> None:
    assert lognormal_mean(0.2, None) == 0.2
    assert 0.2 < lognormal_mean(0.2, 1.0) < 0.3


@pytest.mark.parametrize(
    ("method", "path", "kind"),
    [
        ("POST", "/SynnexXML/POStatus", "tds_status"),
        ("POST", "/webservice/invoice/query", "tds_invoice"),
        ("GET", "/v4_6_release/apis/3.0/procurement/purchaseorders", "cw_list"),
        ("GET", "/v4_6_release/apis/3.0/procurement/purchaseorders/1001/lineitems", "cw_line_get"),
        ("PATCH", "/v4_6_release/apis/3.0/procurement/purchaseorders/1001", "cw_po_patch"),
        ("PATCH", "/v4_6_release/apis/3.0/procurement/purchaseorders/1001/lineitems/20001", "cw_line_patch"),
        ("GET", "/v4_6_release/apis/3.0/procurement/purchaseorders/1001/notes", "cw_note_list"),
        ("POST", "/v4_6_release/apis/3.0/procurement/purchaseorders/1001/notes", "cw_note_post"),
        ("GET", "/v4_6_release/apis/3.0/procurement/purchaseorderstatuses", "cw_meta"),
        ("GET", "/v4_6_release/apis/3.0/system/info", "cw_other"),
        ("POST", "/v2/trackers", "carrier_easypost"),
        ("GET", "/v2/trackers/trk_123", "carrier_easypost"),
        ("GET", "/api/track/v1/details/1Z1442YY7229014688", "carrier_ups"),
        ("POST", "/track/v1/trackingnumbers", "carrier_fedex"),
        ("POST", "/oauth/token", "carrier_token"),
        ("POST", "/security/v1/oauth/token", "carrier_token"),
    ],
)
def test_calls_are_counted_by_kind(method: str, path: str, kind: str) -> None:
    assert kind_of(method, path) == kind
