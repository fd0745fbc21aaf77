"""The reports page: key figures, charts (Chart.js, vendored, no build step) and the same numbers as
tables, plus CSV and JSON downloads produced by the very code behind `orderbridge report`.

The chart data travels as JSON inside the page (`<script type="application/json">`), read by a
static script, so the Content-Security-Policy can forbid inline scripts altogether.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from orderbridge.core.clock import Clock
from orderbridge.reports.figures import NONE_YET, Report
from orderbridge.reports.load import load_report
from orderbridge.reports.render import ReportFormat, write_report
from orderbridge.store import Store
from orderbridge.store.facts import known_tenants
from orderbridge.web import params
from orderbridge.web.rendering import Renderer

MEDIA = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


def chart_data(report: Report) -> dict[str, Any]:
    """Only what the charts draw; the tables on the page carry the rest."""

    def top(groups: Any, n: int = 10) -> list[Any]:
        # "(not known yet)" has nothing to draw: no shipments, no on-time figure.
        return [g for g in groups if g.name != NONE_YET][:n]

    return {
        "legs": {"labels": [leg.label for leg in report.legs], "mean": [leg.days.mean for leg in report.legs]},
        "stages": {"labels": list(report.by_stage), "counts": list(report.by_stage.values())},
        "carriers": {
            "labels": [g.name for g in top(report.by_carrier)],
            "on_time": [g.on_time.on_time for g in top(report.by_carrier)],
            "late": [g.on_time.late for g in top(report.by_carrier)],
        },
        "warehouses": {
            "labels": [f"WH {g.name}" for g in top(report.by_warehouse, 12)],
            "orders": [g.orders for g in top(report.by_warehouse, 12)],
            "days": [g.days_to_ship.mean for g in top(report.by_warehouse, 12)],
        },
    }


@dataclass
class ReportViews:
    store: Store
    renderer: Renderer
    clock: Clock

    def _report(self, request: Request) -> tuple[Report, dict[str, Any]]:
        chosen = {
            "tenant": params.text(request, "tenant"),
            "since": params.text(request, "since", limit=10),
            "until": params.text(request, "until", limit=10),
        }
        report = load_report(
            self.store,
            now=self.clock.now(),
            tenant=chosen["tenant"],
            since=params.day(request, "since", zone=self.renderer.zone.zone),
            until=params.day(request, "until", end=True, zone=self.renderer.zone.zone),
            zone=self.renderer.zone.zone,
        )
        return report, chosen

    async def reports(self, request: Request) -> Response:
        report, chosen = self._report(request)
        context = {
            "tab": "reports",
            "report": report,
            "chart": chart_data(report),
            "chosen": chosen,
            "tenants": known_tenants(self.store),
        }
        return self.renderer.page(request, "reports.html", context)

    async def download(self, request: Request) -> Response:
        fmt: ReportFormat = "json" if request.path_params["fmt"] == "json" else "csv"
        report, _ = self._report(request)
        out = io.StringIO()
        write_report(report, fmt, out)
        return Response(
            out.getvalue(),
            media_type=MEDIA[fmt],
            headers={"content-disposition": f'attachment; filename="orderbridge-report.{fmt}"'},
        )
