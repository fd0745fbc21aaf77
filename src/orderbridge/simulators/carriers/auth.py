"""Who may call the simulated providers: EasyPost API keys, UPS and FedEx OAuth clients and their tokens.

Tokens expire in SIMULATED time, so a test ages them by moving the clock. The demo credentials are
printed by `orderbridge sim`; none of them is a real credential anywhere.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from orderbridge.core.clock import Clock

Mode = Literal["test", "production"]


@dataclass(frozen=True)
class ApiKey:
    """An EasyPost API key: test keys track only the EZ... test codes (carriers.md §1.3, §1.6)."""

    key: str
    mode: Mode = "production"
    user_id: str = "user_demo"

    def __repr__(self) -> str:
        return f"ApiKey(mode={self.mode!r}, user_id={self.user_id!r})"


@dataclass(frozen=True)
class OAuthClient:
    client_id: str
    client_secret: str

    def __repr__(self) -> str:
        return f"OAuthClient(client_id={self.client_id!r})"


DEMO_EASYPOST_KEY = ApiKey("EZAKdemo0000production0000key")
DEMO_EASYPOST_TEST_KEY = ApiKey("EZTKdemo0000test0000key", "test")
DEMO_WEBHOOK_SECRET = "demo-easypost-webhook-secret"  # noqa: S105 (the simulator's published demo value)
DEMO_UPS = OAuthClient("demo-ups-client", "demo-ups-secret")
DEMO_FEDEX = OAuthClient("demo-fedex-api-key", "demo-fedex-secret-key")
UPS_TOKEN_LIFETIME = timedelta(seconds=14399)  # "expires_in":"14399" (carriers.md §2.2)
FEDEX_TOKEN_LIFETIME = timedelta(seconds=3599)  # expires_in 3599 (carriers.md §3.2)


class TokenBook:
    """Issued Bearer tokens of one provider and their expiry on the simulated clock."""

    def __init__(self, clock: Clock, lifetime: timedelta) -> None:
        self._clock = clock
        self.lifetime = lifetime
        self._tokens: dict[str, tuple[str, datetime]] = {}
        self._lock = threading.Lock()
        self.issued = 0

    def issue(self, client_id: str) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = (client_id, self._clock.now() + self.lifetime)
            self.issued += 1
        return token

    def check(self, token: str) -> Literal["ok", "expired", "unknown"]:
        with self._lock:
            found = self._tokens.get(token)
            if found is None:
                return "unknown"
            if self._clock.now() >= found[1]:
                return "expired"
            return "ok"

    def revoke_all(self) -> int:
        with self._lock:
            count = len(self._tokens)
            self._tokens.clear()
            return count

    def reset(self) -> None:
        self.revoke_all()
        self.issued = 0


def same_secret(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def basic_credentials(header: str) -> tuple[str, str] | None:
    """(user, password) of an `Authorization: Basic ...` header, or None."""
    scheme, _, blob = header.partition(" ")
    if scheme.lower() != "basic" or not blob.strip():
        return None
    try:
        user, colon, password = base64.b64decode(blob.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if colon else None


def bearer_token(header: str) -> str | None:
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None
