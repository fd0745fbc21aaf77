"""One HTTP policy for both services: timeouts, retries, rate limits, concurrency caps, size caps.

Retries use tenacity (well kept, async-aware) and rate limits aiolimiter (a leaky bucket per
service), so this module only states the policy: which failures are worth another try, how long to
wait (honouring Retry-After), and which calls are safe to repeat. Redirects are never followed,
because an authenticated call redirected to another host would hand it our credentials.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from aiolimiter import AsyncLimiter
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from orderbridge.config import HttpSettings
from orderbridge.errors import RequestRejected, ResponseTooLarge, TransientApiError, redact

RETRIABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
REQUEST_ID_HEADERS = ("x-cw-request-id", "x-request-id", "x-correlation-id")

Sleep = Callable[[float], Awaitable[None]]


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
    """A fully read, size-capped response. Bodies are bytes already decompressed by httpx."""

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
        import json

        return json.loads(self.content)


@dataclass
class CallStats:
    """Counts for the summary, metrics and benchmarks: calls by (method, status) and retries."""

    calls: Counter[tuple[str, int | str]] = field(default_factory=Counter)
    retries: int = 0

    @property
    def total(self) -> int:
        return sum(self.calls.values())


class _RetryableFailure(Exception):
    def __init__(self, reason: str, retry_after: float | None = None, reply: Reply | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.reply = reply


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


class ServiceHTTP:
    """An httpx client bound to one service's policy. Pass `transport=` to mount a simulator in-process."""

    def __init__(
        self,
        policy: ServicePolicy,
        *,
        base_url: str = "",
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | tuple[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.policy = policy
        self.stats = CallStats()
        self._sleep = sleep
        self._semaphore = asyncio.Semaphore(policy.concurrency)
        # A bucket of one minute's allowance, drained evenly: bursts up to the per-minute budget.
        self._limiter = AsyncLimiter(policy.requests_per_minute, 60)
        self._client = httpx.AsyncClient(
            base_url=base_url,
            headers=dict(headers or {}),
            auth=auth,
            transport=transport,
            timeout=httpx.Timeout(policy.timeout_s, connect=policy.connect_timeout_s),
            follow_redirects=False,
            trust_env=False,
        )

    async def __aenter__(self) -> ServiceHTTP:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def request(
        self,
        method: str,
        url: str,
        *,
        idempotent: bool | None = None,
        **kwargs: Any,
    ) -> Reply:
        """Send with retries. A 429 is always retried (the server did nothing); other failures only
        when the call is safe to repeat. Returns the final reply for any non-retriable status."""
        method = method.upper()
        safe = method in SAFE_METHODS if idempotent is None else idempotent
        policy = self.policy

        def should_retry(exc: BaseException) -> bool:
            if not isinstance(exc, _RetryableFailure):
                return False
            return safe or exc.reason in ("429", "connect")

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            retry_after = exc.retry_after if isinstance(exc, _RetryableFailure) else None
            if retry_after is not None:
                return retry_after
            ceiling = min(policy.backoff_cap_s, policy.backoff_base_s * 2 ** (state.attempt_number - 1))
            return random.uniform(0, ceiling)  # full jitter

        async def before_sleep(state: RetryCallState) -> None:
            self.stats.retries += 1

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
            reply = failure.reply
            raise TransientApiError(
                f"{method} {_path(url)} failed after retries: {failure.reason}",
                service=policy.service,
                status=reply.status if reply else None,
                body_excerpt=reply.text if reply else "",
                request_id=reply.request_id if reply else None,
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(self, method: str, url: str, **kwargs: Any) -> Reply:
        policy = self.policy
        async with self._semaphore:
            await self._limiter.acquire()
            started = time.perf_counter()
            try:
                async with self._client.stream(method, url, **kwargs) as response:
                    content = await self._read_capped(response, method, url)
            except httpx.ConnectError as exc:
                self.stats.calls[(method, "connect")] += 1
                raise _RetryableFailure("connect") from exc
            except (httpx.TimeoutException, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
                self.stats.calls[(method, "timeout")] += 1
                raise _RetryableFailure(type(exc).__name__) from exc
            except httpx.DecodingError as exc:
                self.stats.calls[(method, "decoding")] += 1
                raise RequestRejected(
                    f"{method} {_path(url)}: response body could not be decoded ({redact(str(exc))[:200]})",
                    service=policy.service,
                ) from None
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
                f"{method} {_path(url)}: redirect to {reply.headers.get('location', '?')!r} not followed",
                service=policy.service,
                status=reply.status,
                request_id=reply.request_id,
            )
        return reply

    async def _read_capped(self, response: httpx.Response, method: str, url: str) -> bytes:
        cap = self.policy.max_response_bytes
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > cap:
            raise ResponseTooLarge(
                f"{method} {_path(url)}: body of {declared} bytes is over the {cap}-byte cap",
                service=self.policy.service,
                status=response.status_code,
            )
        chunks: list[bytes] = []
        size = 0
        # aiter_bytes yields decompressed bytes, so the cap also holds against gzip bombs.
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > cap:
                raise ResponseTooLarge(
                    f"{method} {_path(url)}: body over the {cap}-byte cap (after decompression)",
                    service=self.policy.service,
                    status=response.status_code,
                )
            chunks.append(chunk)
        return b"".join(chunks)


def _path(url: str) -> str:
    """Method and path only in messages: query strings can carry identifiers we do not log."""
    return httpx.URL(url).path if "://" in url else url.split("?", 1)[0]
