"""One HTTP policy for both services: timeouts, retries, rate limits, concurrency caps, size caps.

Retries use tenacity (well kept, async-aware); this module only states the policy: which failures
are worth another try, how long to wait (honouring Retry-After), and which calls are safe to repeat.
A call that provably never reached the server (429, connection refused, connect or pool timeout, a
proxy that would not connect us) is repeated whatever its method; anything after the request left (5xx,
read timeout, reset, short body) only when the call is idempotent. The transport never repeats a call
on its own (`transport.py`), so this is the only place that decides. A certificate the trust store does
not accept, and a header the transport refuses to send, end the call at once with an error that says
what to fix: repeating cannot help. Redirects are never followed, because an authenticated call
redirected to another host would hand it our credentials. Bodies are read by `body.py` under a
byte cap that also bounds decompression; the rate limit and Retry-After live in `timing.py`.
"""

from __future__ import annotations

import asyncio
import random
import ssl
import time
from collections.abc import Mapping
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from orderbridge.core.errors import ApiError, RequestRejected, ResponseTooLarge, TransientApiError
from orderbridge.http.body import BodyTooLarge, BodyTruncated, BodyUndecodable, read_body
from orderbridge.http.policy import CallStats, Reply, ServicePolicy, failure_reason, path_of, where_of
from orderbridge.http.request import PlainCall, RequestBuilder
from orderbridge.http.timing import Monotonic, RateLimiter, Sleep, parse_retry_after
from orderbridge.http.transport import AiohttpTransport, RawBody, production_transport

__all__ = ["JITTER", "ServiceHTTP"]

RETRIABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# Failures where the server did nothing with the request, so even a POST may be sent again.
NOT_SENT = frozenset({"429", "connect", "connect-timeout", "pool-timeout", "proxy"})

# Where backoff jitter comes from when no `rng` is passed. One shared source, so a harness that needs a
# reproducible run (faultreport) can seed it once instead of reaching into every client.
JITTER = random.Random()


class _RetryableFailure(Exception):
    def __init__(self, reason: str, retry_after: float | None = None, reply: Reply | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.reply = reply


class ServiceHTTP:
    """An HTTP client bound to one service's policy. Pass `transport=` to mount a simulator in-process;
    `sleep`, `monotonic` and `rng` make waits, the rate limit and backoff jitter testable.

    It sends straight through an httpx transport rather than an httpx.AsyncClient: the client's layers
    (auth and redirect flows, cookie jar, per-request merging) cost about as much CPU per call as the
    network work, and we use none of them per call. What they did once is done here once: base URL,
    default headers, the Basic auth header, timeouts. No cookies are kept between calls.

    Without `transport=`, calls go through the production transport (aiohttp, `transport.py`) made from
    the policy: `concurrency` connections, `keepalive_expiry_s`, `proxy` (or the environment's), and the
    system trust store plus `ca_bundle`."""

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
        # Tests mount simulators in-process (httpx.ASGITransport); production passes nothing.
        self._transport = transport if transport is not None else _production(policy)
        # The production transport takes plain calls without an httpx.Request/Response around them.
        self._direct = self._transport if isinstance(self._transport, AiohttpTransport) else None
        self._requests = RequestBuilder(
            base_url=base_url,
            headers=headers,
            auth=auth,
            timeout=httpx.Timeout(policy.timeout_s, connect=policy.connect_timeout_s),
        )

    async def __aenter__(self) -> ServiceHTTP:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def request(self, method: str, url: str, *, idempotent: bool | None = None, **kwargs: Any) -> Reply:
        """Send with retries; returns the final reply for any non-retriable status.

        `idempotent` defaults to the method's own semantics; pass True for a read sent as POST (TD SYNNEX
        XML) and False for a PUT that is not safe to repeat.
        """
        method = method.upper()
        safe = method in SAFE_METHODS if idempotent is None else idempotent

        # Most calls succeed at once, so the first attempt runs bare; tenacity is built only for a retry.
        try:
            return await self._attempt(method, url, kwargs)
        except _RetryableFailure as failure:
            first = failure
        retriable = safe or first.reason in NOT_SENT
        given_up = first
        if retriable and self.policy.max_attempts > 1:
            outcome = await self._retry(method, url, kwargs, first, safe)
            if isinstance(outcome, Reply):
                return outcome
            given_up = outcome
        # Raised outside the except block, so no transport exception rides along as __context__.
        self.stats.gave_up += 1
        raise self._give_up(method, url, given_up, retried=retriable)

    def _wait_s(self, failure: _RetryableFailure | None, attempt: int) -> float:
        """Seconds before the attempt after `attempt` (1-based): Retry-After, else full-jitter backoff."""
        if failure is not None and failure.retry_after is not None:
            return failure.retry_after
        policy = self.policy
        ceiling = min(policy.backoff_cap_s, policy.backoff_base_s * 2 ** (attempt - 1))
        return self._uniform(0, ceiling)

    def _count_retry(self, failure: _RetryableFailure | None, wait_s: float) -> None:
        self.stats.retries += 1
        self.stats.retried[failure.reason if failure is not None else "?"] += 1
        self.stats.waited_s += wait_s

    async def _retry(
        self, method: str, url: str, kwargs: dict[str, Any], first: _RetryableFailure, safe: bool
    ) -> Reply | _RetryableFailure:
        """Attempts 2..max_attempts under tenacity, after the wait the first failure earned: the reply, or
        the last failure when they are used up (a failure not worth retrying ends it at once)."""
        wait_s = self._wait_s(first, 1)
        self._count_retry(first, wait_s)
        await self._sleep(wait_s)

        def should_retry(exc: BaseException) -> bool:
            return isinstance(exc, _RetryableFailure) and (safe or exc.reason in NOT_SENT)

        def failure_of(state: RetryCallState) -> _RetryableFailure | None:
            exc = state.outcome.exception() if state.outcome else None
            return exc if isinstance(exc, _RetryableFailure) else None

        def before_sleep(state: RetryCallState) -> None:
            self._count_retry(failure_of(state), state.upcoming_sleep)

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.policy.max_attempts - 1),
            retry=retry_if_exception(should_retry),
            # tenacity counts from this loop's start; the policy counts the bare first attempt too.
            wait=lambda state: self._wait_s(failure_of(state), state.attempt_number + 1),
            sleep=self._sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        reply: Reply | None = None
        try:
            async for attempt in retrying:
                with attempt:
                    reply = await self._attempt(method, url, kwargs)
        except _RetryableFailure as failure:
            return failure
        assert reply is not None  # tenacity ends the loop only after a successful attempt
        return reply

    def _give_up(self, method: str, url: str, failure: _RetryableFailure, *, retried: bool) -> ApiError:
        reply = failure.reply
        tries = f"after {self.policy.max_attempts} attempts" if retried else "(not safe to repeat)"
        return TransientApiError(
            f"{method} {path_of(url)} failed {tries}: {failure.reason}",
            service=self.policy.service,
            status=reply.status if reply else None,
            body_excerpt=reply.text if reply else "",
            request_id=reply.request_id if reply else None,
            code=failure.reason,  # "connect", "timeout", "503"...: sync/causes.py words an outage from it
        )

    async def _attempt(self, method: str, url: str, kwargs: dict[str, Any]) -> Reply:
        policy = self.policy
        async with self._semaphore:
            await self._limiter.acquire()
            started = time.perf_counter()
            problem: Exception | None = None
            try:
                # httpx timeouts are per read; this bounds the whole exchange (a slow drip of bytes too).
                async with asyncio.timeout(max(policy.timeout_s, policy.connect_timeout_s)):
                    plain = self._requests.plain(url, kwargs) if self._direct is not None else None
                    if plain is not None:
                        reply = await self._direct_exchange(method, plain, started)
                    else:
                        reply = await self._exchange(method, url, kwargs, started)
            except (httpx.HTTPError, TimeoutError, BodyTruncated, BodyTooLarge, BodyUndecodable) as exc:
                problem = exc
        if problem is not None:
            raise self._classify(method, url, problem)
        self.stats.calls[(method, reply.status)] += 1
        if reply.status in RETRIABLE_STATUSES:
            retry_after = parse_retry_after(reply.headers.get("retry-after"))
            if retry_after is not None and retry_after > policy.max_retry_after_s:
                raise TransientApiError(
                    f"{method} {path_of(url)}: asked to wait {retry_after:.0f}s, more than the "
                    f"{policy.max_retry_after_s:.0f}s we wait inline",
                    service=policy.service,
                    status=reply.status,
                    body_excerpt=reply.text,
                    request_id=reply.request_id,
                )
            raise _RetryableFailure(str(reply.status), retry_after, reply)
        if 300 <= reply.status < 400:
            raise RequestRejected(
                f"{method} {path_of(url)}: redirect to {where_of(reply.headers.get('location', ''))} not followed",
                service=policy.service,
                status=reply.status,
                request_id=reply.request_id,
            )
        return reply

    async def _exchange(self, method: str, url: str, kwargs: dict[str, Any], started: float) -> Reply:
        """One exchange through any httpx transport (a simulator mounted in-process, a test's)."""
        request = await self._requests.build(method, url, kwargs)
        response = await self._transport.handle_async_request(request)
        stream = response.stream
        try:
            content = await self._read(method, response)
        finally:  # hands the connection back (or closes it)
            await (stream.aclose() if isinstance(stream, RawBody) else response.aclose())
        elapsed = time.perf_counter() - started
        return Reply(response.status_code, response.headers, content, str(request.url), elapsed)

    async def _direct_exchange(self, method: str, plain: PlainCall, started: float) -> Reply:
        """The same exchange handed to the production transport as a plain call (transport.py `send`)."""
        assert self._direct is not None  # only called when the transport is the production one
        response = await self._direct.send(method, plain.url, plain.headers, plain.body, self._requests.timeout)
        body = RawBody(response)
        try:
            content = await read_body(
                body.__aiter__(),
                content_encoding=body.content_encoding,
                content_length=body.content_length,
                cap=self.policy.max_response_bytes,
                expect_body=method != "HEAD" and response.status not in (204, 304),
            )
        finally:
            await body.aclose()
        return Reply(response.status, response.headers, content, plain.url, time.perf_counter() - started)

    async def _read(self, method: str, response: httpx.Response) -> bytes:
        cap = self.policy.max_response_bytes
        expect_body = method != "HEAD" and response.status_code not in (204, 304)
        stream = response.stream
        if isinstance(stream, RawBody):  # the production transport's: never read before, framing at hand
            return await read_body(
                stream.__aiter__(),
                content_encoding=stream.content_encoding,
                content_length=stream.content_length,
                cap=cap,
                expect_body=expect_body,
            )
        try:
            # A transport that built its Response from bytes (httpx.MockTransport) has read and decoded it.
            content = response.content
        except httpx.ResponseNotRead:
            stream = response.stream
            raw = stream.__aiter__() if isinstance(stream, httpx.AsyncByteStream) else response.aiter_raw()
            return await read_body(
                raw,
                content_encoding=response.headers.get("content-encoding", ""),
                content_length=response.headers.get("content-length"),
                cap=cap,
                expect_body=expect_body,
            )
        if len(content) > cap:
            raise BodyTooLarge(decoded=True)
        return content

    def _classify(self, method: str, url: str, exc: Exception) -> Exception:
        """Our error for a failed exchange. Only the class name of a transport error is kept: its text can
        quote the URL, and httpx's own exceptions never leave this module."""
        service = self.policy.service
        if isinstance(exc, httpx.LocalProtocolError):  # refused before sending: the request itself is wrong
            self.stats.calls[(method, "not-sent")] += 1
            return RequestRejected(
                f"{method} {path_of(url)}: {exc}; check the configured values sent as headers", service=service
            )
        untrusted = _untrusted_certificate(exc)
        if untrusted is not None:
            self.stats.calls[(method, "tls")] += 1
            host = httpx.URL(self._requests.absolute(url)).host
            return TransientApiError(
                f"{method} {path_of(url)}: TLS certificate of {host} not trusted ({untrusted}); add the issuing "
                "CA to the system trust store or name its PEM file in [http] ca_bundle",
                service=service,
            )
        reason = failure_reason(exc)
        if reason is not None:
            self.stats.calls[(method, reason)] += 1
            return _RetryableFailure(reason)
        if isinstance(exc, BodyTooLarge):
            self.stats.calls[(method, "too-large")] += 1
            side = "after decompression" if exc.decoded else "as sent"
            return ResponseTooLarge(
                f"{method} {path_of(url)}: body over the {self.policy.max_response_bytes}-byte cap ({side})",
                service=service,
            )
        self.stats.calls[(method, "undecodable")] += 1
        detail = str(exc) if isinstance(exc, BodyUndecodable) else type(exc).__name__
        return RequestRejected(f"{method} {path_of(url)}: response could not be read ({detail})", service=service)


def _production(policy: ServicePolicy) -> httpx.AsyncBaseTransport:
    return production_transport(
        connections=policy.concurrency,
        keepalive_expiry_s=policy.keepalive_expiry_s,
        proxy=policy.proxy,
        ca_bundle=policy.ca_bundle,
    )


def _untrusted_certificate(exc: BaseException) -> str | None:
    """OpenSSL's reason when `exc` is a failed certificate verification (the transport chains its cause)."""
    found: str | None = None
    current: BaseException | None = exc
    for _ in range(6):  # ours <- aiohttp's <- ssl's own, which alone carries OpenSSL's words
        if current is None:
            break
        if isinstance(current, ssl.SSLCertVerificationError):
            found = getattr(current, "verify_message", None) or found or "certificate verify failed"
        current = current.__cause__
    return found
