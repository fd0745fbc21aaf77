"""The one outbound HTTP policy both services' clients go through: retries, rate limits, caps, transport.

`client.py` is the exchange and its retry loop (`ServiceHTTP`); `policy.py` the plain data of a policy
and a reply; `body.py` reads a body under a byte cap with bounded decompression; `timing.py` the rate
limit and Retry-After. `transport.py` is the production transport (aiohttp behind httpx's transport
interface), `proxies.py` picks a proxy per origin, `tls.py` holds the process's one SSL context;
`service_client.py` is the base every service client shares (stats, closing).
Import from here.
"""

from orderbridge.http.client import JITTER, ServiceHTTP
from orderbridge.http.policy import CallStats, Reply, ServicePolicy
from orderbridge.http.service_client import ServiceClient
from orderbridge.http.timing import RateLimiter, parse_retry_after
from orderbridge.http.transport import production_transport

__all__ = [
    "JITTER",
    "CallStats",
    "RateLimiter",
    "Reply",
    "ServiceClient",
    "ServiceHTTP",
    "ServicePolicy",
    "parse_retry_after",
    "production_transport",
]
