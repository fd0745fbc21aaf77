"""Templates and the small formatting rules every page shares (times in the display zone, ages, stage colours).

One Jinja2 environment with autoescaping on for every template; a page handler passes plain values
and `render` adds what each page needs (the CSRF token and its cookie, the clock, the active tab).
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from orderbridge.alerts.rules import RULE_LABELS
from orderbridge.core.clock import Clock
from orderbridge.core.display import UTC_DISPLAY, DisplayZone, value_text
from orderbridge.core.domain import Stage
from orderbridge.store.activity import defuse_cell
from orderbridge.web.security import CSRF_FIELD, csrf_token, set_csrf_cookie

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


def when(value: datetime | date | None, fmt: str = "%Y-%m-%d %H:%M", *, zone: DisplayZone = UTC_DISPLAY) -> str:
    """A stored (UTC) time in the display zone; a calendar date (an ETA, an invoice date) as it is."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return zone.format(value, fmt)
    return value.isoformat()


def ago(value: datetime | None, now: datetime) -> str:
    if value is None:
        return ""
    seconds = (now - value).total_seconds()
    if seconds < 0:
        return "just now"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return "just now"


def cw_value(value: str | None) -> str:
    """An activity value for people: a ConnectWise reference `{"id": 7, "name": "X"}` reads as `X (#7)`."""
    return value_text(value) if value else "(empty)"


def stage_css(stage: Stage | None) -> str:
    return f"stage-{stage.name.lower()}" if stage is not None else "stage-none"


def web_url(url: str | None) -> str | None:
    """`url` when it is an http(s) link, else None: a stored link becomes an href only then (the
    `web_url` filter in templates; facts are built http(s)-only, and the page does not rely on it)."""
    return url if url and urlsplit(url).scheme.lower() in ("http", "https") else None


def make_environment(zone: DisplayZone = UTC_DISPLAY) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = functools.partial(when, zone=zone)
    env.globals["zone"] = zone.label  # every page's footer and time columns say which zone they are in
    env.filters["stage_css"] = stage_css
    env.filters["cw_value"] = cw_value
    env.filters["web_url"] = web_url
    env.globals["rule_labels"] = RULE_LABELS
    env.globals["stages"] = list(Stage)
    env.globals["csrf_field"] = CSRF_FIELD
    return env


@dataclass
class Renderer:
    env: jinja2.Environment
    clock: Clock
    token_required: bool
    zone: DisplayZone = UTC_DISPLAY  # dates typed in the filters are days of this zone, as the pages show

    def page(self, request: Request, name: str, context: dict[str, Any], *, status_code: int = 200) -> Response:
        token, new = csrf_token(request)
        now = self.clock.now()
        values = {
            "request": request,
            "csrf": token,
            "now": now,
            "ago": lambda value: ago(value, now),
            "token_required": self.token_required,
            "query": lambda **changes: query_string(request, **changes),
            **context,
        }
        html = self.env.get_template(name).render(values)
        response = HTMLResponse(html, status_code=status_code)
        if new:
            set_csrf_cookie(response, request, token)
        return response


def query_string(request: Request, **changes: Any) -> str:
    """The current query with some parameters replaced (None removes one): for export and paging links."""
    params = {k: v for k, v in request.query_params.items() if k not in changes}
    params.update({k: str(v) for k, v in changes.items() if v is not None and v != ""})
    return ("?" + urlencode(params)) if params else ""


def csv_response(header: Sequence[str], rows: Iterable[Sequence[Any]], filename: str) -> Response:
    """CSV for spreadsheets: formula-looking cells are defused exactly as the activity export does."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([defuse_cell(cell) for cell in row])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )
