"""The TD SYNNEX simulator against the reference: wire shapes, errors inside HTTP 200, lifecycle, faults.

What is protected: the simulator answers the way td-synnex.md and the spec examples say the real PO
Status service does (element order per version, Pacific timestamps without offset, one <Item> per PO
line x sales order), its orders move as simulated time passes, every fault looks like the real failure,
and no password reaches the request log.
"""

from __future__ import annotations

import random
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx
import pytest

from orderbridge.core.clock import SimClock, SystemClock
from orderbridge.core.domain import DistributorOrder, Package, StatusCode
from orderbridge.core.errors import MalformedResponse
from orderbridge.simulators.tdsynnex.app import create_app
from orderbridge.simulators.tdsynnex.faults import FAULT_KINDS, Latency
from orderbridge.simulators.tdsynnex.lifecycle import LineEvent, LineScript, OrderScript, generate_order
from orderbridge.simulators.tdsynnex.render import render_status_response
from orderbridge.simulators.tdsynnex.state import Account, TDSynnexState
from orderbridge.simulators.tdsynnex.timeline import ScriptError
from orderbridge.tdsynnex.xml import build_status_request, parse_status_response
from orderbridge.tdsynnex.xmlfields import safe_fromstring

PACIFIC = ZoneInfo("America/Los_Angeles")
START = datetime(2026, 1, 5, 16, 0, tzinfo=UTC)  # 08:00 in Los Angeles
EXAMPLES = Path("/work/shared/reference/tdsynnex-spec-examples")
PAYLOADS = Path(__file__).parent.parent / "payloads" / "tdsynnex"
CANARY = "canary-Pa55word-9d1e"
ACCOUNTS = {
    "100001": Account("100001", "demo@example.com", CANARY, version="2.7"),
    "200002": Account("200002", "old@example.com", "old-pass", version="2.2"),
    "300003": Account("300003", "fees@example.com", "fees-pass", version="2.4"),
}
LOGINS = {number: (a.user_id, a.password) for number, a in ACCOUNTS.items()}


class SleepRecorder:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def clock() -> SimClock:
    return SimClock(START)


@pytest.fixture
def state(clock: SimClock) -> TDSynnexState:
    return TDSynnexState(clock, accounts=dict(ACCOUNTS))


@pytest.fixture
async def client(state: TDSynnexState) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(state))
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as http:
        yield http


async def query(
    client: httpx.AsyncClient,
    po: str,
    *,
    customer: str = "100001",
    login: tuple[str, str] | None = None,
    path: str = "/SynnexXML/POStatus",
    content_type: str = "application/xml",
) -> httpx.Response:
    user, password = login or LOGINS[customer]
    body = build_status_request(user_id=user, password=password, customer_number=customer, po_number=po)
    if content_type == "application/x-www-form-urlencoded":
        body = urlencode({"xmldata": body.decode("utf-8")}).encode("ascii")
    return await client.post(path, content=body, headers={"Content-Type": content_type})


def parsed(response: httpx.Response) -> DistributorOrder:
    assert response.status_code == 200
    return parse_status_response(response.content, tz=PACIFIC)


def error_of(response: httpx.Response) -> tuple[str | None, str | None]:
    assert response.status_code == 200
    root = safe_fromstring(response.content)
    return root.findtext("OrderStatusResponse/ErrorMessage"), root.findtext("OrderStatusResponse/ErrorDetail")


def item_tags(xml: bytes) -> list[list[str]]:
    root = safe_fromstring(xml)
    return [[child.tag for child in item] for item in root.iter("Item")]


def one_line_order(po: str, customer: str, events: list[LineEvent], *, quantity: int = 9) -> OrderScript:
    line = LineScript(
        1, "2673089", "500672-S21", "HP S-BUY 4GB 2RX8 PC3-10600E-9 KIT", quantity, Decimal("60.0"), events
    )
    return OrderScript(customer, po, START, [line])


def at(hours: float) -> datetime:
    return START + timedelta(hours=hours)


SERIALS = tuple(f"TWV24802{s}" for s in ("T3", "TC", "TF", "TU", "VX", "WN", "XY", "Y0", "Y1"))
SPLIT_EVENTS = [  # spec example 6: accepted QO at warehouse 89, shipped as SO from warehouse 12
    LineEvent(at(0), "accept", "99999998", "QO", 9, "89", "FG"),
    LineEvent(
        at(2), "ship", "99999999", "SO", 9, "12", "FG", [Package("812085413736309", Decimal("1.15"), 9, SERIALS)]
    ),
]


# ------------------------------------------------------------------------------------------ transport


@pytest.mark.parametrize(
    "content_type", ["application/xml", "text/xml; charset=utf-8", "text/plain", "application/x-www-form-urlencoded"]
)
@pytest.mark.parametrize("path", ["/SynnexXML/POStatus", "/SynnexXML/PO"])
async def test_every_content_type_and_both_paths_reach_the_status_service(
    client: httpx.AsyncClient, state: TDSynnexState, content_type: str, path: str
) -> None:
    state.add_order(one_line_order("PO-CT", "100001", SPLIT_EVENTS[:1]))
    order = parsed(await query(client, "PO-CT", content_type=content_type, path=path))
    assert order.code is StatusCode.ACCEPTED
    assert [line.order_number for line in order.lines] == ["99999998"]
    assert state.requests[-1].content_type == content_type
    assert state.requests[-1].path == path


async def test_a_form_post_without_xmldata_is_incomplete_xml(client: httpx.AsyncClient) -> None:
    response = await client.post("/SynnexXML/POStatus", data={"xml": "<SynnexB2B/>"})
    assert error_of(response) == ("Client.IncompleteXML", "(1)xmldata: String value required")


async def test_order_request_is_answered_with_not_supported(client: httpx.AsyncClient) -> None:
    body = b"<SynnexB2B><Credential><UserID>a</UserID><Password>b</Password></Credential><OrderRequest/></SynnexB2B>"
    root = safe_fromstring((await client.post("/SynnexXML/PO", content=body)).content)
    assert root.findtext("OrderResponse/ErrorMessage") == "not supported by simulator"


# --------------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize("login", [("demo@example.com", "wrong"), ("nobody@example.com", CANARY), ("", "")])
async def test_bad_credentials_fail_the_login_inside_http_200(
    client: httpx.AsyncClient, login: tuple[str, str]
) -> None:
    assert error_of(await query(client, "PO-1", login=login)) == ("Login failed", "Invalid UserID or Password")


async def test_a_missing_po_number_is_incomplete_xml_with_the_real_detail(client: httpx.AsyncClient) -> None:
    body = (
        b"<SynnexB2B><Credential><UserID>demo@example.com</UserID><Password>x</Password></Credential>"
        b"<OrderStatusRequest><CustomerNumber>100001</CustomerNumber></OrderStatusRequest></SynnexB2B>"
    )
    response = await client.post("/SynnexXML/POStatus", content=body, headers={"Content-Type": "text/xml"})
    assert response.text.count("<SynnexB2B>") == 1
    assert error_of(response) == ("Client.IncompleteXML", "(1)OrderStatusRequest/PONumber: String value required")


@pytest.mark.parametrize("body", [b"", b"not xml at all", b"<SynnexB2B><Credential>", b"<!DOCTYPE x><SynnexB2B/>"])
async def test_a_body_that_is_not_a_status_request_is_incomplete_xml(client: httpx.AsyncClient, body: bytes) -> None:
    message, _detail = error_of(await client.post("/SynnexXML/POStatus", content=body))
    assert message == "Client.IncompleteXML"


async def test_an_unknown_po_is_not_found_with_empty_items(client: httpx.AsyncClient) -> None:
    response = await query(client, "NOPE-1", customer="200002")
    assert "<Items />" in response.text
    order = parsed(response)
    assert (order.raw_code, order.lines, order.po_number, order.customer_number) == ("notFound", (), "NOPE-1", "200002")


async def test_a_po_of_another_customer_is_not_found(client: httpx.AsyncClient, state: TDSynnexState) -> None:
    state.add_order(one_line_order("PO-OTHER", "200002", SPLIT_EVENTS))
    assert parsed(await query(client, "PO-OTHER", customer="100001")).code is StatusCode.NOT_FOUND
    # The other account's number with this account's login: still nothing across accounts.
    other = await query(client, "PO-OTHER", customer="200002", login=LOGINS["100001"])
    assert parsed(other).code is StatusCode.NOT_FOUND
    assert parsed(await query(client, "PO-OTHER", customer="200002")).code is StatusCode.ACCEPTED


# ------------------------------------------------------------------------------------------ lifecycle


async def test_an_order_moves_from_accepted_to_shipped_to_invoiced_as_simulated_time_passes(
    client: httpx.AsyncClient, state: TDSynnexState, clock: SimClock
) -> None:
    packages = [Package("1Z999AA10123456784", Decimal("2.5"), 2, ("S1", "S2")), Package("1Z999AA10123456791", None, 1)]
    state.add_order(
        one_line_order(
            "PO-LIFE",
            "100001",
            [
                LineEvent(at(0), "accept", "41870001", "SO", 3, "9", "UP", estimated_ship_date=date(2026, 1, 7)),
                LineEvent(at(20), "release"),
                LineEvent(at(30), "ship", None, None, 3, packages=packages),
                LineEvent(at(80), "invoice"),
            ],
            quantity=3,
        )
    )
    first = await query(client, "PO-LIFE")
    assert "<PODatetime>2026-01-05T08:00:00</PODatetime>" in first.text  # Pacific, no offset
    order = parsed(first)
    # v2.7 carries fee elements on every item from the first answer, as the real service does (§1.6).
    assert [(ln.raw_code, ln.fees_present, ln.ship_quantity) for ln in order.lines] == [("accepted", True, 0)]
    assert order.lines[0].estimated_ship_date == date(2026, 1, 7)

    clock.advance(timedelta(hours=21))  # released: nothing in a v2.7 answer shows it
    assert parsed(await query(client, "PO-LIFE")).lines[0] == order.lines[0]

    clock.advance(timedelta(hours=10))
    shipped = await query(client, "PO-LIFE")
    assert "<ShipDatetime>2026-01-06T14:00:00</ShipDatetime>" in shipped.text
    line = parsed(shipped).lines[0]
    assert (parsed(shipped).raw_code, line.raw_code, line.ship_quantity) == ("shipped", "shipped", 3)
    assert line.ship_datetime == at(30)
    assert line.tracking_numbers == ("1Z999AA10123456784", "1Z999AA10123456791")
    assert line.serial_numbers == ("S1", "S2")
    assert (line.warehouse, line.ship_from_city, line.ship_method_description) == ("9", "Chantilly", "UPS Ground")

    clock.advance(timedelta(days=3))
    invoiced = parsed(await query(client, "PO-LIFE"))
    assert (invoiced.raw_code, invoiced.lines[0].raw_code) == ("invoiced", "invoiced")
    assert [r.outcome for r in state.requests] == ["accepted", "accepted", "shipped", "invoiced"]


async def test_a_line_split_across_warehouses_repeats_its_line_number(
    client: httpx.AsyncClient, state: TDSynnexState, clock: SimClock
) -> None:
    state.add_order(one_line_order("PO-SPLIT", "200002", SPLIT_EVENTS))
    clock.advance(timedelta(hours=3))
    response = await query(client, "PO-SPLIT", customer="200002")
    order = parsed(response)
    assert order.raw_code == "accepted"  # the least advanced item, as in spec example 6
    summary = [(ln.line_number, ln.raw_code, ln.order_type, ln.warehouse, ln.ship_from_zip) for ln in order.lines]
    assert summary == [(1, "accepted", "QO", "89", "08831"), (1, "shipped", "SO", "12", "91761")]
    assert order.lines[1].serial_numbers == SERIALS
    example = (EXAMPLES / "6-po-shipped-from-different-warehouse-than-requested-po-line-1.xml").read_bytes()
    assert item_tags(response.content) == item_tags(example)


async def test_fee_elements_follow_the_version_and_v2_7_puts_them_on_every_item(
    client: httpx.AsyncClient, state: TDSynnexState, clock: SimClock
) -> None:
    # Spec v2.42: from 2.40 fees appear once released or shipped. The 2025 v2.7 capture: on every item,
    # deleted QO items too (td-synnex.md §1.6). `always_fees=False` keeps the spec's reading for a v2.7 account.
    selective = Account("400004", "selective@example.com", "sel-pass", version="2.7", always_fees=False)
    state.add_account(selective)
    logins = {**LOGINS, "400004": (selective.user_id, selective.password)}
    events = [
        LineEvent(at(0), "accept", "41870002", "SO", 3, "9", "UP"),
        LineEvent(at(20), "release"),
    ]
    quote = [LineEvent(at(0), "accept", "41870003", "QO", 1, "9", "FG"), LineEvent(at(1), "delete")]
    for customer in ("100001", "300003", "400004"):
        script = one_line_order("PO-FEES", customer, events, quantity=3)
        deleted = LineScript(2, "3109280", "TH42LF25U", "display", 1, Decimal("635.0"), quote)
        state.add_order(OrderScript(customer, "PO-FEES", START, [*script.lines, deleted]))

    async def fees(customer: str) -> list[bool]:
        answer = await query(client, "PO-FEES", customer=customer, login=logins[customer])
        return [line.fees_present for line in parsed(answer).lines]

    clock.advance(timedelta(hours=2))
    assert await fees("100001") == [True, True]  # accepted SO and deleted QO alike
    assert await fees("300003") == [False, False]
    assert await fees("400004") == [False, False]
    clock.advance(timedelta(hours=20))
    assert await fees("300003") == [True, False]  # released: fees on the SO item only
    assert await fees("400004") == [True, False]
    assert await fees("100001") == [True, True]


async def test_a_back_order_carries_its_eta_in_version_2_2_only(
    client: httpx.AsyncClient, state: TDSynnexState
) -> None:
    events = [LineEvent(at(0), "backorder", "99999997", "BO", 1, "4", "NL", eta=date(2026, 1, 30))]
    state.add_order(one_line_order("PO-BO", "200002", events, quantity=1))
    state.add_order(one_line_order("PO-BO", "100001", events, quantity=1))
    old = await query(client, "PO-BO", customer="200002")
    assert "<ETADate>2026-01-30</ETADate>" in old.text
    line = parsed(old).lines[0]
    assert (line.raw_code, line.order_type, line.eta_date, line.ship_method_description) == (
        "accepted",
        "BO",
        date(2026, 1, 30),
        "Hold Order",
    )
    assert "ETADate" not in (await query(client, "PO-BO")).text


async def test_a_deleted_line_omits_ship_from_in_version_2_7_but_not_2_2(
    client: httpx.AsyncClient, state: TDSynnexState, clock: SimClock
) -> None:
    events = [LineEvent(at(0), "accept", "99999996", "QO", 2, "7", "FG"), LineEvent(at(1), "delete")]
    for customer in ("100001", "200002"):
        state.add_order(one_line_order("PO-DEL", customer, events, quantity=2))
    clock.advance(timedelta(hours=2))
    modern = await query(client, "PO-DEL")
    assert "ShipFrom" not in modern.text and "\n" not in modern.text
    assert parsed(modern).raw_code == "deleted"
    old = await query(client, "PO-DEL", customer="200002")
    assert "<ShipFromCity>Olive Branch</ShipFromCity>" in old.text


@pytest.mark.parametrize(
    ("version", "golden"),
    [
        ("2.2", EXAMPLES / "5-po-shipped-complete-using-one-package-using-version-2-2-or-o.xml"),
        ("2.4", EXAMPLES / "7-for-xml-po-status-version-2-40-or-greater-the-major-differen.xml"),
        ("2.7", PAYLOADS / "prod-2025-v27-invoiced-13-lines-8-orders.xml"),
    ],
)
def test_element_order_matches_the_reference_for_each_version(version: str, golden: Path) -> None:
    real = parse_status_response(golden.read_bytes(), tz=PACIFIC)
    shipped = next(ln for ln in real.lines if ln.raw_code != "deleted")
    rendered = render_status_response(
        DistributorOrder("1", "PO", StatusCode.SHIPPED, "shipped", lines=(shipped,)), version=version
    )
    assert item_tags(rendered)[0] == item_tags(golden.read_bytes())[0]
    header = [child.tag for child in safe_fromstring(rendered)[0]]
    assert header == [child.tag for child in safe_fromstring(golden.read_bytes())[0]]


# --------------------------------------------------------------------------------------------- faults


@pytest.mark.parametrize("kind", FAULT_KINDS)
async def test_every_fault_kind_looks_like_the_real_failure_then_wears_off(
    client: httpx.AsyncClient, state: TDSynnexState, kind: str
) -> None:
    state.add_order(one_line_order("PO-F", "100001", SPLIT_EVENTS))
    recorder = SleepRecorder()
    state.latency = Latency(sleep=recorder)
    spec: dict[str, object] = {"po_number": "PO-F", "kind": kind, "times": 1, "seconds": 2.5}
    if kind == "answer":
        spec["body"] = (EXAMPLES / "2-po-received-by-synnex-but-not-shipped-yet-using-any-version.xml").read_text()
    added = await client.post("/_sim/faults", json=spec)
    assert added.status_code == 201
    bystander = await query(client, "PO-OTHER")
    assert parsed(bystander).code is StatusCode.NOT_FOUND  # other POs are untouched
    response = await query(client, "PO-F")
    if kind == "malformed":
        with pytest.raises(MalformedResponse):
            safe_fromstring(response.content)
    elif kind == "html":
        assert (response.status_code, response.headers["content-type"].split(";")[0]) == (200, "text/html")
    elif kind == "error_detail":
        assert error_of(response)[0] == "Server.DatabaseIssue"
    elif kind == "biz_error":
        assert safe_fromstring(response.content).find(".//BizError/detail") is not None
    elif kind == "unknown_code":
        assert {ln.raw_code for ln in parsed(response).lines} == {"onhold"}
    elif kind == "status_500":
        assert response.status_code == 500
    elif kind == "status_429":
        assert (response.status_code, response.headers["retry-after"]) == (429, "1")
    elif kind == "answer":
        assert parsed(response).po_number == "YOUR PO NUMBER"  # the scripted body, verbatim
    else:
        assert recorder.waits == [2.5]
        assert parsed(response).code is StatusCode.ACCEPTED
    assert state.requests[-1].outcome == f"fault:{kind}"
    assert parsed(await query(client, "PO-F")).code is StatusCode.ACCEPTED


async def test_a_fault_without_times_lasts_until_cleared(client: httpx.AsyncClient, state: TDSynnexState) -> None:
    state.faults.add("status_500")
    assert [(await query(client, "PO-X")).status_code for _ in range(3)] == [500, 500, 500]
    assert (await client.get("/_sim/faults")).json()["faults"][0]["kind"] == "status_500"
    await client.delete("/_sim/faults")
    assert (await query(client, "PO-X")).status_code == 200


async def test_an_unknown_fault_kind_is_refused(client: httpx.AsyncClient) -> None:
    assert (await client.post("/_sim/faults", json={"kind": "gremlins"})).status_code == 400
    assert (await client.post("/_sim/faults", json={"kind": "answer"})).status_code == 400  # no body
    assert (await client.post("/_sim/faults", json={"kind": "html", "body": "<x/>"})).status_code == 400


async def test_a_fault_scoped_to_one_channel_leaves_the_others_alone(state: TDSynnexState) -> None:
    state.faults.add("status_500", po_number="PO-C", channel="invoice")
    assert state.faults.take("PO-C", "status") is None and state.faults.take("PO-C", "partner") is None
    assert state.faults.take("PO-C", "invoice") is not None


# ------------------------------------------------------------------------------------ log and control


async def test_the_request_log_never_holds_the_password(client: httpx.AsyncClient, state: TDSynnexState) -> None:
    state.add_order(one_line_order("PO-LOG", "100001", SPLIT_EVENTS))
    await query(client, "PO-LOG")
    await query(client, "PO-LOG", content_type="application/x-www-form-urlencoded")
    await query(client, "PO-LOG", login=("demo@example.com", CANARY + "x"))
    await client.post("/SynnexXML/POStatus", content=f"<SynnexB2B><Password>{CANARY}</Password>".encode())
    log = (await client.get("/_sim/requests")).text
    assert len(state.requests) == 4
    assert CANARY not in log
    assert all(CANARY not in repr(record) for record in state.requests)
    assert CANARY not in repr(state.accounts)
    await client.delete("/_sim/requests")
    assert (await client.get("/_sim/requests")).json() == {"requests": []}


async def test_orders_can_be_seeded_as_json_and_viewed(client: httpx.AsyncClient, state: TDSynnexState) -> None:
    order = {
        "po_number": "PO-JSON",
        "lines": [
            {
                "line_number": 1,
                "sku": "3430571",
                "mfg_pn": "2394AZ1",
                "product_name": "LENOVO THINKPAD T530 BUSINESS NOTEBOOK",
                "quantity": 2,
                "unit_price": "795.0",
                "events": [
                    {
                        "after_seconds": 0,
                        "kind": "accept",
                        "order_number": "12345678",
                        "quantity": 2,
                        "warehouse": "14",
                    },
                    {
                        "after_seconds": 7200,
                        "kind": "ship",
                        "quantity": 2,
                        "ship_method": "FO",
                        "packages": [{"tracking_number": "541877002320", "weight": "6.4", "ship_item_quantity": 2}],
                    },
                ],
            }
        ],
    }
    assert (await client.post("/_sim/orders", json=order)).status_code == 201
    assert (await client.post("/_sim/orders", json=order)).status_code == 409
    assert (await client.post("/_sim/orders", json={**order, "duplicate": True})).status_code == 201
    assert (await client.post("/_sim/clock/advance", json={"seconds": 7200})).json()["now"] == at(2).isoformat()
    view = (await client.get("/_sim/orders/100001/PO-JSON")).json()["view"]
    assert view["raw_code"] == "shipped"
    assert [ln["ship_from_city"] for ln in view["lines"]] == ["Grove City", "Grove City"]  # both uses listed
    assert (await client.get("/_sim/orders/100001/NOPE")).status_code == 404
    line = {"line_number": 1, "sku": "1", "mfg_pn": "M", "product_name": "P", "quantity": 1, "unit_price": "1.0"}
    bad = {"po_number": "PO-BAD", "lines": [{**line, "events": [{"after_seconds": 1, "kind": "ship"}]}]}
    assert (await client.post("/_sim/orders", json=bad)).status_code == 400
    generated = await client.post("/_sim/orders", json={"generate": {"po_number": "PO-GEN", "n_lines": 4, "seed": 7}})
    assert len(generated.json()["lines"]) == 4
    await client.post("/_sim/reset")
    assert (await client.get("/_sim/orders/100001/PO-GEN")).status_code == 404


async def test_the_clock_only_advances_when_simulated() -> None:
    state = TDSynnexState(SystemClock())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(state)), base_url="http://sim") as http:
        assert (await http.get("/_sim/clock")).json()["simulated"] is False
        assert (await http.post("/_sim/clock/advance", json={"seconds": 60})).status_code == 409


def test_a_script_that_ships_an_unaccepted_order_is_refused(state: TDSynnexState) -> None:
    with pytest.raises(ScriptError):
        state.add_order(one_line_order("PO-BAD", "100001", [LineEvent(at(1), "invoice", "1")]))
    with pytest.raises(ScriptError):
        state.add_order(one_line_order("P" * 21, "100001", SPLIT_EVENTS))


# ----------------------------------------------------------------------------------------- generator


def test_generate_order_is_deterministic_for_a_seed() -> None:
    def make(seed: int) -> OrderScript:
        return generate_order(random.Random(seed), customer_number="1", po_number="PO", placed_at=START, n_lines=8)

    assert make(42) == make(42)
    assert make(42) != make(43)


_TRACKING = {
    "FG": re.compile(r"\d{12}|\d{15}"),
    "FO": re.compile(r"\d{12}"),
    "FP": re.compile(r"\d{12}"),
    "F2": re.compile(r"\d{12}"),
    "UP": re.compile(r"1Z[0-9A-Z]{16}"),
    "UR": re.compile(r"1Z[0-9A-Z]{16}"),
    "U3": re.compile(r"1Z[0-9A-Z]{16}"),
    "UPSN": re.compile(r"H320\d{6}"),
    "EXDO": re.compile(r"\d{10}"),
}


def test_generated_orders_are_valid_and_parse_for_200_seeds() -> None:
    state = TDSynnexState(SimClock(START))
    seen_codes: set[str] = set()
    for seed in range(200):
        profile = ("mixed", "fast", "troubled")[seed % 3]
        script = generate_order(
            random.Random(seed),
            customer_number="100001",
            po_number=f"PO-{seed}",
            placed_at=START,
            n_lines=1 + seed % 12,
            profile=profile,
        )
        state.add_order(script)
        for days, version in ((0, "2.2"), (3, "2.4"), (60, "2.7")):
            view = state.order_view("100001", f"PO-{seed}", now=START + timedelta(days=days))
            assert view is not None
            order = parse_status_response(render_status_response(view, version=version), tz=PACIFIC)
            assert {ln.line_number for ln in order.lines} == set(range(1, len(script.lines) + 1))
            seen_codes |= {ln.raw_code for ln in order.lines}
            for line in order.lines:
                assert line.order_number and re.fullmatch(r"\d{8}", line.order_number)
                assert 0 <= (line.ship_quantity or 0) <= (line.order_quantity or 0)
                assert sum(p.ship_item_quantity or 0 for p in line.packages) == line.ship_quantity
                for number in line.tracking_numbers:
                    assert _TRACKING[line.ship_method or ""].fullmatch(number), (line.ship_method, number)
        final = state.order_view("100001", f"PO-{seed}", now=START + timedelta(days=60))
        assert final is not None and final.raw_code in ("invoiced", "deleted")
        for line in script.lines:
            assert sum(e.quantity for e in line.events if e.kind == "ship") <= line.quantity
    assert seen_codes == {"accepted", "shipped", "invoiced", "deleted"}
