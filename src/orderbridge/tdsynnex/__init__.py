"""TD SYNNEX: the XML PO Status codec (pure) and the client that sends it over the shared HTTP policy."""

from orderbridge.tdsynnex.client import TDSynnexClient
from orderbridge.tdsynnex.xml import (
    StatusRequest,
    build_status_request,
    parse_status_request,
    parse_status_response,
)
from orderbridge.tdsynnex.xmlfields import safe_fromstring

__all__ = [
    "StatusRequest",
    "TDSynnexClient",
    "build_status_request",
    "parse_status_request",
    "parse_status_response",
    "safe_fromstring",
]
