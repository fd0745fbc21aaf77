"""Reading a response body under a byte cap: our own bounded decompression and truncation check.

Split from `client.py` because it is the part that defends memory: httpx decompresses each network
chunk in one call, so a small gzip chunk can expand a thousandfold before any cap sees it (and an
in-process transport may hand over the whole body as one chunk). Here every `decompress` call is
given an output bound, so the cap holds while decoding, not after.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator

ACCEPT_ENCODING = "gzip, deflate"  # what we can decode with a bound; br/zstd are never asked for


class BodyTooLarge(Exception):
    """The body (raw or decoded) passed the cap; `decoded` says which side."""

    def __init__(self, decoded: bool) -> None:
        super().__init__("decoded" if decoded else "raw")
        self.decoded = decoded


class BodyTruncated(Exception):
    """Fewer bytes than Content-Length, or a compressed stream that stops before its end."""


class BodyUndecodable(Exception):
    """An encoding we did not ask for, or bytes that are not what the encoding says."""


class _Inflater:
    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        # gzip has its header; "deflate" is zlib-wrapped by the RFC but raw in some servers, so the
        # first failure on a zlib header retries the same bytes as raw deflate (what browsers do).
        wbits = 16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS
        self._inflater = zlib.decompressobj(wbits)
        self._started = False

    def feed(self, data: bytes, room: int) -> bytes:
        """Decompress `data`, producing at most room + 1 bytes (one past the cap proves it is over)."""
        out: list[bytes] = []
        produced = 0
        while data:
            try:
                chunk = self._inflater.decompress(data, room - produced + 1)
            except zlib.error:
                if self.encoding == "deflate" and not self._started:
                    self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                    self._started = True
                    continue
                raise BodyUndecodable(f"body is not valid {self.encoding}") from None
            self._started = True
            produced += len(chunk)
            out.append(chunk)
            if produced > room:
                raise BodyTooLarge(decoded=True)
            data = self._inflater.unconsumed_tail
            if self._inflater.eof:
                break  # trailing bytes after the stream end are ignored, as httpx does
        return b"".join(out)

    def finish(self) -> None:
        if not self._inflater.eof:
            raise BodyTruncated(f"{self.encoding} stream ends before its end marker")


def _inflater_for(content_encoding: str) -> _Inflater | None:
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return None
    if len(codings) > 1 or codings[0] not in ("gzip", "x-gzip", "deflate"):
        raise BodyUndecodable(f"content-encoding {content_encoding!r} was not asked for")
    return _Inflater("gzip" if codings[0] in ("gzip", "x-gzip") else "deflate")


async def read_body(
    raw: AsyncIterator[bytes],
    *,
    content_encoding: str,
    content_length: str | None,
    cap: int,
    expect_body: bool = True,
) -> bytes:
    """The decoded body, or BodyTooLarge / BodyTruncated / BodyUndecodable. `expect_body=False` (HEAD,
    204, 304) means a Content-Length describes a body that is rightly absent."""
    declared = int(content_length) if content_length and content_length.strip().isdigit() else None
    if declared is not None and declared > cap:
        raise BodyTooLarge(decoded=False)
    inflater = _inflater_for(content_encoding)
    chunks: list[bytes] = []
    raw_size = decoded_size = 0
    async for chunk in raw:
        raw_size += len(chunk)
        if raw_size > cap:
            raise BodyTooLarge(decoded=False)
        if inflater is not None:
            chunk = inflater.feed(chunk, cap - decoded_size)
        decoded_size += len(chunk)
        if decoded_size > cap:
            raise BodyTooLarge(decoded=True)
        chunks.append(chunk)
    # Over a socket the transport's parser notices a short body itself; an in-process one does not, so both
    # paths get the same answer from this check.
    if expect_body and declared is not None and raw_size < declared:
        raise BodyTruncated(f"{raw_size} of {declared} bytes")
    if inflater is not None and raw_size:
        inflater.finish()
    return b"".join(chunks)
