"""ServiceHTTP, the one HTTP policy: what is retried and how long it waits, what is never repeated,
the byte cap (also while decompressing), short bodies, redirects, the rate limit and concurrency cap.

Servers are httpx.MockTransport handlers or small raw ASGI apps (for bodies that must stream exactly as
sent: gzip bombs, truncation). Sleeps are recorded, never waited.
"""

from __future__ import annotations

import asyncio
import gzip
import random
import tracemalloc
import zlib
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from orderbridge.core.errors import RequestRejected, ResponseTooLarge, TransientApiError
from orderbridge.http import RateLimiter, ServiceHTTP, ServicePolicy, parse_retry_after

URL = "https://api.example.test/things"


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def policy(**overrides: Any) -> ServicePolicy:
    values: dict[str, Any] = {"service": "svc", "max_attempts": 4, "requests_per_minute": 1_000_000}
    return ServicePolicy(**(values | overrides))


def mock(handler: Callable[[httpx.Request], httpx.Response], sleeps: Sleeps, **overrides: Any) -> ServiceHTTP:
    return ServiceHTTP(policy(**overrides), transport=httpx.MockTransport(handler), sleep=sleeps)


def script(*replies: httpx.Response | Exception) -> tuple[Callable[[httpx.Request], httpx.Response], list[str]]:
    """A handler answering from a list, recording each request's method."""
    queue, seen = list(replies), []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.method)
        reply = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(reply, Exception):
            raise reply
        return reply

    return handler, seen


Body = Iterable[bytes]


def asgi(status: int, headers: dict[str, str], chunks: Body) -> Callable[..., Awaitable[None]]:
    """A raw ASGI app sending exactly these headers and body chunks (no framework adds a length)."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
            }
        )
        for chunk in chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    return app


def over_asgi(app: Any, sleeps: Sleeps, **overrides: Any) -> ServiceHTTP:
    return ServiceHTTP(policy(**overrides), transport=httpx.ASGITransport(app=app), sleep=sleeps)


# ------------------------------------------------------------------------------------------- Retry-After


@pytest.mark.parametrize(
    ("header", "expected"),
    [("7", 7.0), (" 0 ", 0.0), ("1.5", 1.5), ("-3", None), ("soon", None), ("", None), (None, None), ("nan", None)],
)
def test_retry_after_seconds(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


def test_retry_after_http_date() -> None:
    now = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    assert parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now=now) == 90
    assert parse_retry_after(format_datetime(now - timedelta(hours=1), usegmt=True), now=now) == 0


async def test_429_waits_what_retry_after_says_even_for_a_post() -> None:
    handler, seen = script(httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(201, json={}))
    sleeps = Sleeps()
    async with mock(handler, sleeps) as http:
        reply = await http.request("POST", URL, json={"a": 1})
    assert (reply.status, seen, sleeps.waits) == (201, ["POST", "POST"], [7.0])
    assert http.stats.retried["429"] == 1


async def test_retry_after_longer_than_we_wait_inline_ends_the_call_at_once() -> None:
    handler, seen = script(httpx.Response(503, headers={"Retry-After": "3600"}))
    sleeps = Sleeps()
    async with mock(handler, sleeps, max_retry_after_s=120) as http:
        with pytest.raises(TransientApiError, match="asked to wait 3600s"):
            await http.request("GET", URL)
    assert (seen, sleeps.waits) == (["GET"], [])


# ---------------------------------------------------------------------------- what is safe to repeat


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_5xx_is_retried_for_reads(status: int) -> None:
    handler, seen = script(httpx.Response(status), httpx.Response(200, text="ok"))
    sleeps = Sleeps()
    async with mock(handler, sleeps) as http:
        assert (await http.request("GET", URL)).text == "ok"
    assert len(seen) == 2 and len(sleeps.waits) == 1


async def test_5xx_on_a_post_is_not_repeated() -> None:
    handler, seen = script(httpx.Response(503), httpx.Response(201))
    async with mock(handler, Sleeps()) as http:
        with pytest.raises(TransientApiError, match="not safe to repeat") as caught:
            await http.request("POST", URL)
    assert seen == ["POST"] and caught.value.status == 503


async def test_a_post_declared_idempotent_is_retried() -> None:
    handler, seen = script(httpx.Response(500), httpx.Response(200))
    async with mock(handler, Sleeps()) as http:
        assert (await http.request("POST", URL, idempotent=True)).status == 200
    assert seen == ["POST", "POST"]


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (httpx.ConnectError("refused"), "connect"),
        (httpx.ConnectTimeout("slow connect"), "connect-timeout"),
        (httpx.PoolTimeout("no connection free"), "pool-timeout"),
    ],
)
async def test_failures_before_the_request_left_are_retried_for_any_method(error: Exception, reason: str) -> None:
    handler, seen = script(error, httpx.Response(201))
    async with mock(handler, Sleeps()) as http:
        assert (await http.request("POST", URL)).status == 201
    assert seen == ["POST", "POST"] and http.stats.retried[reason] == 1


@pytest.mark.parametrize(
    ("error", "reason"),
    [(httpx.ReadTimeout("slow"), "timeout"), (httpx.RemoteProtocolError("reset"), "reset")],
)
async def test_failures_after_the_request_left_repeat_reads_only(error: Exception, reason: str) -> None:
    handler, seen = script(error, httpx.Response(200))
    async with mock(handler, Sleeps()) as http:
        assert (await http.request("GET", URL)).status == 200
    assert seen == ["GET", "GET"]
    handler, seen = script(error, httpx.Response(200))
    async with mock(handler, Sleeps()) as http:
        with pytest.raises(TransientApiError, match=reason):
            await http.request("PATCH", URL)
    assert seen == ["PATCH"]


async def test_attempts_are_capped_and_the_error_carries_no_transport_exception() -> None:
    handler, seen = script(httpx.ConnectError("refused to https://api.example.test/things?secret=1"))
    async with mock(handler, Sleeps(), max_attempts=3) as http:
        with pytest.raises(TransientApiError) as caught:
            await http.request("GET", URL + "?secret=1")
    assert len(seen) == 3 and http.stats.gave_up == 1
    error = caught.value
    assert "after 3 attempts" in str(error) and "secret" not in str(error)
    assert error.__cause__ is None and error.__context__ is None


async def test_backoff_is_exponential_with_full_jitter_and_capped() -> None:
    handler, _ = script(httpx.Response(503))
    sleeps = Sleeps()
    http = ServiceHTTP(
        policy(max_attempts=8, backoff_base_s=1.0, backoff_cap_s=10.0),
        transport=httpx.MockTransport(handler),
        sleep=sleeps,
        rng=random.Random(3),
    )
    async with http:
        with pytest.raises(TransientApiError):
            await http.request("GET", URL)
    ceilings = [1, 2, 4, 8, 10, 10, 10]
    assert len(sleeps.waits) == 7
    assert all(0 <= wait <= ceiling for wait, ceiling in zip(sleeps.waits, ceilings, strict=True))
    assert http.stats.waited_s == pytest.approx(sum(sleeps.waits))


# -------------------------------------------------------------------------------------- redirects


async def test_redirects_are_never_followed_and_the_target_is_named_without_secrets() -> None:
    handler, seen = script(
        httpx.Response(302, headers={"Location": "http://user:pw@127.0.0.1:9/steal?key=abc#frag"}),
        httpx.Response(200),
    )
    async with mock(handler, Sleeps()) as http:
        with pytest.raises(RequestRejected) as caught:
            await http.request("GET", URL)
    assert seen == ["GET"]
    message = str(caught.value)
    assert "http://127.0.0.1/steal" in message
    assert not any(part in message for part in ("user", "pw", "key=abc", "frag"))


# ------------------------------------------------------------------------------------- body caps


async def test_declared_length_over_the_cap_is_refused_before_reading() -> None:
    app = asgi(200, {"Content-Length": str(50_000)}, [b"x" * 50_000])
    async with over_asgi(app, Sleeps(), max_response_bytes=10_000) as http:
        with pytest.raises(ResponseTooLarge, match="10000-byte cap"):
            await http.request("GET", URL)


async def test_chunked_body_over_the_cap_is_refused() -> None:
    app = asgi(200, {}, [b"x" * 4_000] * 5)
    async with over_asgi(app, Sleeps(), max_response_bytes=10_000) as http:
        with pytest.raises(ResponseTooLarge):
            await http.request("GET", URL)


def _gzip_of_zeros(total: int, chunk: int = 1 << 20) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(chunk)
    parts = [packer.compress(zeros) for _ in range(total // chunk)]
    return b"".join([*parts, packer.flush()])


async def test_gzip_bomb_in_one_chunk_is_stopped_while_decompressing() -> None:
    bomb = _gzip_of_zeros(256 << 20)  # 256 MiB of zeros in about 250 KB
    cap = 1 << 20
    app = asgi(200, {"Content-Encoding": "gzip", "Content-Length": str(len(bomb))}, [bomb])
    async with over_asgi(app, Sleeps(), max_response_bytes=cap) as http:
        tracemalloc.start()
        try:
            with pytest.raises(ResponseTooLarge, match="after decompression"):
                await http.request("GET", URL)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 8 * cap + 4 * len(bomb), f"peak {peak} bytes: decompression was not bounded"


@pytest.mark.parametrize("encoding", ["gzip", "deflate-zlib", "deflate-raw", "identity"])
async def test_compressed_bodies_are_decoded(encoding: str) -> None:
    text = b"<SynnexB2B>" + b"ok" * 5000 + b"</SynnexB2B>"
    if encoding == "gzip":
        body, header = gzip.compress(text), "gzip"
    elif encoding == "deflate-zlib":
        body, header = zlib.compress(text), "deflate"
    elif encoding == "deflate-raw":
        packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        body, header = packer.compress(text) + packer.flush(), "deflate"
    else:
        body, header = text, "identity"
    app = asgi(200, {"Content-Encoding": header, "Content-Length": str(len(body))}, [body[:100], body[100:]])
    async with over_asgi(app, Sleeps()) as http:
        assert (await http.request("GET", URL)).content == text


async def test_an_encoding_we_did_not_ask_for_is_refused() -> None:
    app = asgi(200, {"Content-Encoding": "br"}, [b"\x8b\x02\x80hello\x03"])
    async with over_asgi(app, Sleeps()) as http:
        with pytest.raises(RequestRejected, match="was not asked for"):
            await http.request("GET", URL)


async def test_we_ask_only_for_encodings_we_can_bound() -> None:
    handler, _ = script(httpx.Response(200))
    seen: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["accept-encoding"])
        return handler(request)

    async with mock(record, Sleeps()) as http:
        await http.request("GET", URL)
    assert seen == ["gzip, deflate"]


# ----------------------------------------------------------------------------------- short bodies


class Flaky:
    """An ASGI app whose first `bad` answers send half of what Content-Length promises."""

    def __init__(self, bad: int, body: bytes = b'{"id": 1, "name": "complete"}', gzipped: bool = False) -> None:
        self.bad, self.calls, self.body, self.gzipped = bad, 0, body, gzipped

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.calls += 1
        body = gzip.compress(self.body) if self.gzipped else self.body
        headers = {"Content-Length": str(len(body))} | ({"Content-Encoding": "gzip"} if self.gzipped else {})
        sent = body[: len(body) // 2] if self.calls <= self.bad else body
        await asgi(200, headers, [sent])(scope, receive, send)


async def test_a_body_short_of_its_content_length_is_retried_for_reads() -> None:
    app = Flaky(bad=2)
    async with over_asgi(app, Sleeps()) as http:
        assert (await http.request("GET", URL)).json() == {"id": 1, "name": "complete"}
    assert app.calls == 3 and http.stats.retried["truncated"] == 2


async def test_a_short_body_on_a_post_is_not_repeated() -> None:
    app = Flaky(bad=1)
    async with over_asgi(app, Sleeps()) as http:
        with pytest.raises(TransientApiError, match="truncated"):
            await http.request("POST", URL)
    assert app.calls == 1


async def test_a_gzip_stream_cut_before_its_end_counts_as_truncated() -> None:
    full = gzip.compress(b"x" * 10_000)
    cut = full[: len(full) - 6]  # no trailer, and no length header to notice by
    app = asgi(200, {"Content-Encoding": "gzip"}, [cut])
    async with over_asgi(app, Sleeps(), max_attempts=2) as http:
        with pytest.raises(TransientApiError, match="truncated"):
            await http.request("GET", URL)


async def test_head_with_a_length_and_no_body_is_fine() -> None:
    app = asgi(200, {"Content-Length": "1234"}, [])
    async with over_asgi(app, Sleeps()) as http:
        assert (await http.request("HEAD", URL)).content == b""


# ----------------------------------------------------------------------------- whole-call deadline


async def test_a_server_that_never_finishes_hits_the_whole_request_deadline() -> None:
    async def stalls(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await asyncio.Event().wait()  # never sends the body

    async with over_asgi(stalls, Sleeps(), timeout_s=0.05, connect_timeout_s=0.05, max_attempts=2) as http:
        with pytest.raises(TransientApiError, match="timeout"):
            await http.request("GET", URL)
    assert http.stats.calls[("GET", "timeout")] == 2


# ----------------------------------------------------------------------- rate limit and concurrency


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


async def test_rate_limit_spaces_calls_evenly_after_one_seconds_burst() -> None:
    time = FakeTime()
    limiter = RateLimiter(120, monotonic=time.monotonic, sleep=time.sleep)  # 2 a second
    for _ in range(6):
        await limiter.acquire()
    assert time.waits == pytest.approx([0.5, 0.5, 0.5, 0.5])
    # In any 60 s window at most the budget plus one second's burst goes through.
    assert time.now - 1000.0 == pytest.approx(2.0)


async def test_rate_limit_reserves_slots_in_order_even_when_sleep_does_not_move_time() -> None:
    time = FakeTime()
    waits: list[float] = []

    async def frozen(seconds: float) -> None:
        waits.append(seconds)

    limiter = RateLimiter(60, monotonic=time.monotonic, sleep=frozen)  # 1 a second, no burst
    for _ in range(4):
        await limiter.acquire()
    assert waits == pytest.approx([1.0, 2.0, 3.0])


async def test_rate_limit_refills_while_idle() -> None:
    time = FakeTime()
    limiter = RateLimiter(600, monotonic=time.monotonic, sleep=time.sleep)  # 10 a second, burst 10
    for _ in range(10):
        await limiter.acquire()
    time.now += 5
    for _ in range(10):
        await limiter.acquire()
    assert time.waits == []


async def test_concurrency_cap_holds() -> None:
    in_flight, peak, gate = 0, 0, asyncio.Event()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await gate.wait()
        in_flight -= 1
        await asgi(200, {}, [b"ok"])(scope, receive, send)

    async with over_asgi(app, Sleeps(), concurrency=2) as http:
        calls = [asyncio.create_task(http.request("GET", URL)) for _ in range(6)]
        for _ in range(20):
            await asyncio.sleep(0)
        gate.set()
        replies = await asyncio.gather(*calls)
    assert peak == 2 and all(reply.status == 200 for reply in replies)
