"""Both ConnectWise paging modes and their RFC 5988 `Link` headers (reference §2.5).

Navigable (default): `page` (1-based) + `pageSize` (25 default, 1000 max); `Link` carries first/prev/next/last,
prev and next left out when there is no such page. Forward-only (`pagination-type: forward-only`): rows with
`id > pageId` in id order, no `orderBy`; `Link` is always present, holding the next `pageId` while more rows
exist and empty after the last page — inferred from CTC's client, which stops on an empty `Link` value.
Link URLs repeat the request's own query (conditions included) with the page parameter replaced; whether
the live API echoes the other parameters is UNCONFIRMED, and a client that follows the URL works either way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from .errors import BadRequest

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True, slots=True)
class PageRequest:
    size: int
    page: int = 1
    page_id: int | None = None
    forward_only: bool = False


def _integer(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name.lower())
    if raw is None or raw.strip() == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise BadRequest(f"The value '{raw}' is not valid for {name}.") from None


def parse_paging(params: Mapping[str, str], forward_only: bool) -> PageRequest:
    """`params` has lower-cased keys (query parameter names bind case-insensitively)."""
    size = _integer(params, "pageSize")
    if size is None:
        size = DEFAULT_PAGE_SIZE
    if not 1 <= size <= MAX_PAGE_SIZE:
        # The DG gives 1000 as the maximum; whether larger values are clamped or refused is UNCONFIRMED.
        # Refusing makes a client that asks for too much find out here rather than silently get less.
        raise BadRequest(f"pageSize must be between 1 and {MAX_PAGE_SIZE}; {size} was requested.")
    if forward_only:
        if params.get("orderby", "").strip():
            raise BadRequest("orderBy is not supported with forward-only pagination; results come in id order.")
        return PageRequest(size=size, page_id=_integer(params, "pageId"), forward_only=True)
    page = _integer(params, "page")
    if page is None:
        page = 1
    if page < 1:
        raise BadRequest(f"page must be 1 or more; {page} was requested.")
    return PageRequest(size=size, page=page)


def _url(base: str, items: Sequence[tuple[str, str]], replace: Mapping[str, str], drop: tuple[str, ...] = ()) -> str:
    skip = {name.lower() for name in (*replace, *drop)}
    kept = [(key, value) for key, value in items if key.lower() not in skip]
    return f"{base}?{urlencode([*kept, *replace.items()], quote_via=quote)}"


def navigable_links(base: str, items: Sequence[tuple[str, str]], request: PageRequest, total: int) -> str:
    last = max(1, -(-total // request.size))
    size = str(request.size)
    rels = [("first", 1)]
    if request.page > 1:
        rels.append(("prev", min(request.page - 1, last)))
    if request.page < last:
        rels.append(("next", request.page + 1))
    rels.append(("last", last))
    return ", ".join(f'<{_url(base, items, {"pageSize": size, "page": str(page)})}>; rel="{rel}"' for rel, page in rels)


def forward_link(base: str, items: Sequence[tuple[str, str]], request: PageRequest, last_id: int | None) -> str:
    if last_id is None:
        return ""
    replace = {"pageSize": str(request.size), "pageId": str(last_id)}
    return f'<{_url(base, items, replace, drop=("page",))}>; rel="next"'
