"""The engine the benchmark measures: a live one, or one without the operator's view (`--no-operator-view`)."""

from __future__ import annotations

from orderbridge.runners.operator import live_engine
from orderbridge.sync.engine import Engine
from orderbridge.sync.tenant import Tenant


def bench_engine(tenant: Tenant, *, operator_view: bool) -> Engine:
    return live_engine(tenant) if operator_view else Engine(tenant)
