"""Query parameters as the pages read them: forgiving, because they come from a browser's URL bar.

A malformed value is treated as absent (the page shows everything) rather than an error page; the
filter form shows what was actually applied, so the operator sees at once that it was ignored.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

from starlette.requests import Request

from orderbridge.core.domain import Stage


def text(request: Request, name: str, *, limit: int = 100) -> str | None:
    value = request.query_params.get(name, "").strip()
    return value[:limit] or None


def stage(request: Request, name: str = "stage") -> Stage | None:
    value = (text(request, name) or "").upper()
    return Stage[value] if value in Stage.__members__ else None


def day(request: Request, name: str, *, end: bool = False, zone: tzinfo = UTC) -> datetime | None:
    """`YYYY-MM-DD` as the start of that day in `zone` (the display zone the pages show times in); with
    `end`, the start of the next (an exclusive bound)."""
    value = text(request, name, limit=10)
    if value is None:
        return None
    try:
        start = datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        return None
    # The next day's midnight, not start + 24 h: a day with a summer-time change is 23 or 25 hours long.
    return (start + timedelta(days=1) if end else start).replace(tzinfo=zone)


def number(request: Request, name: str, default: int, *, low: int = 1, high: int = 10_000) -> int:
    try:
        value = int(request.query_params.get(name, default))
    except ValueError:
        return default
    return min(max(value, low), high)
