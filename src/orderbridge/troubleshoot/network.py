"""Can this machine reach a configured service at all? DNS, proxy, TCP, TLS, HTTP, each named when it fails.

The shared HTTP policy (`orderbridge.http`) deliberately keeps only the class of a transport error,
because its text can quote a URL. The doctor needs the exact step, so it makes one plain, credential-
free GET to the configured URL here, through the production transport built from the same `[http]`
settings as the sync's (proxy choice, trust store and `ca_bundle`), so what passes here is what the
sync gets; it classifies the failure itself, and only the host name reaches a message.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Iterator

import httpx

from orderbridge.config import HttpSettings
from orderbridge.http import production_transport
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
    proxy = next((item for item in chain if isinstance(item, httpx.ProxyError)), None)
    if proxy is not None:
        if "407" in str(proxy):
            return Finding.problem(
                f"{service}.proxy",
                f"{service}: the proxy asks for credentials to reach {host} (HTTP 407)",
                cause="the proxy in [http] proxy or HTTPS_PROXY/HTTP_PROXY needs a user and password",
                fix="give them in the proxy URL: http://user:password@proxy-host:port",
            )
        return Finding.problem(
            f"{service}.proxy",
            f"{service}: the proxy did not connect us to {host}",
            cause="the proxy (from [http] proxy or HTTPS_PROXY/HTTP_PROXY) is unreachable or refused the tunnel",
            fix=f"check the proxy's address and that it allows CONNECT to {host}; "
            "hosts to reach directly go in NO_PROXY",
        )
    if any(isinstance(item, socket.gaierror) for item in chain) or any(word in text for word in _DNS_WORDS):
        return Finding.problem(
            f"{service}.dns",
            f"{service}: DNS lookup of {host} failed",
            cause=f"the name {host} does not resolve from this machine",
            fix="check the host name in the configured URL for typos, and this machine's DNS settings",
        )
    # aiohttp's own messages say "ssl:default" of every connection, so the word "ssl" proves nothing.
    if any(isinstance(item, ssl.SSLError | ssl.CertificateError) for item in chain) or "certificate" in text:
        return Finding.problem(
            f"{service}.tls",
            f"{service}: TLS handshake with {host} failed",
            cause="the server's certificate is not trusted here, or a proxy intercepts HTTPS",
            fix="check the URL's host and port; add the issuing CA (a TLS-inspecting proxy's too) to the "
            "system trust store, or name its PEM file in [http] ca_bundle",
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
    service: str, url: str, http: HttpSettings, *, transport: httpx.AsyncBaseTransport | None = None
) -> Finding:
    """One GET without credentials: any HTTP answer at all means DNS, the proxy, TCP and TLS work.
    Without `transport`, it goes through the production transport made from `http`."""
    host = httpx.URL(url).host or url
    via = transport or production_transport(
        connections=1,
        keepalive_expiry_s=http.keepalive_expiry_s,
        proxy=http.proxy.get_secret_value() if http.proxy is not None else None,
        ca_bundle=http.ca_bundle,
    )
    timeout_s = http.connect_timeout_s
    request = httpx.Request("GET", url, extensions={"timeout": httpx.Timeout(timeout_s).as_dict()})
    try:
        async with asyncio.timeout(2 * timeout_s):  # connect, then the head of the answer
            response = await via.handle_async_request(request)
            await response.aclose()
    except (httpx.HTTPError, OSError, TimeoutError) as exc:
        return classify_failure(service, host, exc)
    finally:
        if transport is None:
            await via.aclose()
    return Finding.passed(
        f"{service}.network", f"{service}: {host} reachable (DNS, TCP, TLS; HTTP {response.status_code})"
    )
