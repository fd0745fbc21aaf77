"""Which hosts a configured URL may name: no internal addresses, however they are spelled (§4.5).

`check_url` (config validation calls it for every service URL) asks `refused_host` about its host.
The spellings matter because the resolver accepts them all: `2130706433`, `0x7f000001`,
`0177.0.0.1` and `127.1` are each 127.0.0.1 to getaddrinfo, `[::ffff:169.254.169.254]` is the
metadata service, and `10.0.0.1.nip.io` resolves to 10.0.0.1. A name that resolves to a private
address through ordinary DNS is not caught here (that needs the connection-time check of a pinned
transport); this is the check that needs no network.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection, Sequence
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Wildcard DNS services that answer any name with the address written inside it.
_WILDCARD_DNS = ("nip.io", "sslip.io", "xip.io", "traefik.me", "localtest.me")
_EMBEDDED_V4 = re.compile(r"(?:^|[.-])((?:\d{1,3}[.-]){3}\d{1,3})(?:[.-]|$)")
_PART = re.compile(r"^(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)$", re.IGNORECASE)


def inet_aton_address(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address the C resolver reads in `host` (1 to 4 parts, each decimal, 0x-hex or 0-octal)."""
    parts = host.rstrip(".").split(".")
    if not 1 <= len(parts) <= 4 or not all(_PART.match(part) for part in parts):
        return None
    values = [int(part, 0 if part[:2].lower() == "0x" else 8 if part.startswith("0") else 10) for part in parts]
    *head, last = values
    if any(value > 255 for value in head) or last >= 256 ** (5 - len(values)):
        return None
    number = 0
    for value in head:
        number = number * 256 + value
    number = number * 256 ** (4 - len(head)) + last
    return ipaddress.IPv4Address(number)


def literal_address(host: str) -> IPAddress | None:
    """The address a host names by itself: an IP literal in any spelling, or a wildcard-DNS name."""
    bare = host.strip("[]").lower()
    if bare in ("localhost", "localhost.") or bare.endswith(".localhost"):
        return ipaddress.IPv4Address("127.0.0.1")
    try:
        address: IPAddress = ipaddress.ip_address(bare.split("%", 1)[0])
    except ValueError:
        pass
    else:
        mapped = getattr(address, "ipv4_mapped", None)
        return mapped if mapped is not None else address
    found = inet_aton_address(bare)
    if found is not None:
        return found
    if any(bare == zone or bare.endswith("." + zone) for zone in _WILDCARD_DNS):
        match = _EMBEDDED_V4.search(bare)
        if match:
            try:
                return ipaddress.IPv4Address(match.group(1).replace("-", "."))
            except ValueError:
                return None
        return ipaddress.IPv4Address("127.0.0.1")  # the bare service names answer loopback
    return None


def is_internal(address: IPAddress) -> bool:
    """Loopback, private, link-local (cloud metadata), shared, reserved, unspecified or multicast."""
    return not address.is_global or address.is_multicast


def refused_host(host: str, *, origin: str, allow_loopback: bool, allowed_origins: Collection[str] = ()) -> str | None:
    """Why this host may not be configured, or None. An internal address must be written plainly; loopback
    is allowed only with the simulators flag, any other internal address only when its origin is listed."""
    address = literal_address(host)
    if address is None or not is_internal(address):
        return None
    plain = host.strip("[]").lower() in (str(address), "localhost")
    if not plain:
        return f"{host} is {address} written another way; write the address plainly if it is meant"
    if address.is_loopback:
        if allow_loopback:
            return None
        return f"{host} is loopback; only the simulators use it, with [http] allow_insecure_loopback = true"
    if origin.lower().rstrip("/") in {allowed.lower().rstrip("/") for allowed in allowed_origins}:
        return None
    return f"{host} is an internal address; allow it by exact origin in [http] allowed_private_origins"


def is_loopback_host(host: str) -> bool:
    if host in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(
    key: str, url: str, *, allow_insecure_loopback: bool, allowed_private_origins: Sequence[str] = ()
) -> None:
    """HTTPS only, no userinfo; plain http only to loopback and only when explicitly allowed; no internal
    address in any spelling unless allowed (loopback by the flag, others by exact origin; see urlguard)."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError(f"{key}: {url!r} must use https://")
    if parts.username or parts.password:
        raise ValueError(f"{key}: credentials in the URL are not allowed; use the key/password settings")
    host = parts.hostname or ""
    if not host:
        raise ValueError(f"{key}: {url!r} is not an absolute URL")
    origin = f"{parts.scheme.lower()}://{parts.netloc.lower()}"
    problem = refused_host(
        host, origin=origin, allow_loopback=allow_insecure_loopback, allowed_origins=allowed_private_origins
    )
    if problem is not None:
        raise ValueError(f"{key}: {problem}")
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and allow_insecure_loopback and is_loopback_host(host):
        return
    if parts.scheme == "http" and is_loopback_host(host):
        raise ValueError(f"{key}: http:// to {host} needs [http] allow_insecure_loopback = true (simulators only)")
    raise ValueError(f"{key}: {url!r} must use https://")
