"""Dashboard sign-in: wrong tokens are throttled per address, sessions are random server-side ids that
expire (idle and absolute) and die on logout, and their cookie is HttpOnly, SameSite=Strict and Secure
over https. Each test has its own SimClock, so the shared demo history keeps its own time."""

from __future__ import annotations

import re
from datetime import timedelta

from starlette.applications import Starlette
from starlette.testclient import TestClient
from web_fixtures import Demo

from orderbridge.config import WebSettings
from orderbridge.core.clock import SimClock
from orderbridge.web.app import create_app

TOKEN = "s3cret-dashboard-token-0123456789"
HTML = {"accept": "text/html"}
ATTACKER = ("198.51.100.7", 40000)
OPERATOR = ("192.0.2.20", 40000)


def app_for(demo: Demo, clock: SimClock, **web: float) -> Starlette:
    settings = demo.history.settings.model_copy(update={"web": WebSettings(**web)})
    return create_app(settings, demo.store, token=TOKEN, clock=clock)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def sign_in(client: TestClient, token: str = TOKEN) -> int:
    csrf = csrf_of(client.get("/login").text)
    return client.post(
        "/login", data={"csrf": csrf, "token": token, "next": "/orders"}, follow_redirects=False
    ).status_code


def session_of(client: TestClient) -> str:
    value = client.cookies.get("ob_session")
    assert value, "no session cookie"
    return value


def test_brute_force_is_throttled_while_the_right_token_works_from_another_address(demo: Demo) -> None:
    clock = SimClock()
    app = app_for(demo, clock, login_free_attempts=5, login_lockout_max_seconds=600)
    attacker = TestClient(app, client=ATTACKER)
    statuses = [sign_in(attacker, f"guess-{i:04d}-guess-guess") for i in range(30)]
    assert statuses[:5] == [401] * 5
    assert 429 in statuses and statuses[-1] == 429
    # Locked out, even the right token is refused from there: otherwise a 303 would confirm a guess.
    assert sign_in(attacker, TOKEN) == 429
    bearer = attacker.get("/orders.csv", headers={"authorization": f"Bearer {TOKEN}"})
    assert bearer.status_code == 429 and int(bearer.headers["retry-after"]) >= 1

    operator = TestClient(app, client=OPERATOR)
    assert sign_in(operator) == 303
    assert operator.get("/orders", headers=HTML).status_code == 200
    # The lock is a window, not forever: after it the right token works from the attacker's address too.
    clock.advance(timedelta(seconds=601))
    assert sign_in(attacker, TOKEN) == 303


def test_wrong_bearer_tokens_count_as_failed_attempts(demo: Demo) -> None:
    client = TestClient(app_for(demo, SimClock(), login_free_attempts=3), client=ATTACKER)
    wrong = [client.get("/orders.csv", headers={"authorization": f"Bearer nope-{i}"}).status_code for i in range(6)]
    assert wrong[:3] == [401] * 3 and wrong[-1] == 429


def test_the_lockout_grows_with_each_failure_past_the_free_attempts(demo: Demo) -> None:
    clock = SimClock()
    client = TestClient(app_for(demo, clock, login_free_attempts=2, login_lockout_max_seconds=3600), client=ATTACKER)
    waits = []
    for _ in range(5):
        statuses = [sign_in(client, "wrong-token-wrong-token") for _ in range(3)]
        assert 429 in statuses
        wait = int(client.get("/orders.csv", headers={"authorization": "Bearer x"}).headers["retry-after"])
        waits.append(wait)
        clock.advance(timedelta(seconds=wait))
    assert waits == sorted(waits) and waits[-1] > waits[0]


def test_a_session_id_is_random_not_the_token_and_new_at_each_login(demo: Demo) -> None:
    app = app_for(demo, SimClock())
    first, second = TestClient(app, client=OPERATOR), TestClient(app, client=OPERATOR)
    assert sign_in(first) == 303 and sign_in(second) == 303
    one, two = session_of(first), session_of(second)
    assert one != two
    assert TOKEN not in one and len(one) >= 40
    assert sign_in(first) == 303
    assert session_of(first) not in (one, two)  # signing in again issues a new id
    first.cookies.set("ob_session", one)
    assert first.get("/orders.csv").status_code == 401  # and the replaced one is gone


def test_an_idle_session_expires_and_so_does_a_busy_one_at_its_absolute_lifetime(demo: Demo) -> None:
    clock = SimClock()
    app = app_for(demo, clock, session_idle_minutes=30, session_max_hours=2)
    idle = TestClient(app, client=OPERATOR)
    assert sign_in(idle) == 303
    clock.advance(timedelta(minutes=29))
    assert idle.get("/orders.csv").status_code == 200  # use keeps it alive...
    clock.advance(timedelta(minutes=29))
    assert idle.get("/orders.csv").status_code == 200
    clock.advance(timedelta(minutes=31))
    assert idle.get("/orders.csv").status_code == 401  # ...but 31 idle minutes end it

    busy = TestClient(app, client=OPERATOR)
    assert sign_in(busy) == 303
    for _ in range(7):
        clock.advance(timedelta(minutes=20))
        status = busy.get("/orders.csv").status_code
    assert status == 401  # 140 minutes: past the 2-hour lifetime although never idle
    redirect = busy.get("/orders", headers=HTML, follow_redirects=False)
    assert redirect.status_code == 303 and redirect.headers["location"].startswith("/login")


def test_after_logout_the_old_cookie_no_longer_works(demo: Demo) -> None:
    client = TestClient(app_for(demo, SimClock()), client=OPERATOR)
    assert sign_in(client) == 303
    old = session_of(client)
    csrf = csrf_of(client.get("/orders", headers=HTML).text)
    out = client.post("/logout", data={"csrf": csrf}, follow_redirects=False)
    assert out.status_code == 303
    cleared = out.headers["set-cookie"].lower()
    assert "ob_session=" in cleared and ("max-age=0" in cleared or "expires=" in cleared)
    replay = TestClient(client.app, client=OPERATOR, cookies={"ob_session": old})
    assert replay.get("/orders.csv").status_code == 401


def test_the_session_cookie_is_httponly_strict_and_secure_over_https(demo: Demo) -> None:
    app = app_for(demo, SimClock(), session_max_hours=2)
    plain = TestClient(app, client=OPERATOR)
    csrf = csrf_of(plain.get("/login").text)
    reply = plain.post("/login", data={"csrf": csrf, "token": TOKEN}, follow_redirects=False)
    cookie = reply.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "max-age=7200" in cookie
    assert "secure" not in cookie

    tls = TestClient(app, base_url="https://dashboard.example", client=OPERATOR)
    csrf = csrf_of(tls.get("/login").text)
    reply = tls.post("/login", data={"csrf": csrf, "token": TOKEN}, follow_redirects=False)
    assert "secure" in reply.headers["set-cookie"].lower()
