"""The dashboard shows ConnectWise records by name and every time in the `[display] timezone`, labelled."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from starlette.testclient import TestClient
from web_fixtures import Demo

from orderbridge.config import DisplaySettings
from orderbridge.store import ActivityEntry, ActivityFilter
from orderbridge.web.app import create_app

NAMED = re.compile(r"→ TDS (Accepted|Released|Shipped|Invoiced|Closed) \(#\d+\)")
BARE = re.compile(r"→ #\d+")


def test_activity_and_timeline_name_the_statuses_written(demo: Demo) -> None:
    client = TestClient(demo.app())
    html = client.get("/activity?action=write&limit=5000").text
    assert NAMED.search(html) and not BARE.search(html)
    write = next(e for e in demo.store.query_activity(ActivityFilter(actions=("write",))) if e.field == "status")
    timeline = client.get(f"/po/{write.tenant}/{write.po_id}").text
    assert NAMED.search(timeline) and not BARE.search(timeline)


def test_pages_show_times_in_the_display_zone_and_say_which(demo: Demo) -> None:
    at = datetime(2026, 1, 5, 16, 0, tzinfo=UTC)
    entry = ActivityEntry(at=at, tenant="tz", actor="orderbridge", action="error", po_number="PO-TZWEB", reason="x")
    demo.store.append_activity([entry])
    settings = demo.history.settings.model_copy(update={"display": DisplaySettings(timezone="Europe/Berlin")})
    client = TestClient(create_app(settings, demo.store, clock=demo.history.clock))
    html = client.get("/activity?po=PO-TZWEB").text
    assert "When (Europe/Berlin)" in html and "times in Europe/Berlin" in html
    assert "2026-01-05 17:00:00" in html and "16:00:00" not in html
    assert "UTC" not in html
    # A day typed in the filter is a day of the same zone: 23:30 UTC on the 5th is the 6th in Berlin.
    late = datetime(2026, 1, 5, 23, 30, tzinfo=UTC)
    demo.store.append_activity(
        [ActivityEntry(at=late, tenant="tz", actor="orderbridge", action="error", po_number="PO-TZLATE", reason="y")]
    )
    assert "2026-01-06 00:30:00" in client.get("/activity?po=PO-TZLATE&since=2026-01-06&until=2026-01-06").text
    assert "2026-01-06 00:30:00" not in client.get("/activity?po=PO-TZLATE&until=2026-01-05").text
    for path in ("/orders", "/alerts", "/reports"):
        assert "times in Europe/Berlin" in client.get(path).text, path
