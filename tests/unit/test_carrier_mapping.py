"""The three mapping tables (carriers/*_map.py) and the EasyPost webhook signature, as pure functions.

What is protected: each documented status lands on the ParcelState the module docstring promises; a
status outside a table is UNKNOWN with its raw code kept in a ScanEvent; no JSON a provider could send
makes a mapper raise anything but its documented error; EasyPost's published signature test vector.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orderbridge.carriers import easypost_map, fedex_map, ups_map
from orderbridge.carriers.easypost_webhook import read_tracker_event, signature_for, signature_is_valid
from orderbridge.core.delivery import ParcelState, ParcelStatus
from orderbridge.core.errors import MalformedResponse

S = ParcelState
EVENT_BODY = (
    (Path(__file__).parents[1] / "payloads" / "carriers" / "easypost-event-body.json").read_bytes().rstrip(b"\n")
)
VECTOR = "hmac-sha256-hex=38f3f53c103713df81616a0a186d77141957323ec21d5fe9363db93840f527db"


# --- EasyPost ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "detail", "expected"),
    [
        ("pre_transit", "label_created", S.LABEL_CREATED),
        ("pre_transit", "status_update", S.LABEL_CREATED),
        ("in_transit", "arrived_at_facility", S.IN_TRANSIT),
        ("in_transit", "weather_delay", S.IN_TRANSIT),
        ("in_transit", "delivery_exception", S.FAILED_ATTEMPT),
        ("out_for_delivery", "address_correction", S.FAILED_ATTEMPT),
        ("in_transit", "damaged", S.EXCEPTION),
        ("in_transit", "return", S.RETURNED_TO_SENDER),
        ("out_for_delivery", "out_for_delivery", S.OUT_FOR_DELIVERY),
        ("available_for_pickup", "arrived_at_pickup_location", S.OUT_FOR_DELIVERY),
        ("delivered", "arrived_at_destination", S.DELIVERED),
        ("delivered", "refused", S.DELIVERED),  # the finals are never second-guessed by a detail
        ("return_to_sender", "return", S.RETURNED_TO_SENDER),
        ("failure", "failure", S.EXCEPTION),
        ("cancelled", None, S.EXCEPTION),
        ("unknown", "status_update", S.UNKNOWN),
        ("in_customs", None, S.UNKNOWN),
    ],
)
def test_easypost_statuses(status: str, detail: str | None, expected: ParcelState) -> None:
    assert easypost_map.state_of(status, detail) is expected


def test_the_published_event_maps_to_in_transit_with_the_carriers_codes() -> None:
    event = read_tracker_event(EVENT_BODY)
    assert event is not None and event.event_id == "evt_1" and event.previous == {"status": "in_transit"}
    found = event.status
    assert isinstance(found, ParcelStatus)
    assert (found.state, found.carrier, found.provider_ref, found.estimated_delivery) == (
        S.IN_TRANSIT,
        "FedEx",
        "trk_1",
        date(2024, 8, 5),
    )
    assert [e.code for e in found.events] == ["OC", "PU", "AR", "DP", "IT", "IT", "AR"]
    assert found.events[0].state is S.LABEL_CREATED and found.events[-1].location == "EDISON, NJ, US"


def test_an_unmapped_easypost_status_keeps_its_word() -> None:
    tracker = {"id": "trk_9", "status": "in_customs", "updated_at": "2026-01-05T10:00:00Z", "tracking_details": []}
    found = easypost_map.parcel_status(tracker, carrier="DHL", tracking_number="3318810025")
    assert found.state is S.UNKNOWN and found.events[-1].code == "in_customs"


def test_an_error_tracker_is_a_problem_not_a_status() -> None:
    tracker = {
        "status": "error",
        "tracking_details": [{"message": "In test mode, only test tracking numbers are valid."}],
    }
    with pytest.raises(easypost_map.TrackerError, match="only test tracking numbers"):
        easypost_map.parcel_status(tracker, carrier="USPS")


# --- the webhook signature -----------------------------------------------------------------------------


def test_easypost_signature_test_vector() -> None:
    assert signature_for("s\u00e9cret", EVENT_BODY) == VECTOR
    assert signature_is_valid("s\u00e9cret", EVENT_BODY, VECTOR)
    # NFKD matters: the same secret composed differently ("e" + combining acute) signs the same.
    assert signature_is_valid("se\u0301cret", EVENT_BODY, VECTOR)


@pytest.mark.parametrize(
    ("secret", "body", "header"),
    [
        ("s\u00e9cret", EVENT_BODY + b" ", VECTOR),  # tampered body
        ("secret", EVENT_BODY, VECTOR),  # wrong secret
        ("s\u00e9cret", EVENT_BODY, VECTOR.replace("hmac-sha256-hex=", "sha256=")),  # another scheme
        ("s\u00e9cret", EVENT_BODY, None),  # no header
        ("", EVENT_BODY, VECTOR),  # no secret configured: nothing is valid
    ],
)
def test_easypost_signature_refusals(secret: str, body: bytes, header: str | None) -> None:
    assert not signature_is_valid(secret, body, header)


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"object": "Tracker"}', b'{"object":"Event","description":"tracker.updated","result":{}}'],
)
def test_a_body_that_is_not_a_tracker_event_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedResponse):
        read_tracker_event(body)


def test_other_events_are_not_tracker_events() -> None:
    assert read_tracker_event(b'{"object":"Event","description":"batch.updated","result":{}}') is None


# --- UPS -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "code", "scan", "expected"),
    [
        ("M", "003", "MP", S.LABEL_CREATED),
        ("I", "005", "DP", S.IN_TRANSIT),  # DP is a departure under I (a manifest code under M)
        ("M", "003", "DP", S.LABEL_CREATED),
        ("I", "021", "OT", S.OUT_FOR_DELIVERY),
        ("I", "072", "", S.OUT_FOR_DELIVERY),
        ("I", "", "OD", S.OUT_FOR_DELIVERY),
        ("X", "022", "", S.FAILED_ATTEMPT),
        ("I", "060", "", S.FAILED_ATTEMPT),
        ("X", "013", "", S.EXCEPTION),
        ("MV", "007", "VP", S.EXCEPTION),
        ("I", "017", "", S.OUT_FOR_DELIVERY),
        ("D", "011", "F4", S.DELIVERED),
        ("D", "161", "2Q", S.DELIVERED),
        ("D", "034", "B0", S.RETURNED_TO_SENDER),
        ("D", "011", "B0", S.RETURNED_TO_SENDER),
        ("I", "035", "H8", S.RETURNED_TO_SENDER),
        ("NA", "", "", S.UNKNOWN),
        ("W", "", "", S.UNKNOWN),
    ],
)
def test_ups_statuses(kind: str, code: str, scan: str, expected: ParcelState) -> None:
    assert ups_map.state_of(kind, code, scan) is expected


def ups_activity(day: str, clock: str, kind: str, code: str, scan: str, city: str = "PARAMUS") -> dict[str, Any]:
    return {
        "date": day,
        "time": clock,
        "gmtOffset": "-05:00",
        "location": {"address": {"city": city, "stateProvince": "NJ", "countryCode": "US"}},
        "status": {"type": kind, "code": scan, "statusCode": code, "description": f"{kind}/{code}"},
    }


def test_ups_delivered_to_an_access_point_with_local_time_and_offset() -> None:
    package = {
        "currentStatus": {"type": "D", "code": "2Q", "statusCode": "161"},
        "deliveryDate": [{"type": "DEL", "date": "20220126"}],
        "deliveryInformation": {"receivedBy": "AP CLERK", "location": "UPS Access Point"},
        "activity": [
            ups_activity("20220126", "163000", "D", "161", "2Q"),
            ups_activity("20220126", "080000", "I", "021", "OT"),
            ups_activity("20220124", "151641", "M", "003", "MP"),
        ],
    }
    found = ups_map.parcel_status(package, tracking_number="1Z1442YY7229014688", carrier="UPS")
    assert (found.state, found.delivered_elsewhere, found.signed_by) == (S.DELIVERED, True, "AP CLERK")
    assert found.delivered_at == datetime(2022, 1, 26, 21, 30, tzinfo=UTC)  # 16:30 at -05:00
    assert [e.state for e in found.events] == [S.LABEL_CREATED, S.OUT_FOR_DELIVERY, S.DELIVERED]
    assert found.delivered_to is not None and "UPS Access Point" in found.delivered_to


def test_ups_rescheduled_date_wins_over_the_scheduled_one() -> None:
    package = {
        "currentStatus": {"type": "I", "statusCode": "005", "code": "AR"},
        "deliveryDate": [{"type": "SDD", "date": "20260110"}, {"type": "RDD", "date": "20260112"}],
        "activity": [ups_activity("20260107", "101500", "I", "005", "AR")],
    }
    found = ups_map.parcel_status(package, tracking_number="1Z", carrier="UPS")
    assert found.estimated_delivery == date(2026, 1, 12)


def test_an_unmapped_ups_status_is_unknown_with_its_codes() -> None:
    package = {
        "currentStatus": {"type": "Q", "statusCode": "999", "code": "ZZ"},
        "activity": [ups_activity("20260107", "101500", "I", "005", "AR")],
    }
    found = ups_map.parcel_status(package, tracking_number="1Z", carrier="UPS")
    assert found.state is S.UNKNOWN and found.events[-1].code == "Q/999/ZZ"


# --- FedEx ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("OC", S.LABEL_CREATED),
        ("PU", S.IN_TRANSIT),
        ("Ow", S.IN_TRANSIT),
        ("DY", S.IN_TRANSIT),
        ("OD", S.OUT_FOR_DELIVERY),
        ("HP", S.OUT_FOR_DELIVERY),
        ("DL", S.DELIVERED),
        ("DE", S.FAILED_ATTEMPT),
        ("SE", S.EXCEPTION),
        ("CA", S.EXCEPTION),
        ("RS", S.RETURNED_TO_SENDER),
        ("XX", S.UNKNOWN),
        (None, S.UNKNOWN),
    ],
)
def test_fedex_codes(code: str | None, expected: ParcelState) -> None:
    assert fedex_map.state_of(code) is expected


def fedex_result(code: str, **extra: Any) -> dict[str, Any]:
    return {
        "trackingNumberInfo": {
            "trackingNumber": "122816215025810",
            "trackingNumberUniqueId": "12029~122816215025810~FDEG",
        },
        "latestStatusDetail": {"code": code, "derivedCode": code, "description": code},
        "scanEvents": [
            {
                "date": "2020-08-17T13:37:00-04:00",
                "eventType": code,
                "eventDescription": "last",
                "scanLocation": {"city": "NORTON"},
            },
            {"date": "2020-08-14T09:00:00-07:00", "eventType": "PU", "eventDescription": "Picked up"},
        ],
        **extra,
    }


def test_fedex_delivered_somewhere_else_than_the_recipient() -> None:
    result = fedex_result(
        "DL",
        dateAndTimes=[{"type": "ACTUAL_DELIVERY", "dateTime": "2020-08-17T13:37:00-04:00"}],
        deliveryDetails={
            "receivedByName": "NEIGHBOR",
            "locationDescription": "Neighbor",
            "actualDeliveryAddress": {"city": "NORTON", "postalCode": "24273", "streetLines": ["12 OAK AVE"]},
        },
        recipientInformation={"address": {"city": "NORTON", "postalCode": "24273-1234", "streetLines": ["10 OAK AVE"]}},
    )
    found = fedex_map.parcel_status([result], tracking_number="122816215025810", carrier="FedEx")
    assert isinstance(found, ParcelStatus)
    assert (found.state, found.delivered_elsewhere, found.signed_by) == (S.DELIVERED, True, "NEIGHBOR")
    assert found.delivered_at == datetime(2020, 8, 17, 17, 37, tzinfo=UTC)
    assert [e.code for e in found.events] == ["PU", "DL"]  # oldest first, from FedEx's newest first


def test_fedex_delivered_at_the_recipients_address_is_not_elsewhere() -> None:
    address = {"city": "Norton", "postalCode": "24273", "streetLines": ["10 Oak Ave"]}
    result = fedex_result(
        "DL",
        deliveryDetails={"actualDeliveryAddress": address},
        recipientInformation={
            "address": {**address, "city": "NORTON", "postalCode": "24273-1234", "streetLines": ["10 OAK  AVE"]}
        },
    )
    found = fedex_map.parcel_status([result], tracking_number="122816215025810", carrier="FedEx")
    assert isinstance(found, ParcelStatus) and not found.delivered_elsewhere


def test_fedex_recycled_number_reads_the_most_recently_scanned_result() -> None:
    old = fedex_result("DL")
    old["scanEvents"] = [{"date": "2019-01-01T10:00:00Z", "eventType": "DL"}]
    new = fedex_result("IT")
    found = fedex_map.parcel_status([old, new], tracking_number="122816215025810", carrier="FedEx")
    assert isinstance(found, ParcelStatus) and found.state is S.IN_TRANSIT


def test_fedex_not_found_and_other_refusals() -> None:
    not_found = [{"error": {"code": "TRACKING.TRACKINGNUMBER.NOTFOUND", "message": "Tracking number cannot be found."}}]
    found = fedex_map.parcel_status(not_found, tracking_number="1", carrier="FedEx")
    assert isinstance(found, ParcelStatus) and (found.state, found.found) == (S.UNKNOWN, False)
    refused = fedex_map.parcel_status(
        [{"error": {"code": "TRACKING.REFERENCETYPE.INVALID", "message": "no"}}], tracking_number="1", carrier="FedEx"
    )
    assert isinstance(refused, str) and "TRACKING.REFERENCETYPE.INVALID" in refused


# --- properties ----------------------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
KEYS = st.sampled_from(
    [
        "status",
        "status_detail",
        "tracking_details",
        "datetime",
        "carrier_detail",
        "activity",
        "currentStatus",
        "type",
        "statusCode",
        "code",
        "date",
        "time",
        "gmtDate",
        "deliveryDate",
        "latestStatusDetail",
        "scanEvents",
        "dateAndTimes",
        "deliveryDetails",
        "error",
        "message",
        "est_delivery_date",
    ]
)
SHAPED = st.dictionaries(KEYS, JSON, max_size=8)
# A loaded machine makes generation slow; the properties are about content, not speed.
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(SHAPED)
def test_no_easypost_json_crashes_the_mapper(tracker: dict[str, Any]) -> None:
    try:
        found = easypost_map.parcel_status(tracker, carrier="USPS", tracking_number="1")
    except easypost_map.TrackerError:
        return
    assert isinstance(found.state, ParcelState)


@PROPERTY
@given(SHAPED)
def test_no_ups_json_crashes_the_mapper(package: dict[str, Any]) -> None:
    assert isinstance(ups_map.parcel_status(package, tracking_number="1Z", carrier="UPS").state, ParcelState)


@PROPERTY
@given(st.lists(SHAPED, max_size=3))
def test_no_fedex_json_crashes_the_mapper(results: list[dict[str, Any]]) -> None:
    found = fedex_map.parcel_status(results, tracking_number="1", carrier="FedEx")
    assert isinstance(found, str | ParcelStatus)


@PROPERTY
@given(
    st.text(st.characters(categories=["Lu", "Ll", "Nd"]), min_size=1, max_size=4).filter(
        lambda code: code.upper() not in fedex_map.CODES
    )
)
def test_any_code_outside_the_fedex_table_is_unknown_and_kept(code: str) -> None:
    found = fedex_map.parcel_status([fedex_result(code)], tracking_number="1", carrier="FedEx")
    assert isinstance(found, ParcelStatus) and found.state is S.UNKNOWN
    assert code in {event.code for event in found.events}


def test_the_event_vector_is_compact_json() -> None:
    assert json.dumps(json.loads(EVENT_BODY), separators=(",", ":")).encode() == EVENT_BODY
