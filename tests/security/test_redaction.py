"""`redact` finds a secret in every encoding it can travel in, and leaves ordinary answers alone.

Registered secrets (configured passwords and keys) are looked for verbatim, XML/HTML-, URL- and
JSON-escaped and inside base64 (alone, or as the password of any `user:password`); unregistered ones
by their shape: base64 `user:password`, the password of a URL, and an XML login element even when a
truncated excerpt cut it open. No false positives on TD SYNNEX answers, real or simulated.
"""

from __future__ import annotations

import base64
import html
import json
import random
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, quote_plus
from xml.sax.saxutils import escape

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orderbridge.core.clock import SimClock
from orderbridge.core.errors import ConfigError
from orderbridge.core.redaction import redact, register_secret
from orderbridge.simulators.tdsynnex.lifecycle import generate_order
from orderbridge.simulators.tdsynnex.render import render_status_response
from orderbridge.simulators.tdsynnex.state import TDSynnexState

PAYLOADS = Path(__file__).resolve().parents[1] / "payloads" / "tdsynnex"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def b64url(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


# Every way we know a secret can appear in text: (name, encode(secret, user)).
ENCODINGS: list[tuple[str, Callable[[str, str], str]]] = [
    ("verbatim", lambda s, u: s),
    ("base64", lambda s, u: b64(s)),
    ("base64 user:secret", lambda s, u: b64(f"{u}:{s}")),
    ("base64 company+public:secret", lambda s, u: b64(f"{u}+pub{u}:{s}")),
    ("urlsafe base64 user:secret", lambda s, u: b64url(f"{u}:{s}")),
    ("xml text", lambda s, u: escape(s)),
    ("xml attribute", lambda s, u: escape(s, {'"': "&quot;", "'": "&apos;"})),
    ("html", lambda s, u: html.escape(s)),
    ("decimal entities", lambda s, u: html.escape(s).replace("&#x27;", "&#39;").replace("&quot;", "&#34;")),
    ("url-encoded", lambda s, u: quote(s, safe="")),
    ("url path", lambda s, u: quote(s)),
    ("form-encoded", lambda s, u: quote_plus(s)),
    ("json", lambda s, u: json.dumps(s)[1:-1]),
    ("json unicode", lambda s, u: json.dumps(s, ensure_ascii=False)[1:-1]),
    ("python repr", lambda s, u: repr(s)[1:-1]),
]

# Registered secrets stay registered for the whole session, so each carries a mark ("Qz§") that no
# answer or other test contains: "00000000" registered here would blank every amount elsewhere.
SECRETS = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x24F, exclude_characters="*"), min_size=5, max_size=24
).map(lambda s: "Qz\u00a7" + s)
USERS = st.from_regex(r"[a-z][a-z0-9._@-]{1,15}", fullmatch=True)
AROUND = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters="*"), max_size=30)


@settings(max_examples=300)
@given(secret=SECRETS, user=USERS, before=AROUND, after=AROUND, which=st.sampled_from(ENCODINGS))
def test_a_registered_secret_is_gone_in_every_encoding_we_know(
    secret: str, user: str, before: str, after: str, which: tuple[str, Callable[[str, str], str]]
) -> None:
    register_secret(secret)
    name, encode = which
    text = before + encode(secret, user) + after
    cleaned = redact(text)
    for other_name, other in ENCODINGS:
        assert other(secret, user) not in cleaned, f"{name} text still holds the {other_name} form"


@given(user=USERS, password=st.from_regex(r"[A-Za-z0-9!#$%^&()_=\[\]{};,.?~-]{8,20}", fullmatch=True), before=AROUND)
def test_base64_of_any_user_password_is_removed_even_unregistered(user: str, password: str, before: str) -> None:
    blob = b64(f"{user}:{password}")
    assert blob not in redact(f"{before} {blob} trailing")


def test_base64_without_a_plus_was_missed_and_is_now_removed() -> None:
    blob = b64("ops@example.com:hunter2hunter")
    assert "+" not in base64.b64decode(blob).decode()
    assert blob not in redact(f"upstream said: {blob}")


def test_the_password_alone_in_base64_is_removed_once_registered() -> None:
    register_secret("tds<CANARY>&pw'5e1\"")
    assert b64("tds<CANARY>&pw'5e1\"") not in redact("blob " + b64("tds<CANARY>&pw'5e1\"") + " end")


@pytest.mark.parametrize(
    "element",
    [
        "<Password>{v}</Password>",
        '<Password type="text">{v}</Password>',
        "<ns1:Password>{v}</ns1:Password>",
        "<Password>{v}",  # an excerpt cut inside the element
        "<UserID>{v}</UserID >",
    ],
)
def test_xml_login_elements_lose_their_content_in_every_form(element: str) -> None:
    value = escape("unregistered&<secret>'\"9", {'"': "&quot;", "'": "&apos;"})
    assert "unregistered" not in redact("<Login>" + element.format(v=value) + "<Next/>")


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("could not connect to postgresql+psycopg://ob:s3cr3tpass@db.internal:5432/ob", "postgresql+psycopg://ob:"),
        ("ProxyError('http://proxyuser:pr0xy-pass@proxy.local:3128')", "@proxy.local:3128"),
        ("store.url 'postgresql://u:p@ss/w0rd@db/ob' is not reachable", "@db/ob"),
        ("redis://:onlyapassword99@cache:6379/0", "@cache:6379/0"),
    ],
)
def test_the_password_of_a_url_is_removed_and_the_rest_is_kept(text: str, kept: str) -> None:
    cleaned = redact(text)
    for secret in ("s3cr3tpass", "pr0xy-pass", "p@ss/w0rd", "ss/w0rd", "onlyapassword99"):
        assert secret not in cleaned
    assert kept in cleaned


def test_a_config_error_quoting_a_store_url_does_not_show_its_password() -> None:
    error = ConfigError("orderbridge.toml", "store.url 'postgresql://ob:hunter2hunter2@db/ob' is unreachable")
    assert "hunter2hunter2" not in str(error) and "db/ob" in str(error)


def answers() -> list[Path]:
    reference = Path("/work/shared/reference/tdsynnex-spec-examples")
    found = sorted(PAYLOADS.glob("*.xml")) + (sorted(reference.glob("*.xml")) if reference.exists() else [])
    return [p for p in found if "<password>" not in p.read_text(encoding="utf-8", errors="replace").lower()]


@pytest.mark.parametrize("path", answers(), ids=lambda p: p.name)
def test_td_synnex_answers_are_left_exactly_as_they_are(path: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    assert redact(text) == text


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32), lines=st.integers(1, 12), days=st.integers(0, 40))
def test_simulated_answers_of_any_order_are_left_exactly_as_they_are(seed: int, lines: int, days: int) -> None:
    clock = SimClock()
    state = TDSynnexState(clock)
    customer = next(iter(state.accounts))
    script = generate_order(
        random.Random(seed), customer_number=customer, po_number=f"PO-{seed}", placed_at=clock.now(), n_lines=lines
    )
    state.add_order(script)
    clock.advance(timedelta(days=days))
    order = state.order_view(customer, f"PO-{seed}")
    assert order is not None
    for version in ("2.2", "2.42"):
        text = render_status_response(order, version=version).decode()
        assert redact(text) == text


@pytest.mark.parametrize("number", ["244107862414", "797615467620", "1Z1442YY7229014688"])
def test_tracking_numbers_that_decode_like_base64_are_left_alone(number: str) -> None:
    text = f"<TrackingNumber>{number}</TrackingNumber>"
    assert redact(text) == text
