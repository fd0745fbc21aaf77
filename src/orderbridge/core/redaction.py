"""Secret redaction: what `redact` removes from any text bound for a log, an error or the activity log.

Two kinds of secret are found: the configured ones (`register_secret`, removed verbatim wherever they
turn up) and credential shapes (XML login elements, Authorization headers, key=value pairs, base64 of
`user:password` as HTTP Basic carries it). Kept apart from the error tree because logs, the store and
the dashboard call it too.
"""

from __future__ import annotations

import base64
import binascii
import re

_SECRET_PATTERNS = [
    # XML credentials: a TD SYNNEX request body *is* a credential (reliability-security.md §4.3).
    re.compile(r"(<(?:Password|UserID)>)(.*?)(</(?:Password|UserID)>)", re.IGNORECASE | re.DOTALL),
    re.compile(r"(<Credential>)(.*?)(</Credential>)", re.IGNORECASE | re.DOTALL),
    re.compile(r"((?:authorization|clientid|cookie)\s*[:=]\s*)([^\s,;'\"}]+(?:\s+[^\s,;'\"}]+)?)", re.IGNORECASE),
    re.compile(
        # key=value (forms, query strings) or "key": "value" (JSON); not prose such as "password: required".
        r"((?:access_token|refresh_token|client_secret|password|private_key|signing_key)"
        r"(?:=|[\"']\s*:\s*[\"']?))"
        r"([^\"'&\s,}]+)",
        re.IGNORECASE,
    ),
]
# The literal word each pattern needs, lower-cased: a text with none of them (most answers) skips the
# pattern, and `in` on a lower-cased copy costs far less than a case-insensitive scan per pattern.
_MARKERS = [
    ("password", "userid"),
    ("credential",),
    ("authorization", "clientid", "cookie"),
    ("access_token", "refresh_token", "client_secret", "password", "private_key", "signing_key"),
]
_BASE64_BLOB = re.compile(r"\b[A-Za-z0-9+/]{12,}={0,2}")
_extra_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a configured secret so `redact` removes it wherever it turns up, verbatim."""
    # Short values ("demo") would blank out ordinary words everywhere; real keys are much longer.
    if value and len(value) >= 8:
        _extra_secrets.add(value)


# Blobs already found not to be credentials: XML element names and SKUs repeat in every answer, and
# decoding each again was a tenth of a sync cycle's CPU. Only negatives are kept, so no credential is
# ever held here; the set is bounded by clearing it when full.
_NOT_CREDENTIALS: set[str] = set()
_NOT_CREDENTIALS_MAX = 16384


def _looks_like_basic_credentials(blob: str) -> bool:
    if blob in _NOT_CREDENTIALS:
        return False
    try:
        decoded = base64.b64decode(blob + "=" * (-len(blob) % 4), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        decoded = ""
    if "+" in decoded and ":" in decoded:
        return True
    if len(_NOT_CREDENTIALS) >= _NOT_CREDENTIALS_MAX:
        _NOT_CREDENTIALS.clear()
    _NOT_CREDENTIALS.add(blob)
    return False


def redact(text: str) -> str:
    """Remove credentials from text bound for logs, errors or the activity log."""
    for secret in sorted(_extra_secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    lowered = text.lower()
    for pattern, markers in zip(_SECRET_PATTERNS, _MARKERS, strict=True):
        if any(marker in lowered for marker in markers):
            text = pattern.sub(r"\1***\3" if pattern.groups == 3 else r"\1***", text)
    return _BASE64_BLOB.sub(lambda m: "***" if _looks_like_basic_credentials(m.group(0)) else m.group(0), text)
