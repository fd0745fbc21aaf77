"""The quiet check's pure parts (sync/quiet.py): what settles a PO, and what its key covers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderbridge.config import Settings
from orderbridge.core.domain import (
    DistributorLine,
    DistributorOrder,
    Invoice,
    Plan,
    PurchaseOrderStatus,
    ShipmentMethod,
    Stage,
    StatusCode,
)
from orderbridge.rules.situation import PlanContext
from orderbridge.sync.quiet import Settled, cycle_signature, quiet_key, settled

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _settings(timezone: str = "America/Chicago", **statuses: str) -> Settings:
    return Settings(
        connectwise={"company": "c", "public_key": "pub", "private_key": "privatekey", "client_id": "x"},
        tdsynnex={"user_id": "u", "password": "password1", "customer_number": "1", "timezone": timezone},
        statuses=statuses,
    )


def _ctx(settings: Settings, *methods: str) -> PlanContext:
    return PlanContext(
        status_names=settings.statuses,
        statuses={"tds accepted": PurchaseOrderStatus(7, "TDS Accepted")},
        shipment_methods=[ShipmentMethod(i, name) for i, name in enumerate(methods)],
        now=NOW,
    )


def _order(*lines: DistributorLine) -> DistributorOrder:
    return DistributorOrder(
        customer_number="1", po_number="PO-1", code=StatusCode.INVOICED, raw_code="invoiced", lines=lines
    )


def _line(code: StatusCode, shipped: datetime | None, ship_quantity: int = 2) -> DistributorLine:
    return DistributorLine(
        line_number=1,
        code=code,
        raw_code=code.value,
        order_number="41000001",
        order_quantity=2,
        ship_quantity=ship_quantity,
        ship_datetime=shipped,
    )


SHIPPED_AT = datetime(2026, 2, 20, 9, tzinfo=UTC)
INVOICED = _order(_line(StatusCode.INVOICED, SHIPPED_AT))


@pytest.mark.parametrize(
    ("stage", "source", "pending", "note_errors", "problems", "expected"),
    [
        (Stage.SHIPPED, "PO Status", False, 0, (), Settled()),
        (Stage.CLOSED, "PO Status", False, 0, (), Settled()),
        # INVOICED and fully shipped closes on a timer: quiet until then.
        (Stage.INVOICED, "PO Status", False, 0, (), Settled(until=SHIPPED_AT + timedelta(days=7))),
        (Stage.SHIPPED, "Partner API", False, 0, (), None),  # another service's answer
        (Stage.SHIPPED, "PO Status", True, 0, (), None),  # an invoice is awaited
        (Stage.SHIPPED, "PO Status", False, 1, (), None),  # a note must be retried
        (Stage.SHIPPED, "PO Status", False, 0, ("bad",), None),
        (None, "PO Status", False, 0, (), None),
    ],
)
def test_what_settles_a_po(
    stage: Stage | None,
    source: str,
    pending: bool,
    note_errors: int,
    problems: tuple[str, ...],
    expected: Settled | None,
) -> None:
    plan = Plan(1, "PO-1", stage=stage, problems=problems)
    verdict = settled(
        plan, INVOICED, source=source, invoices_pending=pending, note_errors=note_errors, close_after_days=7
    )
    assert verdict == expected


def test_an_invoiced_po_not_fully_shipped_has_no_timer() -> None:
    partly = _order(_line(StatusCode.INVOICED, SHIPPED_AT, ship_quantity=1))
    plan = Plan(1, "PO-1", stage=Stage.INVOICED)
    verdict = settled(plan, partly, source="PO Status", invoices_pending=False, note_errors=0, close_after_days=7)
    assert verdict == Settled()


invoices = st.lists(
    st.builds(
        Invoice,
        invoice_number=st.text("0123456789", min_size=1, max_size=8),
        invoice_date=st.none() | st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 1, 1)),
        total=st.none() | st.decimals(min_value=Decimal(0), max_value=Decimal(10_000), places=2),
    ),
    max_size=4,
    unique_by=lambda invoice: invoice.invoice_number,
)


@given(invoices, st.randoms())
def test_the_key_ignores_the_order_invoices_arrive_in(found: list[Invoice], rnd: object) -> None:
    shuffled = list(found)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert quiet_key("a", "s", found) == quiet_key("a", "s", shuffled)


def test_the_key_covers_answer_signature_and_invoices() -> None:
    base = quiet_key("answer", "sig", [])
    assert quiet_key("answer2", "sig", []) != base
    assert quiet_key("answer", "sig2", []) != base
    assert quiet_key("answer", "sig", [Invoice("INV-1")]) != base


def test_the_signature_moves_with_config_and_connectwise_lists() -> None:
    settings = _settings()
    base = cycle_signature(settings, _ctx(settings, "FedEx Ground"))
    assert cycle_signature(settings, _ctx(settings, "FedEx Ground")) == base
    assert cycle_signature(settings, _ctx(settings, "FedEx Ground", "UPS")) != base
    renamed = _settings(shipped="Shipped by TDS")
    assert cycle_signature(renamed, _ctx(renamed, "FedEx Ground")) != base
    elsewhere = _settings(timezone="America/Los_Angeles")  # TD SYNNEX's times are read in it
    assert cycle_signature(elsewhere, _ctx(elsewhere, "FedEx Ground")) != base
    invoicing = settings.model_copy(
        update={"tdsynnex": settings.tdsynnex.model_copy(update={"invoice_url": "https://tds.example/inv"})}
    )
    assert cycle_signature(invoicing, _ctx(invoicing, "FedEx Ground")) != base
