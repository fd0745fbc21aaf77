"""Reading a callback's body within a cap, for every receiver (ConnectWise, EasyPost).

The cap is checked against the declared length first and the streamed bytes after, so an oversized or
endless body costs us no more than `[callbacks] max_body_bytes` before it is refused with 413.
"""

from __future__ import annotations

from starlette.requests import Request


class TooLarge(Exception):
    """The body is over the cap: answered 413 before anything else is read."""


async def read_body(request: Request, cap: int) -> bytes:
    """The raw body, refused (TooLarge) as soon as it passes `cap` bytes, declared or streamed."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)
