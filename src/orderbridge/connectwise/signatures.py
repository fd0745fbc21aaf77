"""How ConnectWise signs a callback: the one HMAC both the receiver and the simulator compute.

A pure pair of functions, apart from the receiver's SSRF-guarded key fetch, so the simulator can sign
its deliveries without importing the receiving side (connectwise-psa.md §7.4).
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def signature_for(signing_key: str, body: bytes) -> str:
    """base64(HMAC-SHA256(key = SHA256(utf8(signing_key)), msg = raw body)), as the DG's C# sample does."""
    key = hashlib.sha256(signing_key.encode("utf-8")).digest()
    return base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode("ascii")


def signature_matches(signing_key: str, body: bytes, header: str) -> bool:
    expected = signature_for(signing_key, body).encode("ascii")
    return hmac.compare_digest(expected, header.strip().encode("utf-8", errors="replace"))
