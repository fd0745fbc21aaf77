"""The ConnectWise simulator driven like a third-party client would: plain httpx, Basic auth, real headers.

Protects the wire behaviour other tests rely on: auth and clientId refusals, conditions and custom-field
filtering, both paging modes and their Link headers, projections, counts, JSON Patch with whole-record
validation, `_info` stamping, notes, statuses, error envelopes, faults and the request log.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from orderbridge.core.clock import SimClock
from orderbridge.simulators.connectwise import ConnectWiseState, create_app, seed_defaults

API = "/v4_6_release/apis/3.0"
POS = f"{API}/procurement/purchaseorders"
BASIC = "Basic " + base64.b64encode(b"demo+demopublic:demoprivate").decode()
HEADERS = {
    "Authorization": BASIC,
    "clientId": "0f6c8d2a-5b8e-4d3c-9a51-3a7e2b1c4d5e",
    "Accept": "application/vnd.connectwise.com+json; version=2025.1",
}
FORWARD = {"pagination-type": "forward-only"}


@pytest.fixture
def clock() -> SimClock:
    return SimClock()


@pytest.fixture
def state(clock: SimClock) -> ConnectWiseState:
    return ConnectWiseState(clock)


@pytest.fixture
def transport(state: ConnectWiseState) -> httpx.ASGITransport:
    return httpx.ASGITransport(app=create_app(state))


@pytest.fixture
async def cw(transport: httpx.ASGITransport) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=transport, base_url="http://cw.test", headers=HEADERS) as client:
        yield client


def seed_pos(state: ConnectWiseState, count: int, **kwargs: Any) -> list[dict[str, Any]]:
    return [state.add_purchase_order(po_number=f"PO-{n:04}", **kwargs) for n in range(count)]


def links(response: httpx.Response) -> dict[str, str]:
    found = {}
    for part in filter(None, (p.strip() for p in response.headers["link"].split(","))):
        url, rel = part.split(";")
        found[rel.strip().removeprefix('rel="').rstrip('"')] = url.strip().strip("<>")
    return found


# --- auth, headers, discovery ---------------------------------------------------------------------------


async def test_missing_or_wrong_credentials_are_401_in_connectwise_error_json(
    cw: httpx.AsyncClient, state: ConnectWiseState
) -> None:
    seed_pos(state, 1)
    no_auth = await cw.get(POS, headers={"Authorization": ""})
    wrong = "Basic " + base64.b64encode(b"demo+demopublic:not-the-key").decode()
    bad_key = await cw.get(POS, headers={"Authorization": wrong})
    garbage = await cw.get(POS, headers={"Authorization": "Basic %%%"})

    for response in (no_auth, bad_key, garbage):
        assert response.status_code == 401
        assert response.json()["code"] == "Unauthorized"
        assert response.headers["x-cw-request-id"]
    assert "not-the-key" not in bad_key.text
    assert all(entry.status == 401 for entry in state.request_log)


async def test_client_id_is_required_as_header_or_query(transport: httpx.ASGITransport) -> None:
    headers = {k: v for k, v in HEADERS.items() if k != "clientId"}
    async with httpx.AsyncClient(transport=transport, base_url="http://cw.test", headers=headers) as bare:
        missing = await bare.get(POS)
        in_query = await bare.get(POS, params={"clientId": "abc"})
        other_case = await bare.get(POS, headers={"CLIENTID": "abc"})

    assert missing.status_code == 401 and "clientId" in missing.json()["message"]
    assert in_query.status_code == 200
    assert other_case.status_code == 200


async def test_any_codebase_and_any_path_case_reach_the_same_endpoint(
    cw: httpx.AsyncClient, state: ConnectWiseState
) -> None:
    (po,) = seed_pos(state, 1)
    versioned = await cw.get(f"/v2025_1/apis/3.0/procurement/purchaseorders/{po['id']}")
    shouting = await cw.get(f"{API}/Procurement/PurchaseOrders/{po['id']}")
    doubled = await cw.get(f"/v2025_1//apis/3.0/procurement/purchaseOrders/{po['id']}")

    assert versioned.json() == shouting.json() == doubled.json() == state.get_purchase_order(po["id"])
    assert versioned.headers["api-current-version"] == state.api_version
    assert versioned.headers["content-type"].startswith("application/json")


async def test_company_info_needs_no_auth_and_is_null_for_unknown_companies(cw: httpx.AsyncClient) -> None:
    known = await cw.get("/login/companyinfo/demo", headers={"Authorization": "", "clientId": ""})
    unknown = await cw.get("/login/companyinfo/nobody")

    assert known.status_code == 200
    assert known.json()["Codebase"] == "v4_6_release/"
    assert known.json()["IsCloud"] is False
    assert {"CompanyName", "VersionCode", "VersionNumber", "CompanyID", "SiteUrl"} <= set(known.json())
    assert unknown.status_code == 200 and unknown.json() is None


async def test_system_info_reports_the_version(cw: httpx.AsyncClient) -> None:
    response = await cw.get(f"{API}/system/info")

    assert response.status_code == 200
    assert response.json()["version"] == "v2025.8"


# --- reading: records, conditions, custom fields, projection, count ---------------------------------------


async def test_po_record_shape_lists_every_custom_field_and_omits_unset_fields(
    cw: httpx.AsyncClient, state: ConnectWiseState
) -> None:
    state.add_custom_field("Distributor Ref", "Text")
    po = state.add_purchase_order(po_number="PO-1", lines=[{"product": "NB-1", "quantity": 2, "unitCost": 10.5}])

    body = (await cw.get(f"{POS}/{po['id']}")).json()

    assert body["status"] == {"id": body["status"]["id"], "name": "New", "_info": {}}
    assert body["vendorCompany"]["identifier"] == "TDSynnex"
    assert body["terms"]["name"] == "Net 30" and body["closedFlag"] is False
    assert [(c["caption"], c["value"]) for c in body["customFields"]] == [
        ("Send to TDS", True),
        ("Distributor Ref", None),
    ]
    assert "trackingNumber" not in body and "shipmentDate" not in body
    assert body["_info"]["lastUpdated"].endswith("Z") and body["subTotal"] == 21.0


async def test_conditions_and_custom_field_conditions_filter_together(
    cw: httpx.AsyncClient, state: ConnectWiseState
) -> None:
    tracked = seed_pos(state, 3)
    untracked = state.add_purchase_order(po_number="PO-U", tracked=False)
    closed = state.add_purchase_order(po_number="PO-C", status_name="Cancelled")
    params = {
        "conditions": 'closedFlag=false AND vendorCompany/identifier="TDSynnex"',
        "customFieldConditions": 'caption="Send to TDS" AND value=true',
    }

    found = {po["id"] for po in (await cw.get(POS, params=params)).json()}
    by_number = (await cw.get(POS, params={"conditions": "poNumber in ('PO-0001', 'PO-C')"})).json()

    assert found == {po["id"] for po in tracked}
    assert untracked["id"] not in found and closed["id"] not in found
    assert sorted(po["poNumber"] for po in by_number) == ["PO-0001", "PO-C"]


async def test_last_updated_condition_finds_recent_changes(
    cw: httpx.AsyncClient, state: ConnectWiseState, clock: SimClock
) -> None:
    old = state.add_purchase_order(po_number="OLD")
    clock.advance(timedelta(hours=1))
    new = state.add_purchase_order(po_number="NEW")

    recent = await cw.get(POS, params={"conditions": "_info/lastUpdated > [2026-01-05T16:30:00Z]"})
    alias = await cw.get(POS, params={"conditions": "LastUpdated > [2026-01-05T16:30:00Z]"})

    assert [po["id"] for po in recent.json()] == [po["id"] for po in alias.json()] == [new["id"]]
    assert old["id"] != new["id"]


async def test_unknown_condition_field_and_bad_syntax_are_api_find_condition_400s(cw: httpx.AsyncClient) -> None:
    unknown = await cw.get(POS, params={"conditions": "typeids = 3"})
    syntax = await cw.get(POS, params={"conditions": 'poNumber = "unterminated'})
    bad_order = await cw.get(POS, params={"orderBy": "nonsense desc"})

    assert unknown.status_code == 400
    assert unknown.json() == {"code": "ApiFindCondition", "message": "typeids is not a recognized name."}
    assert syntax.status_code == 400 and syntax.json()["code"] == "ApiFindCondition"
    assert bad_order.status_code == 400 and bad_order.json()["code"] == "ApiFindCondition"


async def test_fields_projection_keeps_nested_paths_only(cw: httpx.AsyncClient, state: ConnectWiseState) -> None:
    seed_pos(state, 2)

    rows = (await cw.get(POS, params={"fields": "id,poNumber,status/name,customFields/value"})).json()
    star = (await cw.get(POS, params={"fields": "*"})).json()

    assert set(rows[0]) == {"id", "poNumber", "status", "customFields"}
    assert rows[0]["status"] == {"name": "New"}
    assert rows[0]["customFields"] == [{"value": True}]
    assert star == [{"id": row["id"]} for row in rows]  # fields=* was seen to return only id


async def test_count_honours_conditions(cw: httpx.AsyncClient, state: ConnectWiseState) -> None:
    seed_pos(state, 4)
    state.add_purchase_order(po_number="PO-C", status_name="Cancelled")

    everything = await cw.get(f"{POS}/count")
    open_only = await cw.get(f"{POS}/count", params={"conditions": "closedFlag = False"})

    assert everything.json() == {"count": 5}
    assert open_only.json() == {"count": 4}


async def test_order_by_sorts_descending(cw: httpx.AsyncClient, state: ConnectWiseState) -> None:
    pos = seed_pos(state, 3)

    rows = (await cw.get(POS, params={"orderBy": "poNumber desc"})).json()

    assert [row["id"] for row in rows] == [po["id"] for po in reversed(pos)]


# --- paging ---------------------------------------------------------------------------------------------


async def test_navigable_paging_links_first_prev_next_last_and_echo_the_query(
    cw: httpx.AsyncClient, state: ConnectWiseState
) -> None:
    pos = seed_pos(state, 7)
    params = {"pageSize": "3", "conditions": "closedFlag=false"}

    first = await cw.get(POS, params=params)
    second = await cw.get(links(first)["next"])
    third = await cw.get(links(second)["next"])

    assert set(links(first)) == {"first", "next", "last"}
    assert set(links(second)) == {"first", "prev", "next", "last"}
    assert set(links(third)) == {"first", "prev", "last"}
    assert "page=3" in links(first)["last"] and "conditions=closedFlag%3Dfalse" in links(first)["next"]
    seen = [row["id"] for page in (first, second, third) for row in page.json()]
    assert seen == [po["id"] for po in pos]
    assert (await cw.get(POS, params={**params, "page": "9"})).json() == []


async def test_forward_only_paging_follows_page_id_and_ends_with_an_empty_link(
    cw: httpx.AsyncClient, state: ConnectWiseState
) -> None:
    pos = seed_pos(state, 7)
    state.add_purchase_order(po_number="PO-C", status_name="Cancelled")
    url: str | None = POS
    params: dict[str, str] | None = {"pageSize": "3", "conditions": "closedFlag=false"}
    pages: list[list[int]] = []
    while url:
        response = await cw.get(url, params=params, headers=FORWARD)
        params = None
        assert "link" in response.headers
        pages.append([row["id"] for row in response.json()])
        url = response.headers["link"].split(";")[0].strip("<>") or None

    assert [len(page) for page in pages] == [3, 3, 1]
    assert [po_id for page in pages for po_id in page] == [po["id"] for po in pos]
    second = state.request_log.matching("GET", "/procurement/purchaseorders")[1]
    assert second.query["pageId"] == str(pages[0][-1])


async def test_forward_only_last_full_page_has_an_empty_link(cw: httpx.AsyncClient, state: ConnectWiseState) -> None:
    seed_pos(state, 4)

    first = await cw.get(POS, params={"pageSize": "2"}, headers=FORWARD)
    second = await cw.get(first.headers["link"].split(";")[0].strip("<>"), headers=FORWARD)

    assert len(second.json()) == 2
    assert second.headers["link"] == ""


async def test_forward_only_refuses_order_by_and_page_size_is_capped(cw: httpx.AsyncClient) -> None:
    ordered = await cw.get(POS, params={"orderBy": "id desc"}, headers=FORWARD)
    too_big = await cw.get(POS, params={"pageSize": "1001"})
    biggest = await cw.get(POS, params={"pageSize": "1000"})

    assert ordered.status_code == 400 and "orderBy" in ordered.json()["message"]
    assert too_big.status_code == 400 and "1000" in too_big.json()["message"]
    assert biggest.status_code == 200


# --- writes ---------------------------------------------------------------------------------------------


async def test_patch_returns_the_full_record_and_bumps_info(
    cw: httpx.AsyncClient, state: ConnectWiseState, clock: SimClock
) -> None:
    (po,) = seed_pos(state, 1)
    clock.advance(timedelta(minutes=10))
    on_order = next(
        s for s in (await cw.get(f"{API}/procurement/purchaseorderstatuses")).json() if s["name"] == "On Order"
    )

    response = await cw.patch(
        f"{POS}/{po['id']}",
        json=[
            {"op": "replace", "path": "/trackingNumber", "value": "1Z999AA10123456784"},
            {"op": "replace", "path": "status", "value": {"id": on_order["id"]}},
            {"op": "add", "path": "shipmentMethod", "value": {"name": "UPS Ground"}},
        ],
    )

    body = response.json()
    assert response.status_code == 200
    assert body == state.get_purchase_order(po["id"])
    assert body["trackingNumber"] == "1Z999AA10123456784"
    assert body["status"]["name"] == "On Order" and body["shipmentMethod"]["name"] == "UPS Ground"
    assert body["_info"]["lastUpdated"] == "2026-01-05T16:10:00Z"
    assert body["_info"]["updatedBy"] == "apiMember" and po["_info"]["updatedBy"] == "Admin1"
    assert body["_info"]["dateEntered"] == po["_info"]["dateEntered"]


async def test_patch_validation_errors_name_each_field_and_change_nothing(
    cw: httpx.AsyncClient, state: ConnectWiseState
) -> None:
    (po,) = seed_pos(state, 1)

    response = await cw.patch(
        f"{POS}/{po['id']}",
        json=[
            {"op": "replace", "path": "trackingNumber", "value": "9" * 51},
            {"op": "replace", "path": "status", "value": {"id": 999}},
            {"op": "replace", "path": "closedFlag", "value": True},
            {"op": "replace", "path": "TrackingNumber", "value": "x"},
        ],
    )

    body = response.json()
    assert response.status_code == 400
    assert body["code"] == "InvalidObject" and body["message"] == "purchaseOrder object is invalid"
    fields = sorted(error["field"] for error in body["errors"])
    assert fields == ["TrackingNumber", "closedFlag", "status", "trackingNumber"]
    assert all(error["resource"] == "purchaseOrder" for error in body["errors"])
    assert "maximum length of 50" in next(e["message"] for e in body["errors"] if e["field"] == "trackingNumber")
    assert state.get_purchase_order(po["id"]) == po


async def test_patch_revalidates_the_whole_stored_record(cw: httpx.AsyncClient, state: ConnectWiseState) -> None:
    po = state.add_purchase_order(po_number="PO-1", fields={"vendorInvoiceNumber": "I" * 60})

    response = await cw.patch(f"{POS}/{po['id']}", json=[{"op": "replace", "path": "trackingNumber", "value": "1Z"}])
    removed = await cw.patch(f"{POS}/{po['id']}", json=[{"op": "remove", "path": "status"}])

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["vendorInvoiceNumber"]
    assert removed.status_code == 400
    assert {e["code"] for e in removed.json()["errors"]} >= {"MissingRequiredField"}


async def test_closed_flag_follows_the_status(cw: httpx.AsyncClient, state: ConnectWiseState) -> None:
    (po,) = seed_pos(state, 1)
    url = f"{POS}/{po['id']}"

    closed = (
        await cw.patch(url, json=[{"op": "replace", "path": "status", "value": {"name": "Received In Full"}}])
    ).json()
    reopened = (await cw.patch(url, json=[{"op": "replace", "path": "status/name", "value": "On Order"}])).json()

    assert closed["closedFlag"] is True and closed["dateClosed"] and closed["closedBy"] == "apiMember"
    assert reopened["closedFlag"] is False and "dateClosed" not in reopened


async def test_custom_fields_patch_merges_entries_by_id(cw: httpx.AsyncClient, state: ConnectWiseState) -> None:
    note_field = state.add_custom_field("TDS Note", "Text")
    po = state.add_purchase_order(po_number="PO-1", custom={"TDS Note": "keep me"})
    url = f"{POS}/{po['id']}"

    only_checkbox = await cw.patch(
        url, json=[{"op": "replace", "path": "customFields", "value": [{"id": 7, "value": False}]}]
    )
    by_pointer = await cw.patch(url, json=[{"op": "replace", "path": "/customFields/1/value", "value": "new"}])
    undefined = await cw.patch(
        url, json=[{"op": "replace", "path": "customFields", "value": [{"id": 999, "value": 1}]}]
    )

    assert [c["value"] for c in only_checkbox.json()["customFields"]] == [False, "keep me"]
    assert by_pointer.json()["customFields"][1] == {**by_pointer.json()["customFields"][1], "id": note_field["id"]}
    assert [c["value"] for c in by_pointer.json()["customFields"]] == [False, "new"]
    assert undefined.status_code == 400 and undefined.json()["errors"][0]["field"] == "customFields"


async def test_put_replaces_the_record_and_needs_po_number(cw: httpx.AsyncClient, state: ConnectWiseState) -> None:
    po = state.add_purchase_order(po_number="PO-1", fields={"trackingNumber": "OLD"})
    record = state.get_purchase_order(po["id"])
    del record["trackingNumber"]

    replaced = await cw.put(f"{POS}/{po['id']}", json=record)
    unnumbered = await cw.put(f"{POS}/{po['id']}", json={k: v for k, v in record.items() if k != "poNumber"})
    reclosing = await cw.put(f"{POS}/{po['id']}", json={**record, "closedFlag": True})

    assert replaced.status_code == 200 and "trackingNumber" not in replaced.json()
    assert replaced.json()["customFields"] == po["customFields"]
    assert unnumbered.status_code == 400
    assert unnumbered.json()["errors"][0] == {
        "code": "MissingRequiredField",
        "message": "The poNumber field is required.",
        "resource": "purchaseOrder",
        "field": "poNumber",
    }
    assert reclosing.status_code == 400 and reclosing.json()["errors"][0]["field"] == "closedFlag"


async def test_post_purchase_order_is_201_and_requires_status_terms_vendor(cw: httpx.AsyncClient) -> None:
    created = await cw.post(
        POS,
        json={"status": {"name": "New"}, "terms": {"id": 1}, "vendorCompany": {"identifier": "TDSynnex"}},
    )
    empty = await cw.post(POS, json={})

    assert created.status_code == 201
    assert created.json()["poNumber"] == str(created.json()["id"])
    assert sorted(e["field"] for e in empty.json()["errors"]) == ["status", "terms", "vendorCompany"]


async def test_line_items_patch_coerces_strings_and_checks_limits(
    cw: httpx.AsyncClient, state: ConnectWiseState
) -> None:
    po = state.add_purchase_order(po_number="PO-1", lines=[{"product": "NB-1", "quantity": 5, "unitCost": 2}])
    (line,) = (await cw.get(f"{POS}/{po['id']}/lineitems")).json()
    url = f"{POS}/{po['id']}/lineitems/{line['id']}"

    received = await cw.patch(
        url,
        json=[
            {"op": "replace", "path": "receivedQuantity", "value": "5"},
            {"op": "replace", "path": "receivedStatus", "value": "FullyReceived"},
        ],
    )
    too_long = await cw.patch(url, json=[{"op": "replace", "path": "canceledReason", "value": "r" * 101}])
    bad_enum = await cw.patch(url, json=[{"op": "replace", "path": "receivedStatus", "value": "Lost"}])
    too_many = await cw.patch(url, json=[{"op": "replace", "path": "receivedQuantity", "value": 6}])
    count = await cw.get(f"{POS}/{po['id']}/lineitems/count")
    elsewhere = await cw.get(f"{POS}/{po['id'] + 1}/lineitems/{line['id']}")

    assert received.status_code == 200 and received.json()["receivedQuantity"] == 5
    assert line["purchaseOrderId"] == po["id"] and line["purchaseOrderNumber"] == "PO-1" and line["extCost"] == 10.0
    assert too_long.json()["errors"][0]["field"] == "canceledReason"
    assert bad_enum.status_code == 400
    assert too_many.json()["errors"][0]["code"] == "OutOfRange"
    assert count.json() == {"count": 1}
    assert elsewhere.status_code == 404


async def test_update_shipment_info_cascades_to_lines(cw: httpx.AsyncClient, state: ConnectWiseState) -> None:
    po = state.add_purchase_order(po_number="PO-1", lines=[{"product": "A"}, {"product": "B"}])

    await cw.patch(
        f"{POS}/{po['id']}",
        json=[
            {"op": "replace", "path": "trackingNumber", "value": "1ZCASCADE"},
            {"op": "replace", "path": "updateShipmentInfo", "value": True},
        ],
    )

    assert [line["trackingNumber"] for line in state.line_items(po["id"])] == ["1ZCASCADE", "1ZCASCADE"]
    assert "updateShipmentInfo" not in state.get_purchase_order(po["id"])


async def test_notes_are_created_listed_and_counted(cw: httpx.AsyncClient, state: ConnectWiseState) -> None:
    (po,) = seed_pos(state, 1)
    url = f"{POS}/{po['id']}/notes"

    created = await cw.post(url, json={"text": "Shipped 2 of 5 lines\nvia UPS", "flagged": False})
    listed = await cw.get(url)
    single = await cw.get(f"{url}/{created.json()['id']}")
    count = await cw.get(f"{url}/count")
    missing_po = await cw.post(f"{POS}/999999/notes", json={"text": "x"})

    assert created.status_code == 201
    assert created.json()["purchaseHeaderRecID"] == po["id"]
    assert created.json()["text"] == "Shipped 2 of 5 lines via UPS"  # DG: newlines come back as spaces
    assert listed.json() == [single.json()] == state.notes(po["id"])
    assert count.json() == {"count": 1}
    assert missing_po.status_code == 404


async def test_statuses_can_be_created_and_names_are_unique(cw: httpx.AsyncClient) -> None:
    url = f"{API}/procurement/purchaseorderstatuses"

    created = await cw.post(url, json={"name": "TDS Closed", "closedFlag": True})
    duplicate = await cw.post(url, json={"name": "tds closed"})
    too_long = await cw.post(url, json={"name": "S" * 51})
    found = await cw.get(url, params={"conditions": 'name="TDS Closed"'})
    patched = await cw.patch(f"{url}/{created.json()['id']}", json=[{"op": "replace", "path": "sortOrder", "value": 9}])

    assert created.status_code == 201 and created.json()["closedFlag"] is True
    assert duplicate.status_code == 400 and duplicate.json()["errors"][0]["code"] == "ObjectExists"
    assert too_long.status_code == 400 and too_long.json()["errors"][0]["field"] == "name"
    assert [s["id"] for s in found.json()] == [created.json()["id"]]
    assert patched.json()["sortOrder"] == 9


async def test_shipment_methods_and_custom_field_definitions_are_listed(cw: httpx.AsyncClient) -> None:
    methods = (await cw.get(f"{API}/procurement/shipmentmethods", params={"pageSize": "100"})).json()
    fields = (
        await cw.get(f"{API}/system/userDefinedFields", params={"conditions": 'screenId="purchase_order"'})
    ).json()

    by_name = {m["name"]: m for m in methods}
    assert by_name["UPS Ground"]["trackingUrl"] == "https://www.ups.com/track?tracknum={n}"
    assert "trackingUrl" not in by_name["Will Call"]
    assert [(f["id"], f["caption"], f["fieldTypeIdentifier"]) for f in fields] == [(7, "Send to TDS", "Checkbox")]


# --- errors, faults, control API, request log -------------------------------------------------------------


async def test_unknown_routes_records_and_methods(cw: httpx.AsyncClient) -> None:
    route = await cw.get(f"{API}/procurement/nothing")
    record = await cw.get(f"{POS}/123")
    method = await cw.post(f"{POS}/count", json={})

    assert route.status_code == 404
    assert route.json() == {"code": "ConnectWiseApi", "message": "The endpoint does not exist."}
    assert record.status_code == 404
    assert record.json() == {"code": "NotFound", "message": "Purchase Order 123 not found"}
    assert method.status_code == 405


async def test_patch_body_must_be_an_array_of_known_ops(cw: httpx.AsyncClient, state: ConnectWiseState) -> None:
    (po,) = seed_pos(state, 1)

    not_array = await cw.patch(f"{POS}/{po['id']}", json={"op": "replace"})
    bad_op = await cw.patch(f"{POS}/{po['id']}", json=[{"op": "move", "path": "poNumber", "from": "x"}])
    not_json = await cw.patch(f"{POS}/{po['id']}", content=b"{nope", headers={"Content-Type": "application/json"})

    assert {not_array.status_code, bad_op.status_code, not_json.status_code} == {400}


async def test_faults_answer_for_their_times_then_the_api_returns(
    cw: httpx.AsyncClient, state: ConnectWiseState
) -> None:
    (po,) = seed_pos(state, 1)
    state.faults.add(rf"/procurement/purchaseorders/{po['id']}$", method="GET", status=429, times=2)

    first, second, third = [await cw.get(f"{POS}/{po['id']}") for _ in range(3)]

    assert first.status_code == second.status_code == 429
    assert first.json() == {"error": "ConnectWiseAPI", "message": "Too many requests. Please try again in 30 seconds."}
    assert first.headers["retry-after"] == "30"
    assert third.status_code == 200
    assert [entry.fault for entry in state.request_log] == [True, True, False]


async def test_control_api_seeds_injects_faults_and_exposes_the_log(
    cw: httpx.AsyncClient, state: ConnectWiseState
) -> None:
    seeded = await cw.post("/_sim/purchaseorders", json={"po_number": "PO-S", "lines": [{"product": "X"}]})
    po_id = seeded.json()["purchaseOrder"]["id"]
    fault = {"method": "PATCH", "path_regex": f"/procurement/purchaseorders/{po_id}$", "status": 503, "retry_after": 2}
    await cw.post("/_sim/faults", json=fault)

    failed = await cw.patch(f"{POS}/{po_id}", json=[{"op": "replace", "path": "trackingNumber", "value": "A"}])
    passed = await cw.patch(f"{POS}/{po_id}", json=[{"op": "replace", "path": "trackingNumber", "value": "A"}])
    log = (await cw.get("/_sim/requests")).json()
    writes = (await cw.get("/_sim/requests", params={"writes": "1"})).json()

    assert seeded.status_code == 201 and len(seeded.json()["lineItems"]) == 1
    assert failed.status_code == 503 and failed.headers["retry-after"] == "2"
    assert passed.status_code == 200
    assert [(e["method"], e["status"]) for e in log] == [("PATCH", 503), ("PATCH", 200)]
    assert writes[1]["body"] == [{"op": "replace", "path": "trackingNumber", "value": "A"}]
    assert writes[1]["resource"] == f"/procurement/purchaseorders/{po_id}"
    assert "Authorization" not in str(log) and "demoprivate" not in str(log)
    assert (await cw.delete("/_sim/requests")).status_code == 204 and len(state.request_log) == 0
    assert (await cw.post("/_sim/faults", json={"bogus": 1})).status_code == 400
    assert (await cw.delete("/_sim/faults")).status_code == 204
    assert (await cw.post("/_sim/reset")).status_code == 200
    assert (await cw.get(f"{POS}/{po_id}")).status_code == 404


async def test_request_log_writes_only_lists_changes(cw: httpx.AsyncClient, state: ConnectWiseState) -> None:
    (po,) = seed_pos(state, 1)
    await cw.get(POS)
    await cw.get(f"{POS}/{po['id']}")
    await cw.patch(f"{POS}/{po['id']}", json=[{"op": "replace", "path": "trackingNumber", "value": "1Z"}])

    assert [(e.method, e.status) for e in state.request_log.writes()] == [("PATCH", 200)]
    assert [e.method for e in state.request_log] == ["GET", "GET", "PATCH"]
    assert state.request_log[0].headers["clientid"] == HEADERS["clientId"]


async def test_rate_limit_knob_answers_429_with_retry_after(cw: httpx.AsyncClient, state: ConnectWiseState) -> None:
    state.rate_limit.per_minute = 2

    answers = [(await cw.get(POS)).status_code for _ in range(3)]
    last = state.request_log[-1]

    assert answers == [200, 200, 429]
    assert last.status == 429


async def test_malformed_fault_returns_html_with_200(cw: httpx.AsyncClient, state: ConnectWiseState) -> None:
    state.faults.add("/procurement/purchaseorders$", kind="malformed", raw_body="<html>maintenance</html>")

    response = await cw.get(POS)

    assert response.status_code == 200 and response.text == "<html>maintenance</html>"


async def test_reset_restores_the_default_seed_and_seeding_twice_is_harmless(state: ConnectWiseState) -> None:
    seed_defaults(state)
    seed_pos(state, 2)
    state.faults.add("/x", status=500)

    state.reset()

    assert len(state.purchase_orders) == 0 and len(state.faults) == 0
    assert [s["name"] for s in state.statuses.scan()][:2] == ["New", "Sent to Vendor"]
    assert len(state.custom_definitions()) == 1


@pytest.mark.parametrize("page_size", [1, 2, 5, 7, 1000])
async def test_both_paging_modes_visit_every_match_exactly_once(
    cw: httpx.AsyncClient, state: ConnectWiseState, page_size: int
) -> None:
    pos = [state.add_purchase_order(po_number=f"PO-{n}", tracked=n % 3 != 0) for n in range(14)]
    expected = [po["id"] for po in pos if po["customFields"][0]["value"]]
    params = {"pageSize": str(page_size), "customFieldConditions": 'caption="Send to TDS" AND value=true'}

    forward: list[int] = []
    url: str | None = POS
    query: dict[str, str] | None = params
    while url:
        response = await cw.get(url, params=query, headers=FORWARD)
        forward += [row["id"] for row in response.json()]
        url, query = response.headers["link"].split(";")[0].strip("<>") or None, None
    navigable: list[int] = []
    next_url: str | None = str(httpx.URL(POS, params=params))
    while next_url:
        response = await cw.get(next_url)
        navigable += [row["id"] for row in response.json()]
        next_url = links(response).get("next")

    assert forward == navigable == expected
