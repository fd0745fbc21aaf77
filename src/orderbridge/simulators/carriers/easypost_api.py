"""Routes of the simulated EasyPost API: `/v2/trackers` and `/v2/webhooks` (carriers.md §1).

Auth is HTTP Basic with the key as user name (the documented form) or `Bearer <key>` (what the official
Python client sends). A create returns the account's tracker for the same code and carrier from the
last three months with 200, else a new one with 201 and a Location header. Test keys track only the
EZ... test codes; another number gets a tracker with status `error` (EasyPost's cassette). Production
keys follow the TD SYNNEX simulator's packages; a number no carrier knows yet is status `unknown`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from orderbridge.carriers.easypost_webhook import CARRIER_NAMES
from orderbridge.simulators.carriers import errors
from orderbridge.simulators.carriers.auth import ApiKey, basic_credentials, bearer_token
from orderbridge.simulators.carriers.journeys import test_code_journey
from orderbridge.simulators.carriers.render_easypost import fingerprint, tracker_json
from orderbridge.simulators.carriers.state import CarrierState, Handled, Tracker
from orderbridge.simulators.carriers.webhooks import tracker_event


def api_key(state: CarrierState, request: Request) -> ApiKey:
    header = request.headers.get("authorization", "")
    basic = basic_credentials(header)
    given = basic[0] if basic is not None else bearer_token(header)
    key = state.api_keys.get(given or "")
    if key is None:
        raise errors.easypost_unauthorized()
    return key


def tracker_body(state: CarrierState, tracker: Tracker, now: datetime) -> dict[str, Any]:
    """The tracker as EasyPost shows it at `now`: its journey (a test code's, or the package's)."""
    if tracker.mode == "test":
        journey = test_code_journey(tracker.tracking_code, _ours(tracker.carrier), tracker.created_at)
        return tracker_json(tracker, journey, now, test_mode_error=journey is None)
    journey = state.journey(tracker.tracking_code)
    return tracker_json(tracker, journey, now)


def _ours(carrier: str) -> str:
    return CARRIER_NAMES.get(carrier.casefold(), carrier)


async def _json_body(request: Request) -> Any:
    try:
        return json.loads(await request.body() or b"{}")
    except ValueError:
        raise errors.ProviderError("easypost", 400, "BAD_REQUEST", "The request body is not valid JSON.") from None


async def create_tracker(state: CarrierState, request: Request) -> Handled:
    key = api_key(state, request)
    body = await _json_body(request)
    spec = body.get("tracker") if isinstance(body, dict) else None
    code = str(spec.get("tracking_code") or "").strip() if isinstance(spec, dict) else ""
    if not code:
        raise errors.easypost_required("tracking_code", "tracker")
    carrier = str(spec.get("carrier") or "").strip() if isinstance(spec, dict) else ""
    if state.answer(code) == "invalid":
        raise errors.easypost_tracker_error("Invalid tracking code")
    parcel = state.parcel(code) if key.mode == "production" else None
    if carrier and parcel is not None and _ours(carrier).casefold() != parcel.carrier.casefold():
        raise errors.easypost_tracker_error("The tracking number does not belong to the carrier")
    existing = state.find_tracker(key, code, carrier)
    now = state.clock.now()
    if existing is not None:
        return JSONResponse(tracker_body(state, existing, now)), (code,), "existing"
    tracker = state.add_tracker(key, code, carrier)
    shown = tracker_body(state, tracker, now)
    tracker.sent = fingerprint(shown)
    state.webhooks.queue(tracker_event("tracker.created", shown, {}, now), tracker.mode)
    headers = {"Location": f"/api/v2/trackers/{tracker.id}"}
    return JSONResponse(shown, status_code=201, headers=headers), (code,), "created"


def _own_tracker(state: CarrierState, key: ApiKey, tracker_id: str) -> Tracker:
    tracker = state.trackers.get(tracker_id)
    if tracker is None or (tracker.user_id, tracker.mode) != (key.user_id, key.mode):
        raise errors.easypost_not_found()
    return tracker


async def get_tracker(state: CarrierState, request: Request) -> Handled:
    key = api_key(state, request)
    tracker = _own_tracker(state, key, request.path_params["tracker_id"])
    body = tracker_body(state, tracker, state.clock.now())
    return JSONResponse(body), (tracker.tracking_code,), "read"


async def delete_tracker(state: CarrierState, request: Request) -> Handled:
    key = api_key(state, request)
    tracker = _own_tracker(state, key, request.path_params["tracker_id"])
    state.trackers.pop(tracker.id, None)
    return JSONResponse({"success": True}), (tracker.tracking_code,), "deleted"


async def list_trackers(state: CarrierState, request: Request) -> Handled:
    key = api_key(state, request)
    query = request.query_params
    try:
        size = min(100, max(1, int(query.get("page_size", "20"))))
    except ValueError:
        raise errors.ProviderError("easypost", 422, "PARAMETER.INVALID", "page_size must be a number.") from None
    mine = [t for t in state.trackers.values() if (t.user_id, t.mode) == (key.user_id, key.mode)]
    mine.sort(key=lambda t: (t.created_at, t.id), reverse=True)  # newest first; before_id pages back
    if query.get("tracking_code"):
        mine = [t for t in mine if t.tracking_code == query["tracking_code"]]
    if query.get("before_id"):
        ids = [t.id for t in mine]
        mine = mine[ids.index(query["before_id"]) + 1 :] if query["before_id"] in ids else []
    now = state.clock.now()
    page = [tracker_body(state, t, now) for t in mine[:size]]
    return JSONResponse({"trackers": page, "has_more": len(mine) > size}), (), "list"


async def create_webhook(state: CarrierState, request: Request) -> Handled:
    key = api_key(state, request)
    body = await _json_body(request)
    spec = body.get("webhook") if isinstance(body, dict) else None
    url = str(spec.get("url") or "").strip() if isinstance(spec, dict) else ""
    if not url.startswith(("http://", "https://")):
        raise errors.easypost_required("url", "webhook")
    secret = str(spec.get("webhook_secret") or "") if isinstance(spec, dict) else ""
    hook = state.webhooks.create(url, secret, key.mode)
    return JSONResponse(hook.to_json(), status_code=201), (), "webhook"


async def list_webhooks(state: CarrierState, request: Request) -> Handled:
    key = api_key(state, request)
    hooks = [hook.to_json() for hook in state.webhooks.hooks.values() if hook.mode == key.mode]
    return JSONResponse({"webhooks": hooks}), (), "webhooks"


async def enable_webhook(state: CarrierState, request: Request) -> Handled:
    """PATCH re-enables a webhook that was disabled (carriers.md §1.9); an enabled one is answered as is."""
    key = api_key(state, request)
    hook = state.webhooks.hooks.get(request.path_params["hook_id"])
    if hook is None or hook.mode != key.mode:
        raise errors.easypost_not_found()
    hook.disabled_at = None
    return JSONResponse(hook.to_json()), (), "webhook enabled"


async def delete_webhook(state: CarrierState, request: Request) -> Handled:
    key = api_key(state, request)
    hook = state.webhooks.hooks.get(request.path_params["hook_id"])
    if hook is None or hook.mode != key.mode:
        raise errors.easypost_not_found()
    del state.webhooks.hooks[hook.id]
    return JSONResponse({}), (), "webhook deleted"


def queue_changes(state: CarrierState) -> int:
    """Queue a tracker.updated for every tracker whose status, estimate or scans changed since the last
    event about it; returns how many trackers changed."""
    now = state.clock.now()
    changed = 0
    for tracker in list(state.trackers.values()):
        body = tracker_body(state, tracker, now)
        mark = fingerprint(body)
        if tracker.sent == mark:
            continue
        previous: dict[str, Any] = {}
        if tracker.sent is not None and tracker.sent[0] != mark[0]:
            previous["status"] = tracker.sent[0]
        if tracker.sent is not None and tracker.sent[2] != mark[2]:
            previous["est_delivery_date"] = tracker.sent[2]  # whether EasyPost lists it is UNCONFIRMED
        tracker.sent = mark
        state.webhooks.queue(tracker_event("tracker.updated", body, previous, now), tracker.mode)
        changed += 1
    return changed


async def deliver_webhooks(state: CarrierState) -> int:
    """Queue events for whatever moved on the simulated clock, then send everything due; returns the
    deliveries attempted. The demo and tests call it after moving the clock (the control API's clock
    advance does too)."""
    queue_changes(state)
    return await state.webhooks.deliver_due()
