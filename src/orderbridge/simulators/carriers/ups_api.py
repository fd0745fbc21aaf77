"""Routes of the simulated UPS APIs: the OAuth token and Track by number (carriers.md §2).

Token: `POST /security/v1/oauth/token`, Basic `client_id:client_secret`, form `grant_type=
client_credentials`; every field of the answer is a string. Track: `GET /api/track/v1/details/{n}`
with a Bearer token and the required `transId` (at most 32 characters) and `transactionSrc` headers.
Only UPS packages are known; anything else is HTTP 200 with warning TW0001, as the live API answers.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse

from orderbridge.simulators.carriers import errors
from orderbridge.simulators.carriers.auth import basic_credentials, bearer_token, same_secret
from orderbridge.simulators.carriers.render_ups import package_json, track_response
from orderbridge.simulators.carriers.state import CarrierState, Handled

TRANS_ID_MAX = 32
TRANSACTION_SRC_MAX = 512


async def token(state: CarrierState, request: Request) -> Handled:
    credentials = basic_credentials(request.headers.get("authorization", ""))
    client = state.oauth_clients["ups"].get(credentials[0]) if credentials else None
    if credentials is None or client is None or not same_secret(credentials[1], client.client_secret):
        raise errors.ups_invalid_client()
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        raise errors.ProviderError("ups", 400, "10007", "Content type not supported")
    form = parse_qs((await request.body()).decode("utf-8", errors="replace"))
    if form.get("grant_type") != ["client_credentials"]:
        raise errors.ups_bad_request("Invalid or missing grant_type")
    book = state.tokens["ups"]
    issued = book.issue(client.client_id)
    now = state.clock.now()
    body = {
        "token_type": "Bearer",
        "issued_at": str(int(now.timestamp() * 1000)),
        "client_id": client.client_id,
        "access_token": issued,
        "scope": "",
        "expires_in": str(int(book.lifetime.total_seconds())),
        "refresh_count": "0",
        "status": "approved",
    }
    return JSONResponse(body), (), "token"


async def track(state: CarrierState, request: Request) -> Handled:
    checked = state.tokens["ups"].check(bearer_token(request.headers.get("authorization", "")) or "")
    if checked == "expired":
        raise errors.ups_expired_token()
    if checked != "ok":
        raise errors.ups_invalid_token()
    trans_id, source = request.headers.get("transid", ""), request.headers.get("transactionsrc", "")
    if not trans_id or len(trans_id) > TRANS_ID_MAX:
        raise errors.ups_bad_request("Missing or invalid transId header (1-32 characters)")
    if not source or len(source) > TRANSACTION_SRC_MAX:
        raise errors.ups_bad_request("Missing or invalid transactionSrc header (1-512 characters)")
    number = request.path_params["inquiry_number"].strip()
    if not 7 <= len(number) <= 34 or state.answer(number) == "invalid":
        raise errors.ups_invalid_number()
    journey = state.journey(number)
    package = None
    if journey is not None and journey.parcel.carrier == "UPS":
        package = package_json(journey, state.clock.now())
    outcome = "found" if package is not None else "TW0001"
    return JSONResponse(track_response(number, package)), (number,), outcome
