"""orderbridge's own database: tracked orders, events, cycles and the activity log.

Import from here: `Store` and the records it takes and returns. The URL decides the backend
(`sqlite:///orderbridge.db` by default, `postgresql+psycopg://…` for scale-out).
"""

# Feature tables register themselves on the shared MetaData when imported.
from orderbridge.store import alerts as _alerts  # noqa: F401
from orderbridge.store import cursors as _cursors  # noqa: F401
from orderbridge.store import facts as _facts  # noqa: F401
from orderbridge.store import inbox as _inbox  # noqa: F401
from orderbridge.store import invoices as _invoices  # noqa: F401
from orderbridge.store import leases as _leases  # noqa: F401
from orderbridge.store import outbox as _outbox  # noqa: F401
from orderbridge.store import parcels as _parcels  # noqa: F401
from orderbridge.store import payloads as _payloads  # noqa: F401
from orderbridge.store import reach_events as _reach_events  # noqa: F401
from orderbridge.store import setup_state as _setup_state  # noqa: F401
from orderbridge.store.activity import COLUMNS as ACTIVITY_COLUMNS
from orderbridge.store.activity import ExportFormat, export_activity, load_activity
from orderbridge.store.records import (
    ActivityEntry,
    ActivityFilter,
    CycleRecord,
    EventRecord,
    SyncRecord,
    TrackedOrder,
    encode_value,
)
from orderbridge.store.store import Store

__all__ = [
    "ACTIVITY_COLUMNS",
    "ActivityEntry",
    "ActivityFilter",
    "CycleRecord",
    "EventRecord",
    "ExportFormat",
    "Store",
    "SyncRecord",
    "TrackedOrder",
    "encode_value",
    "export_activity",
    "load_activity",
]
