"""Can this machine reach a configured service at all? DNS, TCP, TLS, HTTP, each named when it fails.

The shared HTTP policy (`http.py`) deliberately keeps only the class of a transport error, because its
text can quote a URL. The doctor needs the exact step, so it makes one plain, credential-free GET
to the configured URL here and classifies the failure itself; only the host name reaches a message.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator

import httpx

from orderbridge.troubleshoot.findings import Finding

_DNS_WORDS = (
    "name or service not known",
    "nodename nor servname",
    "getaddrinfo",
    "name resolution",
    "no address associated",
    "name does not resolve",
)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def classify_failure(service: str, host: str, exc: BaseException) -> Finding:
    """The failed step of reaching `host`, as a problem finding with its cause and fix."""
    chain = list(_chain(exc))
    text = " ".join(str(item).lower() for item in chain)
    check = f"{service}.network"
    if any(isinstance(item, socket.gaierror) for item in chain) or any(word in text for word in _DNS_WORDS):
        return Finding.problem(
            f"{service}.dns",
            f"{service}: DNS lookup of {host} failed",
            cause=f"the name {host} does not resolve from this machine",
            fix="check the host name in the configured URL for typos, and this machine's DNS settings",
        )
    if any(isinstance(item, ssl.SSLError) for item in chain) or "ssl" in text or "certificate" in text:
        return Finding.problem(
            f"{service}.tls",
            f"{service}: TLS handshake with {host} failed",
            cause="the server's certificate is not trusted here, or a proxy intercepts HTTPS",
            fix="check the URL's host and port, the system CA bundle, and any TLS-inspecting proxy",
        )
    if any(isinstance(item, ConnectionRefusedError) for item in chain) or "refused" in text:
        return Finding.problem(
            check,
            f"{service}: connection to {host} refused",
            cause="nothing listens on that host and port (wrong port, or the service is down)",
            fix="check the port in the configured URL and that the service is running",
        )
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return Finding.problem(
            check,
            f"{service}: no answer from {host} in time",
            cause="a firewall drops the traffic, or the service is overloaded",
            fix="check outbound firewall rules for this host and port; raise [http] timeout_s if it is slow",
        )
    return Finding.problem(
        check,
        f"{service}: could not connect to {host} ({type(exc).__name__})",
        cause="the network path to the service failed",
        fix="check connectivity from this machine to the configured URL",
    )


async def probe_reachable(
    service: str, url: str, *, transport: httpx.AsyncBaseTransport | None = None, timeout_s: float = 10.0
) -> Finding:
    """One GET without credentials: any HTTP answer at all means DNS, TCP and TLS work."""
    host = httpx.URL(url).host or url
    try:
        async with httpx.AsyncClient(
            transport=transport, timeout=timeout_s, follow_redirects=False, trust_env=False
        ) as client:
            reply = await client.get(url)
    except (httpx.HTTPError, OSError, TimeoutError) as exc:
        return classify_failure(service, host, exc)
    return Finding.passed(
        f"{service}.network", f"{service}: {host} reachable (DNS, TCP, TLS; HTTP {reply.status_code})"
    )
