"""ConnectWise PSA: the procurement client, its wire models, and the pure JSON Patch builders."""

from orderbridge.connectwise.client import ConnectWiseClient
from orderbridge.connectwise.models import (
    CustomFieldDefinition,
    CustomFieldValueModel,
    ErrorBody,
    PurchaseOrderLineItemModel,
    PurchaseOrderModel,
    PurchaseOrderNote,
    PurchaseOrderNoteModel,
    PurchaseOrderStatusModel,
    ShipmentMethodModel,
    UserDefinedFieldModel,
)
from orderbridge.connectwise.patch import changes_to_ops, custom_fields_op, is_idempotent
from orderbridge.connectwise.replies import MalformedApiResponse

__all__ = [
    "ConnectWiseClient",
    "CustomFieldDefinition",
    "CustomFieldValueModel",
    "ErrorBody",
    "MalformedApiResponse",
    "PurchaseOrderLineItemModel",
    "PurchaseOrderModel",
    "PurchaseOrderNote",
    "PurchaseOrderNoteModel",
    "PurchaseOrderStatusModel",
    "ShipmentMethodModel",
    "UserDefinedFieldModel",
    "changes_to_ops",
    "custom_fields_op",
    "is_idempotent",
]
