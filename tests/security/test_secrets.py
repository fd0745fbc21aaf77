"""Planted canary secrets never leak (reliability-security.md §4.3 tests 1-3), across the failure matrix,
through the real engine, both clients and both simulators, with httpx/httpcore logging at DEBUG.

Looked for everywhere a secret could surface: log records, the raised error (str, repr, the whole
__cause__/__context__ chain, the formatted traceback), the cycle summary, the activity log, the store's
`last_error` and the cycle record. Also looked for: the Basic credentials in base64, and the TD SYNNEX
password XML-escaped the way the request body carries it.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import random
import socket
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from xml.sax.saxutils import escape

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderbridge.config import Settings
from orderbridge.core.clock import SimClock
from orderbridge.core.redaction import redact
from orderbridge.runners.operator import live_engine
from orderbridge.runners.setup import run_setup
from orderbridge.simulators.book import cw_lines_for
from orderbridge.simulators.connectwise.app import create_app as create_cw_app
from orderbridge.simulators.connectwise.seed import seed_defaults
from orderbridge.simulators.connectwise.state import ConnectWiseState
from orderbridge.simulators.tdsynnex.app import create_app as create_tds_app
from orderbridge.simulators.tdsynnex.lifecycle import generate_order
from orderbridge.simulators.tdsynnex.state import Account, TDSynnexState
from orderbridge.store import ActivityFilter, Store, export_activity
from orderbridge.sync.tenant import Transports, open_tenant

CW_KEY = "cwCANARYpriv7f3a9"
TDS_PASSWORD = "tds<CANARY>&pw'5e1"
PARTNER_SECRET = "partnerCANARYsecret4c8"
CUSTOMER = "100001"
PO = "PO-SEC-1"
CANARIES = (
    CW_KEY,
    TDS_PASSWORD,
    escape(TDS_PASSWORD),
    escape(TDS_PASSWORD, {"'": "&apos;", '"': "&quot;"}),
    PARTNER_SECRET,
    base64.b64encode(f"demo+demopublic:{CW_KEY}".encode()).decode(),
)


async def no_sleep(_: float) -> None:
    return None


def settings(tds_url: str = "https://tds.sim/SynnexXML/POStatus") -> Settings:
    return Settings(
        connectwise={
            "company": "demo",
            "public_key": "demopublic",
            "private_key": CW_KEY,
            "client_id": "sec-test",
            "base_url": "https://cw.sim/v4_6_release/apis/3.0",
        },
        tdsynnex={"user_id": "ops@example.com", "password": TDS_PASSWORD, "customer_number": CUSTOMER, "url": tds_url},
        partner={"client_id": "partner-id", "client_secret": PARTNER_SECRET},
        http={"max_attempts": 2, "allow_insecure_loopback": True},
        store={"url": "sqlite://"},
    )


@dataclass
class Sims:
    cw: ConnectWiseState
    tds: TDSynnexState
    po_id: int


Setup = Callable[[Sims], None]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cw_list(**fault: Any) -> Setup:
    return lambda s: s.cw.faults.add(r"/procurement/purchaseorders$", method="GET", times=None, **fault)


def cw_patch(**fault: Any) -> Setup:
    return lambda s: s.cw.faults.add(rf"/purchaseorders/{s.po_id}$", method="PATCH", times=None, **fault)


def tds(kind: str, **options: Any) -> Setup:
    return lambda s: s.tds.faults.add(kind, po_number=PO, **options)  # type: ignore[arg-type]


def wrong_tds_password(s: Sims) -> None:
    s.tds.add_account(Account(customer_number=CUSTOMER, user_id="ops@example.com", password="not-the-canary"))


MATRIX: dict[str, Setup] = {
    "cw-401": cw_list(status=401),
    "cw-403": cw_list(status=403),
    "cw-404-patch": cw_patch(status=404),
    "cw-400-echoes-key": cw_patch(status=400, body={"code": "InvalidObject", "message": f"key {CW_KEY} rejected"}),
    "cw-429": cw_list(status=429, retry_after=1),
    "cw-500": cw_list(status=500),
    "cw-timeout": cw_list(kind="timeout"),
    "cw-reset": cw_patch(kind="reset"),
    "cw-malformed": cw_patch(kind="malformed", raw_body=f"<html>Authorization: Basic {CANARIES[-1]}</html>"),
    "tds-401": tds("status", status=401, times=None),
    "tds-403": tds("status", status=403, times=None),
    "tds-404": tds("status", status=404, times=None),
    "tds-429": tds("status_429", times=None),
    "tds-500": tds("status_500", times=None),
    "tds-timeout": tds("timeout", times=None),
    "tds-reset": tds("reset", times=None),
    "tds-truncated": tds("truncated", times=None),
    "tds-malformed": tds("malformed", times=None),
    "tds-html": tds("html", times=None),
    "tds-error-detail": tds("error_detail", times=None),
    "tds-error-echoes-password": tds("error_detail", detail=f"bad password {TDS_PASSWORD}", times=None),
    "tds-login-failed": wrong_tds_password,
    "tds-connection-refused": lambda s: None,
}


def leaks(text: str) -> list[str]:
    return [canary for canary in CANARIES if canary in text]


def exception_texts(error: BaseException) -> list[str]:
    texts = ["".join(traceback.format_exception(error))]
    seen: set[int] = set()
    stack: list[BaseException] = [error]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        texts += [str(current), repr(current), repr(getattr(current, "args", ()))]
        texts += [str(value) for value in vars(current).values()] if hasattr(current, "__dict__") else []
        stack += [e for e in (current.__cause__, current.__context__) if e is not None]
        stack += list(getattr(current, "exceptions", ()))
    return texts


@pytest.mark.parametrize("case", list(MATRIX))
async def test_no_canary_leaks_across_the_failure_matrix(case: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "orderbridge"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    clock = SimClock()
    cw = ConnectWiseState(clock, private_key=CW_KEY)
    seed_defaults(cw)
    account = Account(customer_number=CUSTOMER, user_id="ops@example.com", password=TDS_PASSWORD)
    sims_tds = TDSynnexState(clock, accounts={CUSTOMER: account})
    script = generate_order(
        random.Random(5), customer_number=CUSTOMER, po_number=PO, placed_at=clock.now(), n_lines=1, profile="fast"
    )
    sims_tds.add_order(script)
    po = cw.add_purchase_order(po_number=PO, status_name="Sent to Vendor", lines=cw_lines_for(script))
    refused = case == "tds-connection-refused"
    config = settings(f"http://127.0.0.1:{closed_port()}/SynnexXML/POStatus" if refused else settings().tdsynnex.url)
    transports = Transports(
        connectwise=httpx.ASGITransport(app=create_cw_app(cw)),
        tdsynnex=None if refused else httpx.ASGITransport(app=create_tds_app(sims_tds)),
    )
    texts: list[str] = [repr(config), str(config), config.model_dump_json()]
    store = Store.open("sqlite://")
    try:
        async with open_tenant(config, store=store, transports=transports, clock=clock, sleep=no_sleep) as tenant:
            await run_setup(config, tenant.connectwise)
            engine = live_engine(tenant)
            # A first clean cycle, so later failures also meet a PO with a status to PATCH.
            if not case.startswith("tds-") or case == "tds-connection-refused":
                await engine.run_cycle()
            MATRIX[case](Sims(cw, sims_tds, po["id"]))
            clock.advance(timedelta(days=10))  # shipped and invoiced by now: the cycle has writes to make
            try:
                summary = await engine.run_cycle()
            except Exception as error:  # Fatal ones (401/403) end the cycle
                texts += exception_texts(error)
            else:
                texts.append(json.dumps(summary.as_dict()))
                # A PO-list failure ends discovery (the cycle is "incomplete"); any other fault fails the PO.
                assert summary.failed == 1 or (case.startswith("cw-") and summary.aborted), summary.as_dict()
        entries = store.query_activity(ActivityFilter(limit=None))
        dump = io.StringIO()
        export_activity(entries, "json", dump)
        texts.append(dump.getvalue())
        texts += [str(t.last_error) for t in store.load_tracked("default", [po["id"]]).values()]
        last = store.last_cycle("default")
        texts.append(repr(last))
    finally:
        store.close()
    texts += [record.getMessage() + repr(record.args) for record in caplog.records]
    texts.append(caplog.text)
    found = sorted({canary for text in texts for canary in leaks(text)})
    assert found == [], f"{case}: secrets leaked: {found}"


def test_settings_repr_and_dump_mask_every_secret() -> None:
    config = settings()
    for text in (repr(config), str(config), config.model_dump_json(), repr(config.connectwise), repr(config.partner)):
        assert leaks(text) == []
    assert config.partner.client_secret.get_secret_value() == PARTNER_SECRET


_SHAPES = st.sampled_from(
    [
        "<Password>{v}</Password>",
        "<USERID>{v}</USERID>",
        "<credential>{v}</credential>",
        "Authorization: Basic {v}",
        "clientId={v}",
        "Cookie: {v}",
        '"private_key": "{v}"',
        "access_token={v}&x=1",
        "Client_Secret={v}",
    ]
)


@given(
    shape=_SHAPES,
    secret=st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=10, max_size=30),
    before=st.text(max_size=40),
    after=st.text(max_size=40),
)
def test_redact_removes_every_credential_shape_in_any_case_and_context(
    shape: str, secret: str, before: str, after: str
) -> None:
    """`redact` skips a pattern when its marker word is absent; the marker must be found in any case."""
    text = before + shape.format(v="ZZ" + secret) + after
    for variant in (text, text.upper(), text.swapcase()):
        assert ("ZZ" + secret).upper() not in redact(variant).upper()
