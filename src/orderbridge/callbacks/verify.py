"""Is this ConnectWise callback genuine? Key-URL allow-list, signing-key fetch and the HMAC check.

ConnectWise signs a callback with a key we must fetch from `Metadata.key_url`, a URL inside the very
body we are checking (connectwise-psa.md §7.4). So the URL is untrusted input and is allow-listed
before any socket opens (reliability-security.md §4.4, after Nango's verifier): only the tenant's own
ConnectWise host, the ConnectWise cloud hosts, or one configured on-prem origin; https only; no
userinfo, fragment or odd port; never a private, loopback or link-local address.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from orderbridge.config import Settings, is_loopback_host

# Nango's list (reliability-security.md §4.4). The DG also names aus./za. UI hosts; they are left out
# until a key URL on them is seen, because a wider list only widens what an attacker can point us at.
CLOUD_KEY_HOSTS = frozenset(
    f"{prefix}.myconnectwise.net"
    for prefix in ("api-au", "api-eu", "api-na", "sandbox-au", "sandbox-eu", "sandbox-na", "na", "eu", "au")
)
_DEFAULT_PORTS = {"https": 443, "http": 80}


class CallbackRejected(Exception):
    """The callback is not provably from ConnectWise; `reason` is safe to log (no key, no body)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int

    @classmethod
    def parse(cls, url: str) -> Origin:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme, 0)
        return cls(parts.scheme.lower(), host, port)


def ip_forbidden(address: str, *, loopback_ok: bool) -> bool:
    """True for any address that is not a public unicast one (IPv4-mapped IPv6 judged by its IPv4)."""
    try:
        ip = ipaddress.ip_address(address.strip("[]").split("%", 1)[0])
    except ValueError:
        return True
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return not loopback_ok
    return ip.is_multicast or not ip.is_global


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class KeyUrlPolicy:
    """Where one tenant's signing keys may come from."""

    tenant_origin: Origin
    allowed_origin: Origin | None
    allow_insecure_loopback: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyUrlPolicy:
        allowed = settings.callbacks.allowed_origin
        return cls(
            tenant_origin=Origin.parse(settings.connectwise.base_url),
            allowed_origin=Origin.parse(allowed) if allowed else None,
            allow_insecure_loopback=settings.http.allow_insecure_loopback,
        )

    def loopback_ok(self, scheme: str, host: str) -> bool:
        # The one exception: the simulator on loopback, over http, when the operator allowed exactly that.
        return self.allow_insecure_loopback and scheme == "http" and is_loopback_host(host)

    def check(self, key_url: Any) -> str:
        """The key URL if it may be fetched, else CallbackRejected. Nothing here touches the network."""
        if not isinstance(key_url, str) or not key_url.strip():
            raise CallbackRejected("Metadata.key_url is missing")
        if "#" in key_url or any(ch.isspace() or ord(ch) < 32 for ch in key_url):
            raise CallbackRejected("key_url has a fragment or control characters")
        try:
            parts = urlsplit(key_url)
            port = parts.port
        except ValueError:
            raise CallbackRejected("key_url is not a URL") from None
        scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
        if not host or scheme not in _DEFAULT_PORTS:
            raise CallbackRejected("key_url is not an absolute http(s) URL")
        if parts.username is not None or parts.password is not None or "@" in parts.netloc:
            raise CallbackRejected("key_url carries userinfo")
        loopback_ok = self.loopback_ok(scheme, host)
        if scheme != "https" and not loopback_ok:
            raise CallbackRejected("key_url is not https")
        origin = Origin(scheme, host, port or _DEFAULT_PORTS[scheme])
        trusted = [self.tenant_origin] + ([self.allowed_origin] if self.allowed_origin else [])
        cloud = origin.host in CLOUD_KEY_HOSTS and origin.scheme == "https" and origin.port == 443
        if not cloud and origin not in trusted:
            raise CallbackRejected(f"key_url host {host!r} is not this tenant's ConnectWise")
        if _is_ip_literal(host) and ip_forbidden(host, loopback_ok=loopback_ok):
            # Even a configured origin: a signing key never comes from a private or loopback address.
            raise CallbackRejected(f"key_url points at a non-public address {host!r}")
        return key_url
