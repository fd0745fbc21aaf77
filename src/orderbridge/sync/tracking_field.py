"""Is the tracking custom field there? A misspelled caption lists no PO, which looks like a quiet day.

ConnectWise answers a `customFieldConditions` on a caption it does not have with an empty list, not
an error (the simulator does; UNCONFIRMED for the real API), so "seen 0" alone cannot tell "nothing
is ticked" from "[connectwise] tracking_field names no field". When a cycle's listing comes back
empty, the engine asks for the field's definition (one call, then not again for an hour while it is
found); a missing field fails the cycle, naming the captions ConnectWise has that come close.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from datetime import datetime, timedelta

from orderbridge.connectwise.client import ConnectWiseClient
from orderbridge.core.clock import Clock
from orderbridge.core.errors import SetupError

CHECK_EVERY = timedelta(hours=1)
CLOSE_MATCHES = 3


def close_captions(caption: str, captions: Sequence[str], *, limit: int = CLOSE_MATCHES) -> list[str]:
    """Captions that differ from `caption` only by case and spaces first, then the similar ones."""

    def normal(text: str) -> str:
        return " ".join(text.split()).casefold()

    wanted = normal(caption)
    by_normal: dict[str, str] = {}
    for found in captions:
        by_normal.setdefault(normal(found), found)
    close = difflib.get_close_matches(wanted, list(by_normal), n=limit, cutoff=0.6)
    ordered = sorted(close, key=lambda text: text != wanted)  # stable: difflib's ranking otherwise
    return [by_normal[text] for text in ordered]


def missing_field_message(caption: str, captions: Sequence[str]) -> str:
    close = close_captions(caption, captions)
    text = f"ConnectWise has no PO custom field {caption!r}"
    if close:
        text += " (it has " + ", ".join(repr(found) for found in close) + ")"
    return text + "; set [connectwise] tracking_field to the caption exactly as ConnectWise shows it"


class TrackingFieldCheck:
    """One tenant's check, remembered for `CHECK_EVERY` once the field is found."""

    def __init__(self, connectwise: ConnectWiseClient, caption: str, clock: Clock) -> None:
        self.cw = connectwise
        self.caption = caption
        self.clock = clock
        self._found_at: datetime | None = None

    async def confirm(self) -> None:
        """Raise SetupError naming the close matches when ConnectWise has no field with the caption."""
        now = self.clock.now()
        if self._found_at is not None and now - self._found_at < CHECK_EVERY:
            return
        if await self.cw.find_custom_field(self.caption) is None:
            captions = [definition.caption for definition in await self.cw.list_custom_fields()]
            raise SetupError(missing_field_message(self.caption, captions) + ": no PO can be tracked until it does")
        self._found_at = now
