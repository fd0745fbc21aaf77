"""The TD SYNNEX simulator: the XML PO Status service as an ASGI app whose orders move over simulated time.

`create_app(TDSynnexState(clock))` is the whole of it; see COVERAGE.md for what is and is not modelled.
"""

from orderbridge.simulators.tdsynnex.app import create_app
from orderbridge.simulators.tdsynnex.lifecycle import LineEvent, LineScript, OrderScript, generate_order
from orderbridge.simulators.tdsynnex.state import DEMO_ACCOUNT, Account, TDSynnexState

__all__ = [
    "DEMO_ACCOUNT",
    "Account",
    "LineEvent",
    "LineScript",
    "OrderScript",
    "TDSynnexState",
    "create_app",
    "generate_order",
]
