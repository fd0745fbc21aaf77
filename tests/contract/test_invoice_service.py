"""InvoiceClient against the simulated invoice query service, in-process (httpx.ASGITransport).

What is protected: invoices follow the scripts as simulated time passes (one per sales order and day, so
several per PO), totals are unit price x quantity, "no invoice yet" is an empty list, lookups work by PO
or by sales order, faults and refusals map to our error types, and no password reaches an error or the log.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from pydantic import SecretStr

from orderbridge.config import HttpSettings, TDSynnexSettings
from orderbridge.core.clock import SimClock
from orderbridge.core.domain import Package
from orderbridge.core.errors import AuthSuspected, ConfigError, DistributorError, MalformedResponse, OrderbridgeError
from orderbridge.simulators.tdsynnex.app import create_app
from orderbridge.simulators.tdsynnex.invoice_service import invoice_number
from orderbridge.simulators.tdsynnex.lifecycle import LineEvent, LineScript, OrderScript
from orderbridge.simulators.tdsynnex.state import Account, TDSynnexState
from orderbridge.tdsynnex.invoices import InvoiceClient

START = datetime(2026, 1, 5, 16, 0, tzinfo=UTC)
CANARY = "canary-Inv0ice-Pw-41c2"
CUSTOMER = "100001"
URL = "https://ws.us.tdsynnex.com/webservice/invoice/query"


async def no_sleep(_: float) -> None:
    return None


def two_order_po(po_number: str = "PO-INV-1") -> OrderScript:
    """Line 1 ships from warehouse 6 on sales order A (day 1, invoiced day 2); line 2 from warehouse 12 on
    sales order B (day 3, invoiced day 5); line 3 is back-ordered and never invoiced."""
    a, b, c = "41000001", "41000002", "41000003"
    line1 = LineScript(
        1,
        "3396979",
        "C1E21UT#ABA",
        "SBUY PRO 6305 MT",
        3,
        Decimal("510.0"),
        [
            LineEvent(START, "accept", a, "SO", 3, "6", "FG"),
            LineEvent(
                START + timedelta(days=1),
                "ship",
                a,
                quantity=3,
                packages=(
                    Package("541877002320", ship_item_quantity=2, serial_numbers=("MXL1", "MXL2")),
                    Package("541877002331", ship_item_quantity=1, serial_numbers=("MXL3",)),
                ),
            ),
            LineEvent(START + timedelta(days=2), "invoice", a),
        ],
    )
    line2 = LineScript(
        2,
        "2673089",
        "500672-S21",
        "HP S-BUY 4GB KIT",
        9,
        Decimal("60.0"),
        [
            LineEvent(START, "accept", b, "SO", 9, "12", "UP"),
            LineEvent(START + timedelta(days=3), "ship", b, quantity=9, packages=(Package("1Z999AA10123456784"),)),
            LineEvent(START + timedelta(days=5), "invoice", b),
        ],
    )
    line3 = LineScript(
        3,
        "5552211",
        "T6B80UT#ABA",
        "HP E24 G4",
        1,
        Decimal("249.0"),
        [
            LineEvent(START, "backorder", c, "BO", 1, "6", "NL"),
        ],
    )
    return OrderScript(CUSTOMER, po_number, START, [line1, line2, line3])


@pytest.fixture
def clock() -> SimClock:
    return SimClock(START)


@pytest.fixture
def state(clock: SimClock) -> TDSynnexState:
    accounts = {
        CUSTOMER: Account(CUSTOMER, "demo@example.com", CANARY),
        "200002": Account("200002", "other@example.com", "other-pass", invoice_order_numbers=True),
    }
    return TDSynnexState(clock, accounts=accounts)


def settings(password: str = CANARY, customer: str = CUSTOMER, user: str = "demo@example.com") -> TDSynnexSettings:
    return TDSynnexSettings(user_id=user, password=SecretStr(password), customer_number=customer, invoice_url=URL)


@pytest.fixture
async def client(state: TDSynnexState) -> AsyncIterator[InvoiceClient]:
    transport = httpx.ASGITransport(app=create_app(state))
    async with InvoiceClient(settings(), HttpSettings(max_attempts=3), transport=transport, sleep=no_sleep) as c:
        yield c


async def test_no_invoice_yet_is_an_empty_list(state: TDSynnexState, client: InvoiceClient) -> None:
    state.add_order(two_order_po())
    assert await client.get_invoices(po_number="PO-INV-1") == []
    assert await client.get_invoices(po_number="PO-NOBODY-KNOWS") == []
    assert [r.outcome for r in state.requests] == ["noInvoice", "noInvoice"]


async def test_invoices_appear_per_sales_order_as_time_passes(
    state: TDSynnexState, clock: SimClock, client: InvoiceClient
) -> None:
    state.add_order(two_order_po())
    clock.advance(timedelta(days=2, hours=1))
    (first,) = await client.get_invoices(po_number="PO-INV-1")
    clock.advance(timedelta(days=3))
    invoices = await client.get_invoices(po_number="PO-INV-1")
    assert [i.invoice_number for i in invoices] == [first.invoice_number, invoices[1].invoice_number]
    a, b = invoices
    assert (a.po_number, a.invoice_date, a.ship_date) == ("PO-INV-1", date(2026, 1, 7), date(2026, 1, 6))
    assert (a.total, a.sales_tax, a.freight) == (Decimal("1530.00"), Decimal("0.00"), Decimal("0.00"))
    assert a.tracking_numbers == ("541877002320", "541877002331")
    assert a.serial_numbers == ("MXL1", "MXL2", "MXL3")  # "SN:" stripped
    assert [(ln.sku, ln.ship_quantity, ln.unit_price) for ln in a.lines] == [("3396979", 3, Decimal("510.0"))]
    assert (b.total, b.tracking_numbers, b.invoice_date) == (
        Decimal("540.00"),
        ("1Z999AA10123456784",),
        date(2026, 1, 10),
    )
    # The default account gets the confirmed shape, without a sales-order number per invoice.
    assert a.order_number is None and b.order_number is None
    assert len(a.invoice_number) == 9 and a.invoice_number.isdigit() and a.invoice_number != b.invoice_number
    assert a.invoice_number == invoice_number(CUSTOMER, "PO-INV-1", "41000001", date(2026, 1, 7))
    assert [r.outcome for r in state.requests] == ["invoices:1", "invoices:2"]


async def test_lookup_by_sales_order_alone_and_with_the_po(
    state: TDSynnexState, clock: SimClock, client: InvoiceClient
) -> None:
    state.add_order(two_order_po())
    clock.advance(timedelta(days=6))
    (by_order,) = await client.get_invoices(order_number="41000002")
    assert (by_order.po_number, by_order.total) == ("PO-INV-1", Decimal("540.00"))
    (both,) = await client.get_invoices(po_number="PO-INV-1", order_number="41000001")
    assert both.total == Decimal("1530.00")
    assert await client.get_invoices(order_number="41000003") == []  # back-ordered, never billed
    assert await client.get_invoices(order_number="99999999") == []


async def test_account_that_receives_order_numbers(state: TDSynnexState, clock: SimClock) -> None:
    script = two_order_po()
    state.add_order(OrderScript("200002", script.po_number, script.placed_at, script.lines))
    clock.advance(timedelta(days=6))
    transport = httpx.ASGITransport(app=create_app(state))
    configured = settings("other-pass", "200002", "other@example.com")
    async with InvoiceClient(configured, HttpSettings(), transport=transport, sleep=no_sleep) as client:
        invoices = await client.get_invoices(po_number="PO-INV-1")
    assert [i.order_number for i in invoices] == ["41000001", "41000002"]


async def test_another_accounts_po_is_not_visible(state: TDSynnexState, clock: SimClock) -> None:
    state.add_order(two_order_po())
    clock.advance(timedelta(days=6))
    transport = httpx.ASGITransport(app=create_app(state))
    # A valid login asking with someone else's customer number finds nothing.
    foreign = settings(customer="200002")
    async with InvoiceClient(foreign, HttpSettings(), transport=transport, sleep=no_sleep) as client:
        assert await client.get_invoices(po_number="PO-INV-1") == []


async def test_wrong_password_is_an_auth_error_without_the_password(state: TDSynnexState) -> None:
    transport = httpx.ASGITransport(app=create_app(state))
    wrong = "canary-Wr0ng-Pw-77"
    async with InvoiceClient(settings(wrong), HttpSettings(), transport=transport, sleep=no_sleep) as client:
        with pytest.raises(AuthSuspected) as caught:
            await client.get_invoices(po_number="PO-INV-1")
    assert wrong not in str(caught.value) and wrong not in repr(caught.value)
    assert [r.outcome for r in state.requests] == ["loginFailed"]
    assert all(wrong not in str(r.to_json()) and CANARY not in str(r.to_json()) for r in state.requests)


@pytest.mark.parametrize(
    ("kind", "error"),
    [("error_detail", DistributorError), ("html", MalformedResponse), ("malformed", MalformedResponse)],
)
async def test_faults_by_po_number(
    state: TDSynnexState, clock: SimClock, client: InvoiceClient, kind: str, error: type[OrderbridgeError]
) -> None:
    state.add_order(two_order_po())
    clock.advance(timedelta(days=6))
    state.faults.add(kind, po_number="PO-INV-1", times=1)  # type: ignore[arg-type]
    with pytest.raises(error) as caught:
        await client.get_invoices(po_number="PO-INV-1")
    assert CANARY not in str(caught.value)
    assert len(await client.get_invoices(po_number="PO-INV-1")) == 2  # the fault wore off
    assert [r.outcome for r in state.requests] == [f"fault:{kind}", "invoices:2"]


async def test_server_errors_are_retried(state: TDSynnexState, clock: SimClock, client: InvoiceClient) -> None:
    state.add_order(two_order_po())
    clock.advance(timedelta(days=6))
    state.faults.add("status_500", po_number="PO-INV-1", times=1)
    state.faults.add("status_429", po_number="PO-INV-1", times=1)
    assert len(await client.get_invoices(po_number="PO-INV-1")) == 2
    assert client.stats.retries == 2


async def test_incomplete_request_is_refused_inside_http_200(state: TDSynnexState) -> None:
    transport = httpx.ASGITransport(app=create_app(state))
    async with httpx.AsyncClient(transport=transport, base_url="https://ws.sim") as raw:
        reply = await raw.post("/webservice/invoice/query", content=b"<SynnexB2B><InvoiceRequest/></SynnexB2B>")
    assert reply.status_code == 200
    assert b"<ErrorCode>Client.IncompleteXML</ErrorCode>" in reply.content
    assert state.requests[-1].outcome == "incompleteXML"


async def test_disabled_invoice_url_is_a_config_error() -> None:
    off = TDSynnexSettings(user_id="u", password=SecretStr("p"), customer_number=CUSTOMER, invoice_url=None)
    async with InvoiceClient(off, HttpSettings()) as client:
        assert client.enabled is False
        with pytest.raises(ConfigError, match="invoice_url"):
            await client.get_invoices(po_number="PO-1")
