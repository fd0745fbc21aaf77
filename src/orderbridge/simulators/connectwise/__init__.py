"""A ConnectWise PSA simulator (procurement endpoints) faithful enough for a real third-party client.

Split like moto's fakes: routes (`app.py`, `resources.py`), state (`state.py`, `tables.py`, `kinds.py`,
`writes.py`), errors (`errors.py`), plus the `/_sim/` control API (`control.py`). COVERAGE.md lists what is
implemented and which behaviours are guesses.
"""

from .app import create_app
from .faults import Fault
from .recorder import RecordedRequest, RequestLog
from .seed import seed_defaults
from .state import ConnectWiseState

__all__ = ["ConnectWiseState", "Fault", "RecordedRequest", "RequestLog", "create_app", "seed_defaults"]
