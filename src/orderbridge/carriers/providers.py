"""One client per configured carrier-tracking provider, built from a tenant's [carriers] settings.

The pipeline asks here instead of naming client classes, so adding a provider is one line in this table.
Every client takes the same seams: `transport=` (a simulator mounted in-process), `sleep`, `monotonic`
(the HTTP policy's waits and rate limit) and `clock` (OAuth token expiry).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import httpx

from orderbridge.carriers.easypost import EasyPostClient
from orderbridge.carriers.fedex import FedExClient
from orderbridge.carriers.provider import CarrierProvider
from orderbridge.carriers.ups import UPSClient
from orderbridge.config import CarrierSettings, HttpSettings
from orderbridge.core.clock import Clock


def open_providers(
    settings: CarrierSettings,
    http: HttpSettings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    monotonic: Callable[[], float] = time.monotonic,
    clock: Clock | None = None,
) -> dict[str, CarrierProvider]:
    """Provider name -> client, for every configured provider; empty when tracking is off. Close each
    with `aclose()`."""
    if not settings.enabled:
        return {}
    configured = settings.configured_providers()
    found: dict[str, CarrierProvider] = {}
    if "easypost" in configured:
        found["easypost"] = EasyPostClient(
            settings.easypost, http, transport=transport, sleep=sleep, monotonic=monotonic
        )
    if "ups" in configured:
        found["ups"] = UPSClient(settings.ups, http, transport=transport, sleep=sleep, monotonic=monotonic, clock=clock)
    if "fedex" in configured:
        found["fedex"] = FedExClient(
            settings.fedex, http, transport=transport, sleep=sleep, monotonic=monotonic, clock=clock
        )
    return found
