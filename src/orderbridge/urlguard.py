"""Which hosts a configured URL may name: no internal addresses, however they are spelled (§4.5).

`config.check_url` asks `refused_host` about every service URL. The spellings matter because the
resolver accepts them all: `2130706433`, `0x7f000001`, `0177.0.0.1` and `127.1` are each 127.0.0.1
to getaddrinfo, `[::ffff:169.254.169.254]` is the metadata service, and `10.0.0.1.nip.io` resolves to
10.0.0.1. A name that resolves to a private address through ordinary DNS is not caught here (that
needs the connection-time check of a pinned transport); this is the check that needs no network.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection

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
