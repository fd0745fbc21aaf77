"""`python -m tools.bench.http`: client CPU per HTTP exchange, the figure issues 7 and 14 are made of.

A sync cycle sends one TD SYNNEX PO Status POST per PO, so the client-side CPU of one exchange sets
a floor under the cycle's CPU per 1,000 POs. This serves a fixed ~4 KB XML answer from uvicorn in a
child process (so the server's CPU is not counted) and sends it `--requests` POSTs at `--concurrency`
through each client path named by `--paths`, printing one JSON line per path:

- `service`: ServiceHTTP as production builds it (no transport passed: aiohttp, `http/transport.py`);
- `aiohttp`: a bare `aiohttp.ClientSession` POST with the same pool size, raw body read: the floor our
  adapter and policy sit on, so what they add is the difference;
- `service-httpx`: ServiceHTTP over httpx's own transport (httpcore), the comparison path.

CPU is `time.process_time()` of this process over the measured requests, after a warm-up that opens
every connection, so connection set-up is not in the figure. `--delay-ms` makes the server wait that
long before each answer, as a real service does: exchanges then no longer arrive in batches, and each
step of an exchange costs an event-loop turn of its own, which is what a sync cycle pays.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import IO, Any

import aiohttp
import httpx

from orderbridge.http import ServiceHTTP, ServicePolicy

PATH = "/SynnexXML/POStatus"
REQUEST_BODY = b'<?xml version="1.0" encoding="UTF-8"?><SynnexB2B><OrderStatusRequest><PONumber>PO-1</PONumber>'
REQUEST_BODY += b"</OrderStatusRequest></SynnexB2B>"
_LINE = b"<Line><Item>SKU-12345</Item><Qty>3</Qty><Status>Shipped</Status><Tracking>1Z999</Tracking></Line>"
ANSWER = b'<?xml version="1.0" encoding="UTF-8"?><SynnexB2B><OrderStatusResponse>' + _LINE * 40
ANSWER += b"</OrderStatusResponse></SynnexB2B>"


DELAY_S = 0.0  # set in the server process from --delay-ms


async def _answer_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The fixed answer, whatever was asked (the request body is drained so keep-alive holds)."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    if DELAY_S:
        await asyncio.sleep(DELAY_S)
    headers = [(b"content-type", b"application/xml"), (b"content-length", str(len(ANSWER)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": ANSWER})


def _serve(delay_ms: float) -> None:
    from orderbridge.simulators.serve import start_server

    global DELAY_S
    DELAY_S = delay_ms / 1000

    server = start_server(_answer_app)
    sys.stdout.write(json.dumps({"url": server.url}) + "\n")
    sys.stdout.flush()
    sys.stdin.read()  # until the parent closes our stdin
    server.stop()


Send = Callable[[], Awaitable[int]]


async def _drive(send: Send, requests: int, concurrency: int) -> tuple[float, float]:
    """CPU and wall seconds for `requests` sends, `concurrency` at a time."""
    remaining = requests

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            status = await send()
            if status != 200:
                raise RuntimeError(f"status {status}")

    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.process_time() - cpu0, time.perf_counter() - wall0


async def _measure(path: str, url: str, requests: int, concurrency: int) -> dict[str, Any]:
    policy = ServicePolicy("bench", concurrency=concurrency, requests_per_minute=100_000_000)
    headers = {"Content-Type": "application/xml"}
    close: Callable[[], Awaitable[None]]
    send: Send
    if path == "aiohttp":
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=concurrency), auto_decompress=False, trust_env=False
        )

        async def send_aiohttp() -> int:
            async with session.post(url + PATH, data=REQUEST_BODY, headers=headers) as response:
                await response.read()
                return response.status

        send, close = send_aiohttp, session.close
    elif path in ("service", "service-httpx"):
        transport = (
            httpx.AsyncHTTPTransport(
                limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
                trust_env=False,
            )
            if path == "service-httpx"
            else None
        )
        service = ServiceHTTP(policy, base_url=url, transport=transport)

        async def send_service() -> int:
            reply = await service.request("POST", PATH, content=REQUEST_BODY, headers=headers, idempotent=True)
            return reply.status

        send, close = send_service, service.aclose
    else:
        raise SystemExit(f"unknown path {path!r}; use service, aiohttp or service-httpx")
    try:
        await _drive(send, concurrency * 4, concurrency)  # warm-up: every connection opened
        cpu, wall = await _drive(send, requests, concurrency)
    finally:
        await close()
    return {
        "path": path,
        "requests": requests,
        "concurrency": concurrency,
        "cpu_ms_per_request": round(cpu * 1000 / requests, 4),
        "requests_per_s": round(requests / wall, 1),
        "answer_bytes": len(ANSWER),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.bench.http", description=__doc__)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--paths", default="service,aiohttp", help="comma-separated: service,aiohttp,service-httpx")
    parser.add_argument("--delay-ms", type=float, default=0.0, help="server wait before each answer")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args(argv)
    if args.serve:
        _serve(args.delay_ms)
        return
    child = subprocess.Popen(  # noqa: S603 (our own module, our own float)
        [sys.executable, "-m", "tools.bench.http", "--serve", "--delay-ms", str(args.delay_ms)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        out: IO[bytes] | None = child.stdout
        assert out is not None
        url = json.loads(out.readline())["url"]
        for path in args.paths.split(","):
            figures = asyncio.run(_measure(path.strip(), url, args.requests, args.concurrency))
            sys.stdout.write(json.dumps(figures) + "\n")
            sys.stdout.flush()
    finally:
        if child.stdin is not None:
            child.stdin.close()
        child.wait(timeout=20)


if __name__ == "__main__":
    main()
