"""Secret redaction: what `redact` removes from any text bound for a log, an error or the activity log.

Two kinds of secret are found: the configured ones (`register_secret`), and credential shapes (XML login
elements, Authorization headers, key=value pairs, the password of a URL, base64 of `user:password` as
HTTP Basic carries it). A configured secret rarely travels as typed: a TD SYNNEX body XML-escapes it,
a URL percent-encodes it, JSON and repr() escape it, Basic auth base64-encodes it behind a user name.
So each one is registered with every form we know, and its base64 is looked for at all three byte
alignments, which finds it after any prefix (`user:`). Kept apart from the error tree because logs,
the store and the dashboard call it too.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import re
from urllib.parse import quote, quote_plus

_LOGIN_ELEMENT = r"(?:[\w.-]+:)?(?:Password|UserID|Credential)"
_SECRET_PATTERNS = [
    # XML credentials: a TD SYNNEX request body *is* a credential (reliability-security.md §4.3). Any
    # prefix or attributes; an element that a truncated excerpt left open loses everything after it.
    re.compile(rf"(<{_LOGIN_ELEMENT}\b[^>]*(?<!/)>)(.*?)(</{_LOGIN_ELEMENT}\s*>|$)", re.IGNORECASE | re.DOTALL),
    re.compile(r"((?:authorization|clientid|cookie)\s*[:=]\s*)([^\s,;'\"}]+(?:\s+[^\s,;'\"}]+)?)", re.IGNORECASE),
    re.compile(
        # key=value (forms, query strings) or "key": "value" (JSON); not prose such as "password: required".
        r"((?:access_token|refresh_token|client_secret|password|private_key|signing_key)"
        r"(?:=|[\"']\s*:\s*[\"']?))"
        r"([^\"'&\s,}]+)",
        re.IGNORECASE,
    ),
    # The password of a URL (store URLs, proxies, webhooks), up to the last "@" of the URL: a password
    # with "@" or "/" in it is hidden whole, at worst with some host or path besides.
    re.compile(r"(://[^\s/?#@:\"'<>]*:)([^\s\"'<>]*)(@)"),
]
# The literal text each pattern needs, lower-cased: a text with none of them (most answers) skips the
# pattern, and `in` on a lower-cased copy costs far less than a case-insensitive scan per pattern.
_MARKERS = [
    ("password", "userid", "credential"),
    ("authorization", "clientid", "cookie"),
    ("access_token", "refresh_token", "client_secret", "password", "private_key", "signing_key"),
    ("://",),
]
_BASE64_BLOB = re.compile(r"\b[A-Za-z0-9+/]{12,}={0,2}")
# What HTTP Basic puts before the colon: a user name, an e-mail address, ConnectWise's company+publickey.
# ASCII only: a 12-digit FedEx number (244107862414) decodes to Arabic and Cyrillic letters, a colon and
# more, which a Unicode \w took for a user name and masked in the activity log (found by hypothesis).
_BASIC_USER = re.compile(r"[\w.@+\-]{1,128}", re.ASCII)
_BASE64_CHARS = "[A-Za-z0-9+/_-]*"


class _Registered:
    """The registered secrets in the shapes `redact` scans for. Each tuple is replaced whole, never
    changed in place, so a `redact` running in another thread iterates a stable one."""

    # Forms replaced verbatim, longest first (one may contain another).
    verbatim: tuple[str, ...] = ()
    # Base64 of a secret at each byte alignment, with the pattern of the whole blob around it.
    fragments: tuple[tuple[str, re.Pattern[str]], ...] = ()


def _forms(secret: str) -> set[str]:
    """The secret as it appears escaped for XML, HTML, URLs, JSON and Python's repr()."""
    # html.escape(quote=False) is exactly XML text escaping (& < >), without importing an XML module here.
    text = html.escape(secret, quote=False)
    named = text.replace('"', "&quot;").replace("'", "&apos;")
    decimal = html.escape(secret).replace("&#x27;", "&#39;").replace("&quot;", "&#34;")
    return {
        secret,
        text,
        named,
        html.escape(secret),
        decimal,
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        repr(secret)[1:-1],
    }


def _base64_fragments(secret: bytes) -> set[str]:
    """The base64 characters that depend on `secret` alone, whatever came before it in the encoded
    bytes: one run per alignment (0, 1 or 2 bytes of prefix mod 3), standard and URL-safe alphabets."""
    found = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + secret).decode("ascii")
        first_group = -(-offset // 3)  # the first 3-byte group that starts inside the secret
        last_group = (offset + len(secret)) // 3  # groups before this one end inside it
        fragment = encoded[4 * first_group : 4 * last_group]
        if len(fragment) >= 8:
            found |= {fragment, fragment.replace("+", "-").replace("/", "_")}
    return found


def register_secret(value: str | None) -> None:
    """Remember a configured secret so `redact` removes it wherever it turns up, in any known form."""
    # Short values ("demo") would blank out ordinary words everywhere; real keys are much longer.
    if not value or len(value) < 8:
        return
    _Registered.verbatim = tuple(sorted(set(_Registered.verbatim) | _forms(value), key=len, reverse=True))
    known = {fragment for fragment, _ in _Registered.fragments}
    added = [
        (fragment, re.compile(_BASE64_CHARS + re.escape(fragment) + _BASE64_CHARS + "=*"))
        for fragment in sorted(_base64_fragments(value.encode("utf-8")) - known)
    ]
    _Registered.fragments = (*_Registered.fragments, *added)


# Blobs already found not to be credentials: XML element names and SKUs repeat in every answer, and
# decoding each again was a tenth of a sync cycle's CPU. Only negatives are kept, so no credential is
# ever held here; the set is bounded by clearing it when full.
_NOT_CREDENTIALS: set[str] = set()
_NOT_CREDENTIALS_MAX = 16384


def _is_basic_credentials(decoded: str) -> bool:
    user, colon, password = decoded.partition(":")
    return bool(colon and password and _BASIC_USER.fullmatch(user) and password.isprintable())


def _looks_like_basic_credentials(blob: str) -> bool:
    try:
        decoded = base64.b64decode(blob + "=" * (-len(blob) % 4), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        decoded = ""
    if _is_basic_credentials(decoded):
        return True
    if len(_NOT_CREDENTIALS) >= _NOT_CREDENTIALS_MAX:
        _NOT_CREDENTIALS.clear()
    _NOT_CREDENTIALS.add(blob)
    return False


def redact(text: str) -> str:
    """Remove credentials from text bound for logs, errors or the activity log."""
    for fragment, blob in _Registered.fragments:
        if fragment in text:
            text = blob.sub("***", text)
    for secret in _Registered.verbatim:
        if secret in text:
            text = text.replace(secret, "***")
    lowered = text.lower()
    for pattern, markers in zip(_SECRET_PATTERNS, _MARKERS, strict=True):
        if any(marker in lowered for marker in markers):
            text = pattern.sub(r"\1***\3" if pattern.groups == 3 else r"\1***", text)
    # findall and a set difference run in C; a Python call per blob only for blobs never seen before.
    unseen = set(_BASE64_BLOB.findall(text)) - _NOT_CREDENTIALS
    found = {blob for blob in unseen if _looks_like_basic_credentials(blob)}
    if not found:
        return text
    return _BASE64_BLOB.sub(lambda m: "***" if m.group(0) in found else m.group(0), text)
