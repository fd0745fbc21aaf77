"""Field changes become the exact JSON Patch ConnectWise gets: bare paths, one op per field, whole arrays."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderbridge.connectwise.patch import changes_to_ops, custom_fields_op, is_idempotent
from orderbridge.core.domain import CustomField, FieldChange
from orderbridge.core.errors import SetupError


def change(field: str, new: Any, line_id: int | None = None) -> FieldChange:
    return FieldChange(field=field, old=None, new=new, reason="test", line_id=line_id)


def test_each_change_becomes_a_replace_with_a_bare_path() -> None:
    ops = changes_to_ops([change("trackingNumber", "1Z9"), change("status", {"id": 9})])

    assert ops == [
        {"op": "replace", "path": "trackingNumber", "value": "1Z9"},
        {"op": "replace", "path": "status", "value": {"id": 9}},
    ]


def test_a_json_pointer_path_is_sent_bare_like_the_developer_guide() -> None:
    assert changes_to_ops([change("/shipmentDate", "2024-05-03T00:00:00Z")]) == [
        {"op": "replace", "path": "shipmentDate", "value": "2024-05-03T00:00:00Z"}
    ]


def test_repeated_field_keeps_one_op_and_the_last_value_wins() -> None:
    ops = changes_to_ops([change("trackingNumber", "A"), change("status", {"id": 1}), change("trackingNumber", "B")])

    assert ops == [
        {"op": "replace", "path": "trackingNumber", "value": "B"},
        {"op": "replace", "path": "status", "value": {"id": 1}},
    ]


def test_no_changes_means_no_ops() -> None:
    assert changes_to_ops([]) == []


def test_changes_for_two_records_cannot_share_one_patch() -> None:
    with pytest.raises(ValueError, match="different records"):
        changes_to_ops([change("trackingNumber", "A", line_id=1), change("trackingNumber", "B", line_id=2)])


def test_null_is_a_value_not_a_removal() -> None:
    assert changes_to_ops([change("vendorInvoiceDate", None)]) == [
        {"op": "replace", "path": "vendorInvoiceDate", "value": None}
    ]


@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c", "d"]), st.integers()), max_size=20))
def test_one_op_per_distinct_field_holding_its_last_value(pairs: list[tuple[str, int]]) -> None:
    ops = changes_to_ops([change(field, value) for field, value in pairs])

    assert [op["path"] for op in ops] == list(dict.fromkeys(field for field, _ in pairs))
    assert {op["path"]: op["value"] for op in ops} == dict(pairs)
    assert is_idempotent(ops) == bool(ops)


CURRENT = (
    CustomField(id=5, caption="CloudPlus", type="Checkbox", value=False),
    CustomField(id=14, caption="Send to TDS", type="Checkbox", value=True),
    CustomField(id=28, caption="TDS Tracking", type="Text", entry_method="List", value=None),
)


def test_custom_fields_op_sends_the_whole_array_with_updates_applied() -> None:
    op = custom_fields_op(CURRENT, {"tds tracking": "1Z9, 1Z8"})

    assert op == {
        "op": "replace",
        "path": "customFields",
        "value": [
            {"id": 5, "caption": "CloudPlus", "type": "Checkbox", "entryMethod": "EntryField", "numberOfDecimals": 0,
             "value": False},
            {"id": 14, "caption": "Send to TDS", "type": "Checkbox", "entryMethod": "EntryField",
             "numberOfDecimals": 0, "value": True},
            {"id": 28, "caption": "TDS Tracking", "type": "Text", "entryMethod": "List", "numberOfDecimals": 0,
             "value": "1Z9, 1Z8"},
        ],
    }  # fmt: skip


def test_custom_fields_op_can_untick_the_tracking_checkbox() -> None:
    op = custom_fields_op(CURRENT, {"Send to TDS": False})

    assert [entry["value"] for entry in op["value"]] == [False, False, None]


def test_custom_fields_op_refuses_a_field_the_record_does_not_have() -> None:
    with pytest.raises(SetupError, match="'Invoice list'"):
        custom_fields_op(CURRENT, {"Invoice list": "INV-1"})


@pytest.mark.parametrize(
    ("ops", "safe"),
    [
        ([{"op": "replace", "path": "trackingNumber", "value": "x"}], True),
        ([{"op": "add", "path": "trackingNumber", "value": "x"}], True),
        ([{"op": "remove", "path": "trackingNumber"}], False),
        ([{"op": "add", "path": "/communicationItems/-", "value": {}}], False),
        ([], False),
    ],
)
def test_only_absolute_replace_or_add_counts_as_safe_to_retry(ops: list[dict[str, Any]], safe: bool) -> None:
    assert is_idempotent(ops) is safe
