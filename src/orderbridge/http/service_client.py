"""What every service client shares (ConnectWise, TD SYNNEX's three services, the carrier providers):
it owns one `ServiceHTTP` (the one outbound policy), reports its call counts, and closes it, also as an
async context manager. Kept here, below every client, so none of them writes it again.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from orderbridge.http.client import ServiceHTTP
from orderbridge.http.policy import CallStats


class ServiceClient:
    """A subclass sets `self._http` in its constructor; the rest is here."""

    _http: ServiceHTTP

    @property
    def stats(self) -> CallStats:
        return self._http.stats

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
