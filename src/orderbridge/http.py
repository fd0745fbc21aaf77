"""One HTTP policy for both services: timeouts, retries, rate limits, concurrency caps, size caps.

Retries use tenacity (well kept, async-aware); this module only states the policy: which failures
are worth another try, how long to wait (honouring Retry-After), and which calls are safe to repeat.
A call that provably never reached the server (429, connection refused, connect or pool timeout) is
repeated whatever its method; anything after the request left (5xx, read timeout, reset, short body)
only when the call is idempotent. Redirects are never followed, because an authenticated call
redirected to another host would hand it our credentials. Bodies are read by `http_body` under a
byte cap that also bounds decompression; the rate limit and Retry-After live in `http_timing`.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from orderbridge.config import HttpSettings
from orderbridge.errors import ApiError, RequestRejected, ResponseTooLarge, TransientApiError
from orderbridge.http_body import ACCEPT_ENCODING, BodyTooLarge, BodyTruncated, BodyUndecodable, read_body
from orderbridge.http_pool import ShardedTransport
from orderbridge.http_timing import Monotonic, RateLimiter, Sleep, parse_retry_after

__all__ = ["JITTER", "CallStats", "RateLimiter", "Reply", "ServiceHTTP", "ServicePolicy", "parse_retry_after"]

RETRIABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
REQUEST_ID_HEADERS = ("x-cw-request-id", "x-request-id", "x-correlation-id")
# Failures where the server did nothing with the request, so even a POST may be sent again.
NOT_SENT = frozenset({"429", "connect", "connect-timeout", "pool-timeout"})

# Where backoff jitter comes from when no `rng` is passed. One shared source, so a harness that needs a
# reproducible run (faultreport) can seed it once instead of reaching into every client.
JITTER = random.Random()


@dataclass(frozen=True)
class ServicePolicy:
    service: str
    timeout_s: float = 30.0
    connect_timeout_s: float = 10.0
    max_attempts: int = 4
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 30.0
    max_retry_after_s: float = 120.0
    max_response_bytes: int = 10 * 1024 * 1024
    concurrency: int = 8
    requests_per_minute: int = 600

    @classmethod
    def from_settings(
        cls, service: str, http: HttpSettings, *, concurrency: int, requests_per_minute: int
    ) -> ServicePolicy:
        return cls(
            service=service,
            timeout_s=http.timeout_s,
            connect_timeout_s=http.connect_timeout_s,
            max_attempts=http.max_attempts,
            backoff_base_s=http.backoff_base_s,
            backoff_cap_s=http.backoff_cap_s,
            max_retry_after_s=http.max_retry_after_s,
            max_response_bytes=http.max_response_bytes,
            concurrency=concurrency,
            requests_per_minute=requests_per_minute,
        )


@dataclass(frozen=True)
class Reply:
    """A fully read, size-capped response. `content` is already decompressed."""

    status: int
    headers: httpx.Headers
    content: bytes
    url: str
    elapsed_s: float

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    @property
    def request_id(self) -> str | None:
        for name in REQUEST_ID_HEADERS:
            if name in self.headers:
                return self.headers[name]
        return None

    def json(self) -> Any:
        return json.loads(self.content)


@dataclass
class CallStats:
    """Counts for the summary, metrics and fault reports: calls by (method, status or failure), retries
    by reason, and calls given up on."""

    calls: Counter[tuple[str, int | str]] = field(default_factory=Counter)
    retries: int = 0
    retried: Counter[str] = field(default_factory=Counter)
    gave_up: int = 0
    waited_s: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.calls.values())


class _RetryableFailure(Exception):
    def __init__(self, reason: str, retry_after: float | None = None, reply: Reply | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.reply = reply


def _failure_reason(exc: Exception) -> str | None:
    """Which transport failure this is, or None if it is not one worth retrying."""
    if isinstance(exc, httpx.ConnectTimeout):
        return "connect-timeout"
    if isinstance(exc, httpx.PoolTimeout):
        return "pool-timeout"
    if isinstance(exc, httpx.ConnectError):
        return "connect"
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return "timeout"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.NetworkError):
        return "reset"
    if isinstance(exc, BodyTruncated):
        return "truncated"
    return None


class ServiceHTTP:
    """An httpx client bound to one service's policy. Pass `transport=` to mount a simulator in-process;
    `sleep`, `monotonic` and `rng` make waits, the rate limit and backoff jitter testable."""

    def __init__(
        self,
        policy: ServicePolicy,
        *,
        base_url: str = "",
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | tuple[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        monotonic: Monotonic = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.policy = policy
        self.stats = CallStats()
        self._sleep = sleep
        self._uniform = (rng or JITTER).uniform
        self._semaphore = asyncio.Semaphore(policy.concurrency)
        self._limiter = RateLimiter(policy.requests_per_minute, monotonic=monotonic, sleep=sleep)
        self._client = httpx.AsyncClient(
            base_url=base_url,
            headers={"Accept-Encoding": ACCEPT_ENCODING, **dict(headers or {})},
            auth=auth,
            # Production gets pools sized to the concurrency (http_pool.py); tests mount simulators.
            transport=transport if transport is not None else ShardedTransport(policy.concurrency),
            timeout=httpx.Timeout(policy.timeout_s, connect=policy.connect_timeout_s),
            follow_redirects=False,
            trust_env=False,  # no proxy from the environment: HTTPS_PROXY would see our credentials
        )

    async def __aenter__(self) -> ServiceHTTP:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def request(self, method: str, url: str, *, idempotent: bool | None = None, **kwargs: Any) -> Reply:
        """Send with retries; returns the final reply for any non-retriable status.

        `idempotent` defaults to the method's own semantics; pass True for a read sent as POST (TD SYNNEX
        XML) and False for a PUT that is not safe to repeat.
        """
        method = method.upper()
        safe = method in SAFE_METHODS if idempotent is None else idempotent
        policy = self.policy

        def should_retry(exc: BaseException) -> bool:
            return isinstance(exc, _RetryableFailure) and (safe or exc.reason in NOT_SENT)

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            retry_after = exc.retry_after if isinstance(exc, _RetryableFailure) else None
            if retry_after is not None:
                return retry_after
            ceiling = min(policy.backoff_cap_s, policy.backoff_base_s * 2 ** (state.attempt_number - 1))
            return self._uniform(0, ceiling)  # full jitter

        async def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            self.stats.retries += 1
            self.stats.retried[exc.reason if isinstance(exc, _RetryableFailure) else "?"] += 1
            self.stats.waited_s += state.upcoming_sleep

        retrying = AsyncRetrying(
            stop=stop_after_attempt(policy.max_attempts),
            retry=retry_if_exception(should_retry),
            wait=wait,
            sleep=self._sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._attempt(method, url, **kwargs)
        except _RetryableFailure as failure:
            given_up = failure
        else:  # pragma: no cover - tenacity either returns or raises
            raise AssertionError("unreachable")
        # Raised outside the except block, so no transport exception rides along as __context__.
        self.stats.gave_up += 1
        raise self._give_up(method, url, given_up, retried=safe or given_up.reason in NOT_SENT)

    def _give_up(self, method: str, url: str, failure: _RetryableFailure, *, retried: bool) -> ApiError:
        reply = failure.reply
        tries = f"after {self.policy.max_attempts} attempts" if retried else "(not safe to repeat)"
        return TransientApiError(
            f"{method} {_path(url)} failed {tries}: {failure.reason}",
            service=self.policy.service,
            status=reply.status if reply else None,
            body_excerpt=reply.text if reply else "",
            request_id=reply.request_id if reply else None,
        )

    async def _attempt(self, method: str, url: str, **kwargs: Any) -> Reply:
        policy = self.policy
        async with self._semaphore:
            await self._limiter.acquire()
            started = time.perf_counter()
            problem: Exception | None = None
            try:
                # httpx timeouts are per read; this bounds the whole exchange (a slow drip of bytes too).
                async with asyncio.timeout(max(policy.timeout_s, policy.connect_timeout_s)):
                    async with self._client.stream(method, url, **kwargs) as response:
                        content = await self._read(method, response)
            except (httpx.HTTPError, TimeoutError, BodyTruncated, BodyTooLarge, BodyUndecodable) as exc:
                problem = exc
        if problem is not None:
            raise self._classify(method, url, problem)
        reply = Reply(
            status=response.status_code,
            headers=response.headers,
            content=content,
            url=str(response.request.url),
            elapsed_s=time.perf_counter() - started,
        )
        self.stats.calls[(method, reply.status)] += 1
        if reply.status in RETRIABLE_STATUSES:
            retry_after = parse_retry_after(reply.headers.get("retry-after"))
            if retry_after is not None and retry_after > policy.max_retry_after_s:
                raise TransientApiError(
                    f"{method} {_path(url)}: asked to wait {retry_after:.0f}s, more than the "
                    f"{policy.max_retry_after_s:.0f}s we wait inline",
                    service=policy.service,
                    status=reply.status,
                    body_excerpt=reply.text,
                    request_id=reply.request_id,
                )
            raise _RetryableFailure(str(reply.status), retry_after, reply)
        if 300 <= reply.status < 400:
            raise RequestRejected(
                f"{method} {_path(url)}: redirect to {_where(reply.headers.get('location', ''))} not followed",
                service=policy.service,
                status=reply.status,
                request_id=reply.request_id,
            )
        return reply

    async def _read(self, method: str, response: httpx.Response) -> bytes:
        cap = self.policy.max_response_bytes
        try:
            # A transport that built its Response from bytes (httpx.MockTransport) has read and decoded it.
            content = response.content
        except httpx.ResponseNotRead:
            return await read_body(
                response.aiter_raw(),
                content_encoding=response.headers.get("content-encoding", ""),
                content_length=response.headers.get("content-length"),
                cap=cap,
                expect_body=method != "HEAD" and response.status_code not in (204, 304),
            )
        if len(content) > cap:
            raise BodyTooLarge(decoded=True)
        return content

    def _classify(self, method: str, url: str, exc: Exception) -> Exception:
        """Our error for a failed exchange. Only the class name of a transport error is kept: its text can
        quote the URL, and httpx's own exceptions never leave this module."""
        service = self.policy.service
        reason = _failure_reason(exc)
        if reason is not None:
            self.stats.calls[(method, reason)] += 1
            return _RetryableFailure(reason)
        if isinstance(exc, BodyTooLarge):
            self.stats.calls[(method, "too-large")] += 1
            side = "after decompression" if exc.decoded else "as sent"
            return ResponseTooLarge(
                f"{method} {_path(url)}: body over the {self.policy.max_response_bytes}-byte cap ({side})",
                service=service,
            )
        self.stats.calls[(method, "undecodable")] += 1
        detail = str(exc) if isinstance(exc, BodyUndecodable) else type(exc).__name__
        return RequestRejected(f"{method} {_path(url)}: response could not be read ({detail})", service=service)


def _path(url: str) -> str:
    """Method and path only in messages: query strings can carry identifiers we do not log."""
    return httpx.URL(url).path if "://" in url else url.split("?", 1)[0]


def _where(location: str) -> str:
    """A redirect target as origin + path: no userinfo, query or fragment reaches a message."""
    try:
        target = httpx.URL(location)
    except httpx.InvalidURL:
        return "an unreadable location"
    origin = f"{target.scheme}://{target.host}" if target.host else ""
    return repr(origin + target.path)
