"""Which forward proxy, if any, a call to one origin goes through.

The environment (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY, in either case) is read once, when a
transport is made, with the standard library's own reader; NO_PROXY is applied per origin with the
standard library's own matching (exact host, domain suffix, `host:port`, `*`). `[http] proxy`
overrides the environment's proxies, and NO_PROXY still applies to it: one list says which hosts
(an on-premise ConnectWise, say) are reached directly, whichever way the proxy was given.

Kept out of the transport because it is plain data and pure decisions, and out of aiohttp's own
`trust_env` because that one looks the environment up again on every request, in a worker thread,
and also sends `.netrc` credentials to the origin. Only http:// proxies are supported (the engine
cannot speak TLS to a proxy); others found in the environment are skipped with a warning that never
quotes the URL, since a proxy URL may hold a password.
"""

from __future__ import annotations

import logging
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProxyChoice:
    """The proxies to use, as read once. `explicit` is `[http] proxy`; `environment` maps a scheme (and
    "no") to the variable's value, as `urllib.request.getproxies_environment` gives it."""

    explicit: str | None = field(default=None, repr=False)
    environment: Mapping[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_environment(cls, explicit: str | None = None) -> ProxyChoice:
        return cls(explicit=explicit or None, environment=urllib.request.getproxies_environment())

    def for_origin(self, scheme: str, host: str, port: int | None) -> str | None:
        """The proxy URL for calls to this origin, or None to connect directly."""
        proxy = self.explicit or _usable(
            self.environment.get(scheme) or self.environment.get("all"), scheme.upper() + "_PROXY"
        )
        if proxy is None:
            return None
        no_proxy = self.environment.get("no")
        target = f"{host}:{port}" if port is not None else host
        # Undocumented but stable: what urllib.request.proxy_bypass itself applies to NO_PROXY.
        bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
        if no_proxy and bypass(target, {"no": no_proxy}):
            return None
        return proxy


def _usable(value: str | None, variable: str) -> str | None:
    if not value:
        return None
    if "://" not in value:  # "proxy.corp:3128", as curl and pip accept it
        value = "http://" + value
    if urlsplit(value).scheme.lower() != "http":
        _log.warning("%s is not an http:// proxy (https:// and socks are not supported); connecting directly", variable)
        return None
    return value


__all__ = ["ProxyChoice"]
