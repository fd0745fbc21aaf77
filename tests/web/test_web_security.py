"""Who may use the dashboard: loopback without a token, a token everywhere else, CSRF-safe forms,
no open redirects, protective headers; routes mounted by other modules keep their own rules."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient
from web_fixtures import Demo

from orderbridge.cli import main
from orderbridge.cli.web import check_binding
from orderbridge.store.alerts import get_alert, list_alerts

TOKEN = "s3cret-dashboard-token-0123456789"
HTML = {"accept": "text/html"}


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def test_without_a_token_every_page_is_open_and_protected_by_headers(demo: Demo) -> None:
    reply = TestClient(demo.app()).get("/orders")
    assert reply.status_code == 200
    csp = reply.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert reply.headers["x-frame-options"] == "DENY"


def test_with_a_token_a_browser_is_sent_to_login_and_a_program_gets_401(demo: Demo) -> None:
    client = TestClient(demo.app(token=TOKEN))
    redirect = client.get("/alerts?state=all", headers=HTML, follow_redirects=False)
    assert redirect.status_code == 303
    assert redirect.headers["location"] == "/login?next=%2Falerts%3Fstate%3Dall"
    assert client.get("/orders.csv").status_code == 401
    assert client.get("/orders", headers={"authorization": "Bearer wrong-token-wrong-token"}).status_code == 401
    assert client.get("/orders", headers={"authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert client.get("/healthz").status_code == 200  # probes need no token, and learn nothing from it


def test_signing_in_sets_a_session_cookie_that_is_not_the_token(demo: Demo) -> None:
    client = TestClient(demo.app(token=TOKEN))
    form = client.get("/login?next=/reports").text
    csrf = csrf_of(form)
    wrong = client.post("/login", data={"csrf": csrf, "token": "nope", "next": "/reports"})
    assert wrong.status_code == 401 and "not right" in wrong.text
    right = client.post("/login", data={"csrf": csrf, "token": TOKEN, "next": "/reports"}, follow_redirects=False)
    assert right.status_code == 303 and right.headers["location"] == "/reports"
    cookie = right.cookies.get("ob_session") or client.cookies.get("ob_session")
    assert cookie and TOKEN not in cookie
    assert (
        "httponly" in right.headers["set-cookie"].lower() and "samesite=strict" in right.headers["set-cookie"].lower()
    )
    assert client.get("/reports", headers=HTML).status_code == 200


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example"])
def test_login_never_redirects_off_the_site(demo: Demo, target: str) -> None:
    client = TestClient(demo.app(token=TOKEN))
    csrf = csrf_of(client.get("/login").text)
    reply = client.post("/login", data={"csrf": csrf, "token": TOKEN, "next": target}, follow_redirects=False)
    assert reply.headers["location"] == "/orders"


def test_acknowledging_an_alert_needs_the_forms_csrf_token_and_same_origin(demo: Demo) -> None:
    client = TestClient(demo.app())
    alert = next(a for a in list_alerts(demo.store, state="open") if a.acknowledged_at is None)
    assert alert.id is not None
    path = f"/alerts/{alert.id}/ack"
    assert client.post(path, data={"next": "/alerts"}).status_code == 403
    csrf = csrf_of(client.get("/alerts").text)
    forged = client.post(path, data={"csrf": csrf}, headers={"origin": "https://evil.example"})
    assert forged.status_code == 403
    assert client.post(path, data={"csrf": "x" * 43}).status_code == 403
    assert get_alert(demo.store, alert.id).acknowledged_at is None  # type: ignore[union-attr]
    done = client.post(path, data={"csrf": csrf, "next": "/alerts?state=all"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/alerts?state=all"
    acknowledged = get_alert(demo.store, alert.id)
    assert acknowledged is not None and acknowledged.acknowledged_at is not None and acknowledged.is_open
    assert client.post("/alerts/987654/ack", data={"csrf": csrf}).status_code == 404


def test_extra_routes_are_mounted_without_the_dashboards_login(demo: Demo) -> None:
    async def callback(request: Request) -> Response:
        return PlainTextResponse("ok", status_code=202)

    client = TestClient(demo.app(token=TOKEN, extra_routes=[Route("/callbacks/po", callback, methods=["POST"])]))
    assert client.post("/callbacks/po", content=b"{}").status_code == 202
    assert client.get("/orders").status_code == 401


def test_web_refuses_a_non_loopback_address_without_a_strong_token() -> None:
    check_binding("127.0.0.1", None)
    check_binding("::1", None)
    check_binding("192.0.2.10", TOKEN)
    result = CliRunner().invoke(main, ["web", "--host", "192.0.2.10"], env={"ORDERBRIDGE_WEB_TOKEN": ""})
    assert result.exit_code == 2 and "reachable from other machines" in result.output
    result = CliRunner().invoke(main, ["web", "--host", "192.0.2.10", "--token", "short"])
    assert result.exit_code == 2 and "at least 16 characters" in result.output
