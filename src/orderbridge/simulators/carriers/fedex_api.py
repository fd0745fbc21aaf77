"""Routes of the simulated FedEx APIs: the OAuth token and Track by tracking numbers (carriers.md §3).

Token: `POST /oauth/token`, form fields `grant_type`, `client_id`, `client_secret`; `expires_in` is an
integer. Track: `POST /track/v1/trackingnumbers` with a Bearer token and 1-30 `trackingInfo` entries;
every number's outcome is inside HTTP 200 (NOTFOUND for one FedEx does not know), in request order.
`x-customer-transaction-id` is echoed as `customerTransactionId`.
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse

from orderbridge.simulators.carriers import errors
from orderbridge.simulators.carriers.auth import bearer_token, same_secret
from orderbridge.simulators.carriers.render_fedex import complete_result, track_result
from orderbridge.simulators.carriers.state import CarrierState, Handled

MAX_NUMBERS = 30


async def token(state: CarrierState, request: Request) -> Handled:
    form = parse_qs((await request.body()).decode("utf-8", errors="replace"))
    client_id, secret = (form.get("client_id") or [""])[0], (form.get("client_secret") or [""])[0]
    client = state.oauth_clients["fedex"].get(client_id)
    if client is None or not same_secret(secret, client.client_secret):
        raise errors.fedex_invalid_client()
    if form.get("grant_type") != ["client_credentials"]:
        raise errors.ProviderError("fedex", 400, "BAD.REQUEST.ERROR", "grant_type must be client_credentials.")
    book = state.tokens["fedex"]
    body = {
        "access_token": book.issue(client.client_id),
        "token_type": "bearer",
        "expires_in": int(book.lifetime.total_seconds()),
        "scope": "CXS",
    }
    return JSONResponse(body), (), "token"


def _numbers(body: Any) -> list[str]:
    info = body.get("trackingInfo") if isinstance(body, dict) else None
    if not isinstance(info, list) or not info:
        raise errors.fedex_empty()
    if len(info) > MAX_NUMBERS:
        raise errors.fedex_too_many(len(info))
    numbers = []
    for entry in info:
        number_info = entry.get("trackingNumberInfo") if isinstance(entry, dict) else None
        number = str(number_info.get("trackingNumber") or "").strip() if isinstance(number_info, dict) else ""
        if not number:
            raise errors.fedex_empty()
        numbers.append(number)
    return numbers


async def track(state: CarrierState, request: Request) -> Handled:
    checked = state.tokens["fedex"].check(bearer_token(request.headers.get("authorization", "")) or "")
    if checked != "ok":
        raise errors.fedex_expired_token()
    try:
        numbers = _numbers(json.loads(await request.body() or b"{}"))
    except ValueError:
        raise errors.ProviderError(
            "fedex", 400, "INVALID.INPUT.EXCEPTION", "Invalid field value in the input"
        ) from None
    now = state.clock.now()
    results = []
    missing = 0
    for number in numbers:
        journey = state.journey(number)
        found = track_result(journey, now) if journey is not None and journey.parcel.carrier == "FedEx" else None
        missing += found is None
        results.append(complete_result(number, found, invalid=state.answer(number) == "invalid"))
    output: dict[str, Any] = {"completeTrackResults": results}
    if missing:
        output["alerts"] = "TRACKING.DATA.NOTFOUND -  Tracking data unavailable"
    body: dict[str, Any] = {"transactionId": str(uuid.uuid4())}
    echo = request.headers.get("x-customer-transaction-id")
    if echo:
        body["customerTransactionId"] = echo
    body["output"] = output
    return JSONResponse(body), tuple(numbers), f"{len(numbers) - missing} found"
