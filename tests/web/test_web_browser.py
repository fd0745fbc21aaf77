"""The dashboard in a real headless Chromium (Debian's package, driven by Playwright): every page
loads without script errors, a filter narrows the list, and CSV export downloads the rows shown.

Skipped, with the reason, only where Chromium or Playwright is absent; CI installs both.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tools.screenshots.shoot import CHROMIUM_ARGS, chromium_path
from web_fixtures import Demo

from orderbridge.simulators.serve import RunningServer, start_server

playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install)")
CHROMIUM = chromium_path()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install -y --no-install-recommends chromium)"
)


@pytest.fixture(scope="module")
def server(demo: Demo) -> Iterator[RunningServer]:
    running = start_server(demo.app())
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    opened.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    opened.errors = errors
    try:
        yield opened
    finally:
        context.close()


def test_every_page_loads_without_script_errors(server: RunningServer, page: Any, demo: Demo) -> None:
    page.goto(server.url + "/orders")
    assert page.title() == "Orders · orderbridge"
    first = page.locator("#orders-table tbody tr.order-row a.strong").first
    po_number = first.inner_text()
    first.click()
    page.wait_for_selector("#timeline")
    assert po_number in page.locator("h1").inner_text()
    assert page.locator("#stepper li").count() == 5
    for path, heading in (("/activity", "Activity log"), ("/alerts", "Alerts"), ("/reports", "Delivery report")):
        page.goto(server.url + path)
        assert page.locator("h1").inner_text().startswith(heading)
    # The charts really drew: Chart.js registered an instance on every canvas.
    drawn = page.evaluate(
        "() => ['chart-legs','chart-stages','chart-carriers','chart-warehouses']"
        ".map(id => Chart.getChart(document.getElementById(id)) !== undefined)"
    )
    assert drawn == [True, True, True, True]
    assert page.errors == []


def test_a_filter_narrows_the_orders_list(server: RunningServer, page: Any) -> None:
    page.goto(server.url + "/orders")
    before = page.locator("tr.order-row").count()
    page.select_option("#filter-stage", "shipped")
    page.click("#apply-filters")
    page.wait_for_url("**/orders?*stage=shipped*")
    after = page.locator("tr.order-row").count()
    assert 0 < after < before
    badges = page.locator("tr.order-row .badge.stage-shipped").count()
    assert badges == after
    assert page.locator("#order-count").inner_text() == str(after)


def test_csv_export_downloads_the_rows_shown(server: RunningServer, page: Any, tmp_path: Path) -> None:
    page.goto(server.url + "/activity")
    page.fill("#filter-po", "PO-1002")
    page.select_option("#filter-action", "write")
    page.click("#apply-filters")
    page.wait_for_url("**/activity?*po=PO-1002*")
    shown = page.locator("tr.activity-row")
    count = shown.count()
    assert count > 0
    with page.expect_download() as info:
        page.click("#export-csv")
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    with target.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == count
    assert {(row["po_number"], row["action"]) for row in rows} == {("PO-1002", "write")}
    shown_fields = [shown.nth(i).locator("td").nth(3).inner_text() for i in range(count)]
    assert [row["field"] for row in rows] == shown_fields


def test_orders_csv_export_matches_the_filtered_list(server: RunningServer, page: Any, tmp_path: Path) -> None:
    page.goto(server.url + "/orders?stage=invoiced")
    links = page.locator("tr.order-row a.strong")
    shown = [links.nth(i).inner_text() for i in range(links.count())]
    with page.expect_download() as info:
        page.click("#export-csv")
    target = tmp_path / "orders.csv"
    info.value.save_as(target)
    with target.open(encoding="utf-8") as handle:
        assert [row["po_number"] for row in csv.DictReader(handle)] == shown
