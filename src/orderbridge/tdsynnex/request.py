"""The PO Status request body for one PO, from a per-client template.

`xml.build_status_request` builds the document with ElementTree, which escapes every value; that is
the only builder and the one the simulator and tests use. A cycle sends one request per PO with the
same credentials each time, so rather than build the whole tree per PO, the client
builds the document once with a marker where the PO number goes, and per PO puts in the PO number
escaped exactly as ElementTree escapes element text (`&`, `<`, `>`). Only printable ASCII takes
that path; anything else is built (and validated) by the builder. A property test holds the two paths
byte-for-byte equal.
"""

from __future__ import annotations

from orderbridge.tdsynnex.xml import build_status_request

# Letters only, so the builder emits it verbatim; long and odd enough never to occur in credentials.
_MARKER = "QqOrderbridgePoNumberMarkerQq"


def _escape_text(value: str) -> bytes:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").encode("ascii")


class StatusRequestTemplate:
    """`render(po_number)` == `build_status_request(..., po_number=po_number)`, without the tree."""

    def __init__(self, *, user_id: str, password: str, customer_number: str, version: str = "2.7") -> None:
        self._fields = {"user_id": user_id, "password": password, "customer_number": customer_number}
        self._version = version
        body = build_status_request(po_number=_MARKER, version=version, **self._fields)
        self._head, _marker, self._tail = body.partition(_MARKER.encode())

    def render(self, po_number: str) -> bytes:
        # Printable ASCII (every real PO number) needs only ElementTree's three text escapes. Anything
        # else goes to the builder, which names the field when a value cannot be sent at all.
        if po_number.isascii() and po_number.isprintable() and po_number.strip():
            return self._head + _escape_text(po_number) + self._tail
        return build_status_request(po_number=po_number, version=self._version, **self._fields)
