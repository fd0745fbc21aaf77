"""`python -m tools.bench [--orders N] ...`: run the benchmark and print its figures.

The last line printed is one JSON object (n_orders, wall_s, bound_s, ratio_to_bound, calls,
min_calls, calls_ratio, cpu_s_per_1000, peak_rss_mb, second_cycle_writes, and from the carrier journey
phase carrier_packages, carrier_calls_per_package, carrier_min_per_package, carrier_calls_ratio) so
scripts can parse it.
The lines before it include `priming` (route and seconds) and what the peak RSS covers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import datetime, timedelta

from orderbridge.core.runtime import tune_for_sync

from .run import PRIME_ROUTES, BenchOptions, run_bench


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__)
    parser.add_argument("--orders", type=int, default=10_000, help="tracked POs to seed (default 10,000)")
    parser.add_argument("--advance-minutes", type=float, default=120, help="TD SYNNEX time between syncs")
    parser.add_argument("--tds-rate", type=int, default=12_000, help="TD SYNNEX requests per minute")
    parser.add_argument("--tds-concurrency", type=int, default=64)
    parser.add_argument("--latency-scale", type=float, default=1.0, help="multiply both latency profiles")
    parser.add_argument("--no-operator-view", action="store_true", help="leave out facts and alerts")
    parser.add_argument(
        "--prime",
        choices=PRIME_ROUTES,
        default=BenchOptions.prime,
        help="where the unmeasured priming cycle runs: its own process over sockets (default), the simulator "
        "process with in-process transports, or this process over sockets (the old route; counted in peak RSS)",
    )
    parser.add_argument(
        "--start",
        type=datetime.fromisoformat,
        default=None,
        help="TD SYNNEX's 'now' at seeding (ISO 8601 with offset); the same start gives the same book",
    )
    parser.add_argument(
        "--journey-days",
        type=float,
        default=BenchOptions.journey_days,
        help="simulated days of the carrier journey phase after the measured cycles (0: none)",
    )
    parser.add_argument("--journey-step-hours", type=float, default=3.0, help="simulated hours between its cycles")
    parser.add_argument(
        "--journey-orders",
        type=int,
        default=BenchOptions.journey_orders,
        help="the first N POs whose packages the journey phase follows (default 2,000)",
    )
    args = parser.parse_args(argv)
    opts = BenchOptions(
        orders=args.orders,
        advance=timedelta(minutes=args.advance_minutes),
        tds_per_minute=args.tds_rate,
        tds_concurrency=args.tds_concurrency,
        operator_view=not args.no_operator_view,
        prime=args.prime,
        start=args.start,
        journey_days=args.journey_days,
        journey_step=timedelta(hours=args.journey_step_hours),
        journey_orders=args.journey_orders,
        tds_latency=(0.200 * args.latency_scale, 1.0 * args.latency_scale),
        cw_latency=(0.080 * args.latency_scale, 0.300 * args.latency_scale),
    )
    tune_for_sync()  # as `orderbridge sync` and `run` do: the bench measures what they run with
    figures = asyncio.run(run_bench(opts))
    for key, value in figures["detail"].items():
        sys.stdout.write(f"{key}: {json.dumps(value)}\n")
    sys.stdout.write(json.dumps(figures["result"]) + "\n")


if __name__ == "__main__":
    main()
