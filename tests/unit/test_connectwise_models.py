"""ConnectWise wire models read golden JSON into domain types, tolerating new and missing fields."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from orderbridge.connectwise.models import (
    CustomFieldValueModel,
    ErrorBody,
    PurchaseOrderLineItemModel,
    PurchaseOrderModel,
    PurchaseOrderNoteModel,
    PurchaseOrderStatusModel,
    ShipmentMethodModel,
    UserDefinedFieldModel,
)
from orderbridge.core import domain

PAYLOADS = Path(__file__).parents[1] / "payloads" / "connectwise"


def load(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text(encoding="utf-8"))


def test_purchase_order_like_reference_example_maps_to_domain() -> None:
    po = PurchaseOrderModel.model_validate(load("purchase_order.json")).to_domain()

    assert po.id == 1201
    assert po.po_number == "PO-1201"
    assert po.status == domain.Reference(id=2, name="On Order")
    assert po.shipment_method == domain.Reference(id=3, name="UPS Ground")
    assert po.closed_flag is False
    assert po.last_updated == datetime(2024, 5, 2, 14, 0, tzinfo=UTC)
    assert po.lines is None
    tracking = po.custom_field("send to tds")
    assert tracking == domain.CustomField(
        id=14, caption="Send to TDS", type="Checkbox", entry_method="EntryField", number_of_decimals=0, value=True
    )
    assert po.custom_field("Synced") is not None and po.custom_field("Synced").value is None  # type: ignore[union-attr]


def test_empty_strings_and_nulls_both_read_as_none() -> None:
    po = PurchaseOrderModel.model_validate(load("purchase_order.json")).to_domain()

    assert po.vendor_order_number is None
    assert po.tracking_number is None
    assert po.vendor_invoice_number is None
    assert po.shipment_date is None
    assert po.vendor_invoice_date is None


def test_datetimes_are_aware_utc_whatever_offset_or_none_was_sent() -> None:
    po = PurchaseOrderModel.model_validate(load("purchase_order_shipped.json")).to_domain()

    assert po.shipment_date == datetime(2024, 5, 3, 18, 30, tzinfo=UTC)
    assert po.shipment_date is not None and po.shipment_date.tzinfo is UTC
    # No offset on the wire: read as UTC, never as local time.
    assert po.vendor_invoice_date == datetime(2024, 5, 4, tzinfo=UTC)
    # `_info` values are strings; an offset is converted to UTC.
    assert po.last_updated == datetime(2024, 5, 3, 16, 31, 2, tzinfo=UTC)
    assert po.last_updated is not None and po.last_updated.tzinfo is UTC


def test_unknown_fields_are_ignored_and_missing_optional_fields_are_fine() -> None:
    po = PurchaseOrderModel.model_validate(load("purchase_order_shipped.json")).to_domain()

    assert po.vendor_order_number == "SO-778812"
    assert po.custom_fields == ()
    assert po.shipment_method is None
    minimal = PurchaseOrderModel.model_validate({"id": 7}).to_domain()
    assert minimal == domain.PurchaseOrder(id=7, po_number=None)


def test_a_record_without_id_is_rejected() -> None:
    with pytest.raises(ValidationError):
        PurchaseOrderModel.model_validate({"poNumber": "PO-1"})


def test_line_item_maps_product_identifier_and_shipment_fields() -> None:
    line = PurchaseOrderLineItemModel.model_validate(load("line_item.json")).to_domain()

    assert line == domain.PurchaseOrderLine(
        id=5501,
        line_number=1,
        description="Laptop 14in",
        product_identifier="NB-14-G5",
        vendor_sku="7712345",
        quantity=5.0,
        tracking_number="1Z999AA10123456784",
        ship_date=datetime(2024, 5, 3, tzinfo=UTC),
        shipment_method=domain.Reference(id=3, name="UPS Ground"),
        vendor_order_number="SO-778812",
        serial_numbers="SN1,SN2",
        expected_ship_date=datetime(2024, 5, 2, tzinfo=UTC),
        backordered_flag=False,
        canceled_flag=False,
        canceled_reason=None,
        received_quantity=0,
        received_status="Waiting",
    )


def test_statuses_keep_closed_and_inactive_flags() -> None:
    statuses = [PurchaseOrderStatusModel.model_validate(item).to_domain() for item in load("statuses.json")]

    assert statuses == [
        domain.PurchaseOrderStatus(id=1, name="New"),
        domain.PurchaseOrderStatus(id=2, name="On Order"),
        domain.PurchaseOrderStatus(id=5, name="Received In Full", closed_flag=True),
        domain.PurchaseOrderStatus(id=6, name="Cancelled", closed_flag=True, inactive_flag=True),
    ]


def test_shipment_methods_carry_the_tracking_url_template() -> None:
    methods = [ShipmentMethodModel.model_validate(item).to_domain() for item in load("shipment_methods.json")]

    assert methods[0].tracking_url == "https://www.ups.com/track?tracknum=[TRACKINGNUMBER]"
    assert methods[1] == domain.ShipmentMethod(id=4, name="Courier", tracking_url=None)


def test_note_reads_text_and_entry_metadata() -> None:
    note = PurchaseOrderNoteModel.model_validate(load("note.json"))

    assert note.purchase_header_rec_id == 1201
    got = note.to_domain()
    assert (got.id, got.text, got.flagged, got.entered_by) == (
        71,
        "orderbridge: shipped 2 of 5 lines",
        False,
        "apiMember",
    )
    assert got.date_entered == datetime(2024, 5, 3, 18, 31, 5, tzinfo=UTC)


def test_user_defined_field_becomes_a_definition() -> None:
    (udf,) = [UserDefinedFieldModel.model_validate(item).to_domain() for item in load("user_defined_fields.json")]

    assert (udf.id, udf.caption, udf.field_type, udf.screen_id) == (14, "Send to TDS", "Checkbox", "purchase_order")


@pytest.mark.parametrize("value", [True, False, None, "x", 3, 2.5, ["a"], {"k": 1}])
def test_custom_field_value_is_untyped(value: Any) -> None:
    field = CustomFieldValueModel.model_validate({"id": 1, "caption": "c", "value": value}).to_domain()

    assert field.value == value
    assert (field.type, field.entry_method, field.number_of_decimals) == ("Text", "EntryField", 0)


def test_validation_error_body_summary_names_the_field() -> None:
    body = ErrorBody.model_validate(load("error_400_invalid_object.json"))

    assert body.code == "InvalidObject"
    assert body.summary() == "InvalidObject: trackingNumber: max length 50"


def test_error_summary_lists_every_field() -> None:
    summary = ErrorBody.model_validate(load("error_400_two_fields.json")).summary()

    assert summary.startswith("InvalidObject: yearEstablished: The field yearEstablished")
    assert "; revenueYear: The field revenueYear" in summary


def test_429_body_uses_error_key_instead_of_code() -> None:
    body = ErrorBody.model_validate(load("error_429.json"))

    assert body.code == "ConnectWiseAPI"
    assert body.summary() == "ConnectWiseAPI: Too many requests. Please try again in 30 seconds."


@pytest.mark.parametrize(
    ("name", "summary"),
    [
        ("error_404.json", "NotFound: Purchase Order 123 not found"),
        ("error_ssl.json", "Security: SSL is required."),
    ],
)
def test_error_bodies_without_field_list_use_the_message(name: str, summary: str) -> None:
    assert ErrorBody.model_validate(load(name)).summary() == summary


def test_error_body_with_nothing_in_it_still_summarises() -> None:
    assert ErrorBody.model_validate({}).summary() == "no detail given"
