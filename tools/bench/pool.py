"""Connection pools for ServiceHTTP: several small httpcore pools instead of one large one.

httpcore's pool re-examines every connection for every idle one each time a request starts or ends,
which is quadratic in the pool size: at 64 connections (TD SYNNEX's benchmark concurrency) that
bookkeeping cost more CPU than everything else in a cycle (docs/performance.md). Splitting the same
number of connections over pools of `SHARD_SIZE` keeps each scan small. Each request goes to the
shard with the fewest requests in flight, so no shard queues while another has idle connections, and
every shard keeps all of its connections alive: a pool that closes idle sockets between bursts
reopens them on the next one. All shards share the process's one SSL context (building one costs ~40
ms of CPU, and each httpx transport used to build its own).

Production no longer sends through these pools (http_wire.py is cheaper per request); they stay as
the httpx-native alternative that `python -m tools.bench.http` compares against.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable

import httpx

from orderbridge.http.wire import shared_ssl_context

SHARD_SIZE = 8


class _Released(httpx.AsyncByteStream):
    """A response body that tells its shard when it is finished with, whatever way it ends."""

    def __init__(self, inner: httpx.AsyncByteStream, release: Callable[[], None]) -> None:
        self._inner = inner
        self._release: Callable[[], None] | None = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            release, self._release = self._release, None
            if release is not None:
                release()


class ShardedTransport(httpx.AsyncBaseTransport):
    """`connections` keep-alive connections spread over pools of at most `shard_size`."""

    def __init__(self, connections: int, *, shard_size: int = SHARD_SIZE) -> None:
        count = max(1, math.ceil(connections / shard_size))
        size = max(1, math.ceil(connections / count))
        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        # trust_env=False as in ServiceHTTP: no proxy or CA bundle taken from the environment.
        context = shared_ssl_context()
        self._shards = [httpx.AsyncHTTPTransport(limits=limits, trust_env=False, verify=context) for _ in range(count)]
        self._in_flight = [0] * count

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        index = min(range(len(self._shards)), key=self._in_flight.__getitem__)
        self._in_flight[index] += 1

        def release() -> None:
            self._in_flight[index] -= 1

        try:
            response = await self._shards[index].handle_async_request(request)
        except BaseException:
            release()
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_Released(response.stream, release),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        for shard in self._shards:
            await shard.aclose()
