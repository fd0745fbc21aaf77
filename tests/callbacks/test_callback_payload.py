"""The record id of a verified callback is parsed strictly: ConnectWise ids are int32 (connectwise-psa.md
§3.2), sent as JSON numbers; ASCII digit strings are tolerated, nothing else is."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderbridge.callbacks.payload import RECORD_ID_MAX, BadCallback, po_callback, read_envelope, record_id
from orderbridge.callbacks.verify import CallbackRejected

IN_RANGE = st.integers(min_value=1, max_value=RECORD_ID_MAX)
OUT_OF_RANGE = st.integers(max_value=0) | st.integers(min_value=RECORD_ID_MAX + 1)


@given(IN_RANGE)
def test_every_int32_id_is_accepted_as_a_number_and_as_ascii_digits(value: int) -> None:
    assert record_id(value) == value
    assert record_id(str(value)) == value


@given(OUT_OF_RANGE)
def test_every_id_outside_1_to_int32_max_is_refused_as_a_number_and_as_digits(value: int) -> None:
    with pytest.raises(BadCallback, match="ID"):
        record_id(value)
    with pytest.raises(BadCallback, match="ID"):
        record_id(str(value))


@given(st.text(min_size=1, max_size=12).filter(lambda s: not (s.isascii() and s.isdigit())))
def test_a_string_that_is_not_only_ascii_digits_is_refused(value: str) -> None:
    with pytest.raises(BadCallback, match="ID"):
        record_id(value)


FULL_WIDTH = {ord("0") + d: 0xFF10 + d for d in range(10)}


@given(st.text("0123456789", min_size=1, max_size=10).map(lambda s: s.translate(FULL_WIDTH)))
def test_full_width_digits_are_refused(value: str) -> None:
    assert value.isdigit()  # what fooled the old parser
    with pytest.raises(BadCallback):
        record_id(value)


OTHER_JSON = (
    st.none()
    | st.booleans()
    | st.floats()
    | st.lists(st.integers(), max_size=2)
    | st.dictionaries(st.text(), st.integers())
)


@given(OTHER_JSON)
def test_other_json_types_are_refused(value: object) -> None:
    with pytest.raises(BadCallback):
        record_id(value)


def test_a_huge_id_is_named_in_the_reason_without_echoing_all_its_digits() -> None:
    with pytest.raises(BadCallback) as refused:
        record_id(10**400)
    assert len(refused.value.reason) < 120 and "outside" in refused.value.reason


def envelope(**fields: object) -> bytes:
    payload = {"MessageId": "m1", "Type": "purchaseorder", "ID": 7, "Metadata": {"key_url": "https://x"}}
    return json.dumps({**payload, **fields}).encode()


def test_a_verified_po_callback_names_message_po_and_action() -> None:
    callback = po_callback(read_envelope(envelope(Action="Deleted")), company="demo")
    assert callback is not None and (callback.message_id, callback.po_id, callback.action) == ("m1", 7, "deleted")
    assert po_callback(read_envelope(envelope(Type="ticket", ID="x")), company="demo") is None


@pytest.mark.parametrize(
    "fields",
    [{"MessageId": "m" * 101}, {"Action": 5}, {"Action": "x" * 21}, {"ID": "７"}, {"ID": 2**63}],
)
def test_fields_the_inbox_cannot_hold_are_a_bad_callback(fields: dict[str, object]) -> None:
    with pytest.raises(BadCallback):
        po_callback(read_envelope(envelope(**fields)), company="demo")


def test_another_companys_callback_is_rejected_however_it_is_signed() -> None:
    with pytest.raises(CallbackRejected):
        po_callback(read_envelope(envelope(CompanyId="other")), company="demo")
