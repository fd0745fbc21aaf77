"""The dashboard's delivery parts over a store with parcels: the PO page's Packages section (carrier,
linked tracking number, state, estimate or delivery and signer, scans; everything escaped) and the
reports page's delivery table, with the same figures as its JSON download."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from orderbridge.config import Settings
from orderbridge.core.clock import SimClock
from orderbridge.core.delivery import ParcelState, ScanEvent, TrackedParcel
from orderbridge.core.domain import Stage
from orderbridge.store import Store
from orderbridge.store.facts import FactsRow, TrackingLink, save_facts
from orderbridge.store.parcels import save_parcels
from orderbridge.web.app import create_app

NOW = datetime(2026, 3, 12, 18, 0, tzinfo=UTC)
SHIPPED = datetime(2026, 3, 9, 20, 0, tzinfo=UTC)
HTML = {"accept": "text/html"}
HOSTILE = "<script>alert(1)</script>"
UPS = "1Z1442YY7229014688"  # a valid UPS number: its public tracking page is known
FEDEX = "797615467620"


def parcel(number: str, carrier: str, provider: str | None, **values: object) -> TrackedParcel:
    values.setdefault("ship_method", "FG")
    return TrackedParcel(
        tenant="default",
        po_id=7,
        tracking_number=number,
        carrier=carrier,
        provider=provider,
        route_reason="its own API" if provider else "a forwarder reference no provider can follow",
        registered_at=SHIPPED,
        shipped_at=SHIPPED,
        updated_at=NOW,
        **values,  # type: ignore[arg-type]
    )


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    store = Store.open(f"sqlite:///{tmp_path / 'web.db'}")
    facts = FactsRow(
        "default",
        7,
        "PO-7",
        SHIPPED,
        NOW,
        stage=Stage.INVOICED,
        carrier="FedEx",
        tracking=(
            TrackingLink(FEDEX, "FedEx", "https://track.example.com/?n=" + FEDEX),
            TrackingLink("H320463803", "UPS", "javascript:alert(1)"),  # facts are built http(s)-only; even so
        ),
    )
    save_facts(store, [facts])
    delivered_scan = ScanEvent(NOW - timedelta(hours=5), ParcelState.DELIVERED, HOSTILE, "AUSTIN, TX")
    save_parcels(
        store,
        [
            parcel(
                FEDEX,
                "FedEx",
                "fedex",
                state=ParcelState.DELIVERED,
                found=True,
                delivered_at=NOW - timedelta(hours=5),
                signed_by="<b>PAT</b>",
                tds_estimate=date(2026, 3, 11),
                first_estimate=date(2026, 3, 12),
                estimate=date(2026, 3, 12),
                events=(ScanEvent(SHIPPED, ParcelState.IN_TRANSIT, "Picked up", "MEMPHIS, TN"), delivered_scan),
            ),
            parcel(
                UPS,
                "UPS",
                "ups",
                state=ParcelState.EXCEPTION,
                found=True,
                first_estimate=date(2026, 3, 12),
                estimate=date(2026, 3, 14),
                events=(ScanEvent(NOW - timedelta(hours=2), ParcelState.EXCEPTION, "Damaged", "LOUISVILLE, KY"),),
            ),
            parcel("H320463803", "UPS", None, ship_method="UPSN"),
        ],
    )
    settings = Settings(
        connectwise={"company": "c", "public_key": "p", "private_key": "k", "client_id": "x"},
        tdsynnex={"user_id": "u", "password": "pw", "customer_number": "1"},
        store={"url": "sqlite://"},
    )
    try:
        yield TestClient(create_app(settings, store, clock=SimClock(NOW)))
    finally:
        store.close()


def test_the_po_page_shows_each_package_escaped(client: TestClient) -> None:
    html = client.get("/po/default/7", headers=HTML).text
    section = html[html.index('id="packages"') :]
    section = section[: section.index("</section>")]
    # The tenant's tracking link for FedEx; the public UPS page for a proven UPS number; none for the other.
    assert f'href="https://track.example.com/?n={FEDEX}"' in section
    assert 'href="https://www.ups.com/' in section or "ups.com" in section
    assert "javascript:" not in section, "a stored link that is not http(s) is never a package's link"
    assert "Delivered" in section and "Carrier exception" in section and "Damaged" in section
    assert "signed by &lt;b&gt;PAT&lt;/b&gt;" in section
    assert HOSTILE not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in section
    assert "carrier first said 2026-03-12" in section, "the UPS estimate moved from the carrier's first one"
    assert "nobody: a forwarder reference no provider can follow" in section
    assert section.index(UPS) < section.index(FEDEX), "shipped together: by number"


def test_a_po_without_packages_has_no_packages_section(client: TestClient, tmp_path: Path) -> None:
    html = client.get("/po/default/8", headers=HTML)
    assert 'id="packages"' not in html.text


def test_the_reports_page_has_the_delivery_table_and_the_json_the_same_figures(client: TestClient) -> None:
    html = client.get("/reports", headers=HTML).text
    table = html[html.index('id="delivery-table"') :]
    table = table[: table.index("</table>")]
    assert "Carrier</span> FedEx" in table and "Carrier</span> UPS" in table
    figures = client.get("/reports.json").json()
    everything = figures["delivery"]["all"]
    assert everything["packages"] == 2, "the forwarder reference nobody follows is left out"
    assert everything["delivered"] == 1
    assert everything["vs_tdsynnex_on_time"] == 0 and everything["vs_tdsynnex_measured"] == 1  # a day late
    assert everything["vs_carrier_on_time"] == 1 and everything["vs_carrier_measured"] == 1
    assert figures["delivery_by_carrier"]["UPS"]["vs_carrier_overdue"] == 0  # estimate day is today
    assert figures["delivery_by_ship_method"]["FG"]["packages"] == 2


def test_no_stored_link_that_is_not_http_becomes_an_href_anywhere_on_the_po_page(client: TestClient) -> None:
    """The shipping card rendered the facts' links as they were stored; it now keeps only http(s) ones."""
    html = client.get("/po/default/7", headers=HTML).text
    assert 'href="javascript:' not in html
    assert "H320463803" in html, "the number is still shown, as text"
