"""Who may use the dashboard, and the browser protections every page gets.

Bound to loopback the dashboard needs no token (`orderbridge web` refuses any other address without
one). With a token, a request is let in by `Authorization: Bearer <token>` or by the session cookie
that `/login` sets: a random server-side session id (sessions.py), never derived from the token. Wrong
tokens, by form or by header, are throttled per address (429 while locked out). Every form carries a
CSRF token that must equal its cookie (double submit, SameSite=Strict), and a cross-origin `Origin` is
refused.
Routes mounted by other modules (ConnectWise callbacks, /metrics) bring their own rules; only the
dashboard's own endpoints are wrapped here.
"""

from __future__ import annotations

import enum
import hmac
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import quote, urlsplit

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orderbridge.config import WebSettings
from orderbridge.core.clock import Clock
from orderbridge.web.sessions import LoginThrottle, Sessions

Endpoint = Callable[[Request], Awaitable[Response]]

SESSION_COOKIE = "ob_session"
CSRF_COOKIE = "ob_csrf"
CSRF_FIELD = "csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]


class SecurityHeaders:
    """Pure ASGI middleware: the same protective headers on every response, added once."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in _HEADERS if n not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)


def safe_next(target: str | None) -> str:
    """Only a path on this site: `//evil.example` and `https://…` would be open redirects."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/orders"
    return target


class Access(enum.Enum):
    ALLOWED = "allowed"
    DENIED = "denied"
    THROTTLED = "throttled"


def client_host(request: Request) -> str | None:
    return request.client.host if request.client else None


def too_many_attempts(retry_after: int) -> Response:
    return PlainTextResponse(
        f"too many wrong tokens from this address; try again in {retry_after} s",
        status_code=429,
        headers={"Retry-After": str(retry_after)},
    )


class Guard:
    def __init__(self, token: str | None, settings: WebSettings, clock: Clock) -> None:
        self.token = token
        self.sessions = Sessions(settings, clock)
        self.throttle = LoginThrottle(settings, clock)

    def token_matches(self, candidate: str) -> bool:
        return self.token is not None and hmac.compare_digest(candidate.encode(), self.token.encode())

    def check_token(self, request: Request, candidate: str) -> Access:
        """One attempt with a token, counted against its address: THROTTLED while that address is locked
        out, whatever the token (else a different answer would confirm a guess)."""
        host = client_host(request)
        if self.throttle.retry_after(host):
            return Access.THROTTLED
        if self.token_matches(candidate):
            self.throttle.succeeded(host)
            return Access.ALLOWED
        self.throttle.failed(host)
        return Access.DENIED

    def access(self, request: Request) -> Access:
        if self.token is None:
            return Access.ALLOWED
        if self.sessions.valid(request.cookies.get(SESSION_COOKIE, "")):
            return Access.ALLOWED
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            return self.check_token(request, header[7:].strip())
        return Access.DENIED

    async def csrf_ok(self, request: Request) -> bool:
        origin = request.headers.get("origin")
        if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host", ""):
            return False
        form = await request.form()
        sent = form.get(CSRF_FIELD)
        cookie = request.cookies.get(CSRF_COOKIE, "")
        return isinstance(sent, str) and bool(cookie) and hmac.compare_digest(sent, cookie)

    def protect(self, endpoint: Endpoint, *, login_required: bool = True) -> Endpoint:
        async def guarded(request: Request) -> Response:
            access = self.access(request) if login_required else Access.ALLOWED
            if access is Access.THROTTLED:
                return too_many_attempts(self.throttle.retry_after(client_host(request)))
            if access is Access.DENIED:
                if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
                    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
                return PlainTextResponse(
                    "a token is required: send Authorization: Bearer <token> or sign in at /login",
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
            if request.method not in SAFE_METHODS and not await self.csrf_ok(request):
                return PlainTextResponse("the form expired or came from another site; reload and retry", 403)
            return await endpoint(request)

        guarded.__name__ = getattr(endpoint, "__name__", "guarded")
        return guarded


def csrf_token(request: Request) -> tuple[str, bool]:
    """The form token for this browser, and whether it is new (then the caller sets the cookie)."""
    current = request.cookies.get(CSRF_COOKIE)
    if current and len(current) >= 32:
        return current, False
    return secrets.token_urlsafe(32), True


def set_csrf_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        CSRF_COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/"
    )


def set_session_cookie(response: Response, request: Request, value: str, *, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        value,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
        max_age=max_age,
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    # The same attributes as when it was set, so every browser matches and drops it.
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https"
    )
