"""Prometheus `/metrics` and `/healthz`: what the daemon reports about its tenants, as Starlette routes.

One `DaemonMetrics` (and so one registry) per process, never the library's global one, so tests and
two daemons in one interpreter cannot see each other's numbers. Labels carry only tenant names from
the config, service names, HTTP statuses and error class names: never a URL, key or message text
(reliability-security.md 4.6 item 9). `metrics_routes` plugs into the dashboard's `create_app(...,
extra_routes=...)`; `metrics_app` is the tiny standalone app behind `orderbridge run --metrics-port`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from orderbridge.core.domain import Stage
from orderbridge.http import CallStats
from orderbridge.store import Store
from orderbridge.store.cursors import stage_counts, tracked_tenants
from orderbridge.sync.summary import CycleSummary

# Cycles take from well under a second (nothing due) to many minutes (a first full sync).
CYCLE_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)
DELAY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
PO_OUTCOMES = ("changed", "unchanged", "failed", "not_due")


@dataclass(frozen=True)
class HealthReport:
    ok: bool
    detail: Mapping[str, Any] = field(default_factory=dict)


class DaemonMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        self.cycle_seconds = Histogram(
            "orderbridge_cycle_duration_seconds",
            "Wall time of one sync cycle",
            ["tenant"],
            buckets=CYCLE_BUCKETS,
            registry=r,
        )
        self.cycles = Counter("orderbridge_cycles", "Sync cycles by outcome", ["tenant", "outcome"], registry=r)
        self.purchase_orders = Counter(
            "orderbridge_purchase_orders", "POs looked at per cycle, by outcome (G9)", ["tenant", "outcome"], registry=r
        )
        self.writes = Counter("orderbridge_connectwise_writes", "ConnectWise mutating calls", ["tenant"], registry=r)
        self.api_calls = Counter(
            "orderbridge_api_calls", "HTTP calls by service and status", ["tenant", "service", "status"], registry=r
        )
        self.retries = Counter("orderbridge_api_retries", "Retried HTTP calls", ["tenant", "service"], registry=r)
        self.errors = Counter("orderbridge_errors", "Failed POs and failed cycles", ["tenant", "kind"], registry=r)
        self.orders = Gauge("orderbridge_orders", "Tracked POs by stage", ["tenant", "stage"], registry=r)
        self.delay = Histogram(
            "orderbridge_change_to_update_seconds",
            "TD SYNNEX change observed -> ConnectWise updated (upper bound, see orderbridge.runners.daemon)",
            ["tenant"],
            buckets=DELAY_BUCKETS,
            registry=r,
        )
        self.last_success = Gauge(
            "orderbridge_last_success_timestamp_seconds", "When a cycle last finished", ["tenant"], registry=r
        )
        self._seen_calls: dict[tuple[str, str], CallStats] = {}

    def observe_cycle(
        self, tenant: str, summary: CycleSummary, *, duration_s: float, delays_s: Iterable[float], finished_at: float
    ) -> None:
        self.cycle_seconds.labels(tenant).observe(duration_s)
        self.cycles.labels(tenant, "ok").inc()
        for outcome in PO_OUTCOMES:
            self.purchase_orders.labels(tenant, outcome).inc(getattr(summary, outcome))
        self.writes.labels(tenant).inc(summary.writes)
        if summary.failed:
            self.errors.labels(tenant, "purchase_order").inc(summary.failed)
        for delay in delays_s:
            self.delay.labels(tenant).observe(max(0.0, delay))
        self.last_success.labels(tenant).set(finished_at)

    def observe_failure(self, tenant: str, error: BaseException, *, duration_s: float) -> None:
        self.cycle_seconds.labels(tenant).observe(duration_s)
        self.cycles.labels(tenant, "failed").inc()
        self.errors.labels(tenant, error_kind(error)).inc()

    def observe_calls(self, tenant: str, service: str, stats: CallStats) -> None:
        """Add what a client's cumulative `stats` gained since the last look."""
        before = self._seen_calls.get((tenant, service), CallStats())
        for (_method, status), count in stats.calls.items():
            gained = count - before.calls.get((_method, status), 0)
            if gained > 0:
                self.api_calls.labels(tenant, service, str(status)).inc(gained)
        if stats.retries > before.retries:
            self.retries.labels(tenant, service).inc(stats.retries - before.retries)
        self._seen_calls[(tenant, service)] = CallStats(calls=stats.calls.copy(), retries=stats.retries)

    def set_stages(self, tenant: str, counts: Mapping[Stage | None, int]) -> None:
        for stage in (None, *Stage):
            self.orders.labels(tenant, "new" if stage is None else stage.name.lower()).set(counts.get(stage, 0))

    def render(self) -> bytes:
        return generate_latest(self.registry)


def error_kind(error: BaseException) -> str:
    """A label-safe name for what failed: the exception class (of the first one in a group)."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return type(error).__name__


def metrics_routes(
    metrics: DaemonMetrics,
    health: Callable[[], HealthReport] | None = None,
    *,
    before_scrape: Callable[[], None] | None = None,
) -> list[Route]:
    """`/metrics` and `/healthz`. In a process that runs no cycles (the dashboard), pass
    `before_scrape=store_refresher(metrics, store)` so the orders-by-stage gauge comes from the store."""

    async def metrics_endpoint(_request: Request) -> Response:
        if before_scrape is not None:
            before_scrape()
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    async def health_endpoint(_request: Request) -> Response:
        report = health() if health is not None else HealthReport(ok=True)
        body = {"status": "ok" if report.ok else "unhealthy", **report.detail}
        return JSONResponse(body, status_code=200 if report.ok else 503)

    return [
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        Route("/healthz", health_endpoint, methods=["GET"]),
    ]


def store_refresher(metrics: DaemonMetrics, store: Store) -> Callable[[], None]:
    """Refresh the orders-by-stage gauge of every tenant in `store`: a few grouped counts per scrape."""

    def refresh() -> None:
        for tenant in tracked_tenants(store):
            metrics.set_stages(tenant, stage_counts(store, tenant))

    return refresh


def metrics_app(metrics: DaemonMetrics, health: Callable[[], HealthReport] | None = None) -> Starlette:
    """`/metrics` and `/healthz` alone, for the daemon's `--metrics-port`."""
    return Starlette(routes=metrics_routes(metrics, health))
