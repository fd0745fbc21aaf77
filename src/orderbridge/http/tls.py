"""Which TLS certificates outbound calls trust: the system trust store, plus an optional CA bundle.

One SSL context per process (per `[http] ca_bundle`), built on first use and shared by every transport:
building one reads the whole system store, which costs 20-40 ms of CPU. The operator's bundle is
added on top of the system store, never instead of it, so a TLS-inspecting firewall's CA can be
trusted without losing the public CAs.
"""

from __future__ import annotations

import ssl
import sys

_CONTEXTS: dict[str | None, ssl.SSLContext] = {}


def ssl_context(ca_bundle: str | None = None) -> ssl.SSLContext:
    """The shared client context trusting the system store and `ca_bundle` (a PEM file) if given."""
    context = _CONTEXTS.get(ca_bundle)
    if context is None:
        context = _system_context()
        if ca_bundle:
            context.load_verify_locations(cafile=ca_bundle)
        context = _CONTEXTS.setdefault(ca_bundle, context)
    return context


def _system_context() -> ssl.SSLContext:
    if sys.platform == "darwin" or sys.platform == "win32":
        # There OpenSSL has no system store of its own; truststore verifies through the OS (Keychain,
        # CryptoAPI), so certificates an administrator installed there are trusted as in a browser.
        import truststore

        return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # On Linux OpenSSL's default paths *are* the system store (/etc/ssl/certs, with SSL_CERT_FILE and
    # SSL_CERT_DIR honoured): the same certificates truststore would read. truststore is not used here
    # because it re-verifies every chain in Python, measured at ~30-37 ms of CPU per TLS handshake against
    # ~1.5-2 ms for this context (docs/performance.md, "HTTP on aiohttp").
    return ssl.create_default_context()


__all__ = ["ssl_context"]
