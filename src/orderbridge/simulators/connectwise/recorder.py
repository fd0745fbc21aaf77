"""The request recorder: every API call the simulator answered, for tests that assert on traffic.

"Two cycles with nothing new make zero writes" (DESIGN.md §6) is asserted with `writes()`. Credentials are
never recorded: the Authorization header is not kept, and bodies are only what the client sent as data.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    method: str
    path: str  # as sent, e.g. /v4_6_release/apis/3.0/procurement/purchaseorders/1001
    resource: str  # lower-cased path after /apis/3.0, e.g. /procurement/purchaseorders/1001
    query: dict[str, str]
    status: int
    time: datetime
    body: Any = None
    request_id: str = ""
    fault: bool = False  # answered by an injected fault rather than the simulated API
    headers: dict[str, str] = field(default_factory=dict)  # a safe subset: clientId, Accept, pagination-type

    @property
    def is_write(self) -> bool:
        return self.method in WRITE_METHODS

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "resource": self.resource,
            "query": self.query,
            "status": self.status,
            "time": self.time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "body": self.body,
            "requestId": self.request_id,
            "fault": self.fault,
            "headers": self.headers,
        }


class RequestLog:
    """An append-only list of `RecordedRequest` with the filters tests need most."""

    def __init__(self) -> None:
        self._entries: list[RecordedRequest] = []

    def append(self, entry: RecordedRequest) -> None:
        self._entries.append(entry)

    def clear(self) -> None:
        self._entries.clear()

    def __iter__(self) -> Iterator[RecordedRequest]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, index: int) -> RecordedRequest:
        return self._entries[index]

    def writes(self) -> list[RecordedRequest]:
        """Only POST/PUT/PATCH/DELETE calls to the API (the control API is never recorded)."""
        return [entry for entry in self._entries if entry.is_write]

    def matching(self, method: str | None = None, resource_prefix: str = "") -> list[RecordedRequest]:
        prefix = resource_prefix.lower()
        return [
            entry
            for entry in self._entries
            if (method is None or entry.method == method.upper()) and entry.resource.startswith(prefix)
        ]
