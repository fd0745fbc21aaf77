"""Fetching and caching ConnectWise callback signing keys, with the SSRF guards a fetch needs.

Apart from `verify.py` because this is the part that does I/O. The URL has passed the allow-list by
the time it gets here; what is left is the network side: the host's addresses are resolved and
refused when any is private (a public name can point at 10.0.0.1), no redirect is followed, no proxy
from the environment is used, the wait is 10 s and the answer 64 KiB at most.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx

from orderbridge.callbacks.verify import CallbackRejected, KeyUrlPolicy, ip_forbidden
from orderbridge.config import HttpSettings
from orderbridge.core.clock import Clock, SystemClock
from orderbridge.core.redaction import register_secret
from orderbridge.http.transport import production_transport

KEY_TIMEOUT_S = 10.0
KEY_MAX_BYTES = 64 * 1024
# Only keys that were really served are cached (a fetch that fails caches nothing), so this bounds
# genuine key URLs: expired ones are dropped when it is reached.
MAX_CACHED_KEYS = 10_000

Resolve = Callable[[str], Awaitable[list[str]]]


async def system_resolve(host: str) -> list[str]:
    """Every address the system resolver gives for `host` (the connection may use any of them)."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return []
    return sorted({str(info[4][0]) for info in infos})


class SigningKeys:
    """Signing keys per (tenant, key_url), kept `ttl` so a burst of callbacks costs one fetch.

    Keys come over the production transport (`[http] proxy`, `ca_bundle`, the system trust store).
    Known gap: the addresses are checked, then the transport (or the proxy) resolves the name again to
    connect, so a DNS answer that changes in between (rebinding) is not pinned.
    """

    def __init__(
        self,
        *,
        ttl: timedelta,
        clock: Clock | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        resolve: Resolve = system_resolve,
        http: HttpSettings | None = None,
    ) -> None:
        self._ttl = ttl
        self._clock = clock or SystemClock()
        self._resolve = resolve
        self._cache: dict[tuple[str, str], tuple[str, datetime]] = {}
        self._pending: dict[tuple[str, str], asyncio.Future[str]] = {}
        if transport is None:
            # The production transport, so a web host that reaches ConnectWise only through `[http] proxy`
            # (or HTTPS_PROXY), or behind a TLS-inspecting firewall (`[http] ca_bundle`), can fetch keys.
            http = http or HttpSettings()
            transport = production_transport(
                connections=4,
                keepalive_expiry_s=http.keepalive_expiry_s,
                proxy=http.proxy.get_secret_value() if http.proxy is not None else None,
                ca_bundle=http.ca_bundle,
            )
        self._client = httpx.AsyncClient(
            transport=transport,
            follow_redirects=False,
            trust_env=False,
            timeout=httpx.Timeout(KEY_TIMEOUT_S),
        )
        self.fetches = 0

    async def aclose(self) -> None:
        await self._client.aclose()

    def cached(self, tenant: str, key_url: str) -> str | None:
        """The key if it is at hand, without any I/O: the receiver checks this before spending a
        source's fetch budget, so genuine callbacks under a known key never wait behind a flood."""
        entry = self._cache.get((tenant, key_url))
        if entry is None:
            return None
        if entry[1] <= self._clock.now():
            del self._cache[(tenant, key_url)]
            return None
        return entry[0]

    async def get(self, tenant: str, key_url: str, policy: KeyUrlPolicy, *, client_id: str) -> str:
        key = self.cached(tenant, key_url)
        if key is not None:
            return key
        # A burst of callbacks under a new key URL shares one fetch instead of one each.
        pending = self._pending.get((tenant, key_url))
        if pending is None:
            pending = asyncio.ensure_future(self._fetch(key_url, policy, client_id))
            self._pending[(tenant, key_url)] = pending
            pending.add_done_callback(lambda _: self._pending.pop((tenant, key_url), None))
        key = await asyncio.shield(pending)
        if self._ttl > timedelta(0):
            now = self._clock.now()
            if len(self._cache) >= MAX_CACHED_KEYS:
                self._cache = {k: v for k, v in self._cache.items() if v[1] > now}
            self._cache[(tenant, key_url)] = (key, now + self._ttl)
        return key

    async def _check_addresses(self, key_url: str, policy: KeyUrlPolicy) -> None:
        parts = urlsplit(key_url)
        host = parts.hostname or ""
        addresses = await self._resolve(host)
        if not addresses:
            raise CallbackRejected(f"key_url host {host!r} does not resolve")
        loopback_ok = policy.loopback_ok(parts.scheme, host)
        if any(ip_forbidden(address, loopback_ok=loopback_ok) for address in addresses):
            raise CallbackRejected(f"key_url host {host!r} resolves to a non-public address")

    async def _fetch(self, key_url: str, policy: KeyUrlPolicy, client_id: str) -> str:
        await self._check_addresses(key_url, policy)
        self.fetches += 1
        chunks: list[bytes] = []
        try:
            # AMP sends its ClientId on this call; the key endpoint needs no other credential.
            async with self._client.stream("GET", key_url, headers={"clientId": client_id}) as response:
                if response.status_code != 200:
                    raise CallbackRejected(f"signing-key fetch answered HTTP {response.status_code}")
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > KEY_MAX_BYTES:
                        raise CallbackRejected("signing-key answer is over 64 KiB")
                    chunks.append(chunk)
        except httpx.HTTPError as exc:
            raise CallbackRejected(f"signing-key fetch failed ({type(exc).__name__})") from None
        return _signing_key(b"".join(chunks))


def _signing_key(content: bytes) -> str:
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        raise CallbackRejected("signing-key answer is not JSON") from None
    key = data.get("signing_key") if isinstance(data, dict) else None
    if not isinstance(key, str) or not key:
        raise CallbackRejected("signing-key answer has no signing_key string")
    register_secret(key)
    return key
