"""What a ConnectWise reply means: error JSON onto our error tree, bodies into models, Link into a cursor.

Split from the client so the client reads as a list of endpoints, and so these rules (which status
stops the run, which skips one PO, where the next page starts) sit together and can be read at once.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

import httpx
import pydantic_core
from pydantic import BaseModel, ValidationError

from orderbridge.connectwise.models import ErrorBody
from orderbridge.core.errors import (
    ApiError,
    AuthError,
    AuthSuspected,
    MalformedResponse,
    RequestRejected,
    TransientApiError,
    WriteRejected,
)
from orderbridge.http import Reply

SERVICE = "connectwise"
_LINK_ENTRY = re.compile(r"<([^>]*)>([^<]*)")
_REL = re.compile(r"""rel\s*=\s*"?([^";,]+)""", re.IGNORECASE)
M = TypeVar("M", bound=BaseModel)


class MalformedApiResponse(ApiError, MalformedResponse):
    """A 2xx whose body is not the JSON ConnectWise promises (HTML from a proxy, wrong shape)."""


def _api_error(cls: type[ApiError], message: str, reply: Reply, body: ErrorBody | None) -> ApiError:
    return cls(
        message,
        service=SERVICE,
        status=reply.status,
        body_excerpt=reply.text,
        request_id=reply.request_id,
        code=body.code if body else None,
    )


def raise_for_error(reply: Reply, *, method: str, what: str, write: bool, per_record: bool = False) -> None:
    """Map a non-2xx reply onto the error tree (retriable statuses were already retried by ServiceHTTP).

    A 401/403 on a call that speaks for the whole tenant (the PO listing, statuses) is decisive. On one PO's
    own record (`per_record`) it is only suspect: ConnectWise security roles can forbid one record or one
    action, so it fails that PO and the cycle's credentials judge (sync/credentials.py) decides the rest.
    """
    if reply.status < 300:
        return
    try:
        body: ErrorBody | None = ErrorBody.model_validate_json(reply.content)
    except ValidationError:
        body = None
    detail = body.summary() if body else f"HTTP {reply.status} without an error body"
    if reply.status in (401, 403) and per_record:
        refused = "forbade" if reply.status == 403 else "refused the credentials on"
        raise _api_error(
            AuthSuspected,
            f"ConnectWise {refused} {method} {what} ({detail}); the API member's security role may not allow "
            "this record or action",
            reply,
            body,
        )
    if reply.status in (401, 403):
        raise _api_error(
            AuthError,
            f"ConnectWise refused the credentials on {method} {what} ({detail}); check the company id, public "
            "key, private key and clientId, and that the API member's security role allows Procurement",
            reply,
            body,
        )
    if reply.status >= 500:
        raise _api_error(TransientApiError, f"ConnectWise failed on {method} {what}: {detail}", reply, body)
    if write:
        raise _api_error(WriteRejected, f"ConnectWise refused {method} of {what}: {detail}", reply, body)
    raise _api_error(RequestRejected, f"ConnectWise rejected {method} {what}: {detail}", reply, body)


def decode(reply: Reply, what: str, expected: type[list[Any]] | type[dict[str, Any]]) -> Any:
    try:
        # pydantic-core's parser (already here for the models) reads a 1,000-PO page in two thirds of
        # json.loads' time. It refuses a lone surrogate escape ("\ud800") that json.loads takes, so
        # json.loads has the last word: one odd character in a record must not cost the whole page.
        data = pydantic_core.from_json(reply.content)
    except ValueError:
        try:
            data = json.loads(reply.content)
        except ValueError:
            data = None
    if not isinstance(data, expected):
        kind = reply.headers.get("content-type", "no content type")
        raise MalformedApiResponse(
            f"{what}: expected a JSON {expected.__name__}, got {kind} ({len(reply.content)} bytes)",
            service=SERVICE,
            status=reply.status,
            body_excerpt=reply.text,
            request_id=reply.request_id,
        )
    return data


def parse(model: type[M], data: Any, what: str, reply: Reply) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        # Field locations only: the pydantic message would quote record data into logs.
        where = ", ".join(".".join(map(str, e["loc"])) for e in exc.errors()[:3])
        raise MalformedApiResponse(
            f"{what}: {model.__name__} not as documented ({where})",
            service=SERVICE,
            status=reply.status,
            request_id=reply.request_id,
        ) from None


def next_link(header: str | None) -> str | None:
    """The next URL from a Link header: None when there is no header, "" when it names no next page.

    Navigable paging marks it `rel="next"`; CTC reads a forward-only Link as one bare URL, so an entry
    without any rel counts as next too (exact forward-only form UNCONFIRMED).
    """
    if header is None:
        return None
    bare: list[str] = []
    for entry in _LINK_ENTRY.finditer(header):
        url, rels = entry.group(1), _REL.findall(entry.group(2))
        if any("next" in rel.lower().split() for rel in rels):
            return url.strip()
        if not rels:
            bare.append(url.strip())
    return bare[0] if bare else ""


def next_cursor(
    reply: Reply, items: list[Any], cursor: dict[str, str], *, forward_only: bool, links_seen: bool
) -> dict[str, str] | None:
    """Where the next page starts, or None when this was the last one.

    The end of a forward-only walk is an empty Link (CTC's reading) or no Link at all (UNCONFIRMED
    which); both stop once earlier pages carried a Link. Only the cursor is taken from the Link URL:
    we re-send our own path and filters, so a link that drops `conditions` (UNCONFIRMED whether they
    are echoed) cannot widen the query, and credentials never go to whatever host a header names.
    """
    key = "pageId" if forward_only else "page"
    link = next_link(reply.headers.get("link"))
    if link == "":
        return None  # present but empty: the documented end of a forward-only walk
    if link:
        params = httpx.URL(link).params
        for name, value in params.multi_items():
            if name.lower() == key.lower() and value.strip().isdigit():
                return {key: value.strip()}
        # A next link without a cursor we recognise: fall through and derive it.
    elif links_seen:
        return None  # the Link header went away after earlier pages had one: this was the last page
    # A full page and never a Link: the endpoint ignores paging headers. Rather than silently drop
    # every record past this page, continue as documented (pageId = last id returned; page + 1).
    if forward_only:
        last = items[-1].get("id") if isinstance(items[-1], dict) else None
        return {key: str(last)} if isinstance(last, int) else None
    return {key: str(int(cursor.get(key, "1")) + 1)}
