"""The pure reach rules: which engine events are news to whom, by which channel, and who is told once."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderbridge.config import ReachSettings
from orderbridge.config.reach import AUDIENCES, EVENTS
from orderbridge.connectwise.context import Person, PoContext, default_email
from orderbridge.reach.audience import ReachEvent, company_allowed, decide, phase_overdue, reach_event

DANA = Person("contact", 301, "Dana Reyes", "dana@acme.example")
TOM = Person("contact", 302, "Tom Ito", None)
SAM = Person("member", 151, "Sam Seller", "sam@msp.example")
CONTEXT = PoContext(
    po_id=1,
    po_number="PO-1",
    company_id=251,
    company_name="Acme Dental",
    company_identifier="AcmeDental",
    customer_contact=DANA,
    ticket_id=5001,
    ticket_summary="Hardware",
    ticket_contact=TOM,
    sales_rep=SAM,
)
SHIPPED = ReachEvent("shipped", "shipment:1", "Shipped 2 of 2 lines")


@pytest.mark.parametrize(
    ("kind", "complete", "name"),
    [
        ("shipment", True, "shipped"),
        ("shipment", False, "partly_shipped"),
        ("delivered", False, "delivered"),
        ("delivery_delayed", False, "delay"),
        ("delivery_exception", False, "exception"),
        ("returned_to_sender", False, "exception"),
        ("back_ordered", False, "back_ordered"),
        ("stage_changed", False, None),
        ("partly_delivered", False, None),
    ],
)
def test_engine_events_in_the_customers_words(kind: str, complete: bool, name: str | None) -> None:
    event = reach_event(kind, "k", "s", {}, complete=complete)
    assert (event.name if event else None) == name


def test_each_audience_by_its_channels_and_the_unreachable_said_why() -> None:
    config = ReachSettings(
        enabled=True,
        rules={"shipped": ["customer", "ticket_contact", "sales_rep", "project_manager", "staff"]},
        channels={"customer": ["email", "ticket_note"], "ticket_contact": ["email", "ticket_note"]},
    )
    got = [(d.audience, d.channel, d.recipient, d.skip) for d in decide(config, SHIPPED, CONTEXT, ["#1 json"])]
    assert got == [
        ("customer", "email", "dana@acme.example", None),
        ("customer", "ticket_note", "ticket:5001", None),
        ("ticket_contact", "email", "contact:302", "no email address in ConnectWise"),
        ("sales_rep", "email", "sam@msp.example", None),
        ("project_manager", "email", "project_manager:none", "ConnectWise names no project manager"),
        ("staff", "apprise", "#1 json", None),
    ]


@pytest.mark.parametrize(
    ("opt_in", "opt_out", "allowed"),
    [
        ((), (), True),
        ((), ("acmedental",), False),
        ((), ("251",), False),
        (("Acme Dental",), (), True),
        (("x",), (), False),
    ],
)
def test_companies_opt_in_and_out_by_id_identifier_or_name(
    opt_in: tuple[str, ...], opt_out: tuple[str, ...], allowed: bool
) -> None:
    config = ReachSettings(enabled=True, opt_in=opt_in, opt_out=opt_out, rules={"shipped": ["customer", "staff"]})
    assert company_allowed(config, CONTEXT) is allowed
    audiences = {d.audience for d in decide(config, SHIPPED, CONTEXT, ["#1 json"])}
    assert audiences == ({"customer", "staff"} if allowed else {"staff"})


def test_config_refuses_unknown_names_and_impossible_channels() -> None:
    with pytest.raises(ValueError, match="unknown event"):
        ReachSettings(rules={"arrived": ["customer"]})
    with pytest.raises(ValueError, match="unknown audience"):
        ReachSettings(rules={"shipped": ["ceo"]})
    with pytest.raises(ValueError, match="cannot reach sales_rep"):
        ReachSettings(channels={"sales_rep": ["ticket_note"]})
    with pytest.raises(ValueError, match="cannot reach customer"):
        ReachSettings(channels={"customer": ["apprise"]})


def test_phase_overdue_when_the_expected_date_or_today_is_past_the_phase_date() -> None:
    phased = PoContext(po_id=1, phase_due=date(2026, 3, 10))
    assert phase_overdue(phased, date(2026, 3, 11), date(2026, 3, 1))
    assert not phase_overdue(phased, date(2026, 3, 10), date(2026, 3, 1))
    assert phase_overdue(phased, None, date(2026, 3, 11))
    assert not phase_overdue(PoContext(po_id=1), date(2030, 1, 1), date(2030, 1, 1))


def test_default_email_is_the_default_email_entry() -> None:
    items = [
        {"communicationType": "Phone", "value": "555", "defaultFlag": True},
        {"communicationType": "Email", "value": "old@x.example", "defaultFlag": False},
        {"type": {"name": "Email"}, "value": " new@x.example ", "defaultFlag": True},
    ]
    assert default_email(items) == "new@x.example"
    assert default_email(items[:2]) == "old@x.example"
    assert default_email([{"communicationType": "Email", "value": "not an address"}]) is None
    assert default_email(None) is None


people = st.one_of(
    st.none(),
    st.builds(
        Person,
        st.just("contact"),
        st.integers(1, 5),
        st.text(max_size=5),
        st.one_of(st.none(), st.sampled_from(["a@x.example", "B@x.example"])),
    ),
)


@given(
    event=st.sampled_from(EVENTS),
    audiences=st.lists(st.sampled_from(AUDIENCES), unique=True),
    customer=people,
    asker=people,
    ticket=st.one_of(st.none(), st.integers(1, 9)),
)
def test_nobody_is_told_twice_on_one_channel_and_every_decision_is_keyed(
    event: str, audiences: list[str], customer: Person | None, asker: Person | None, ticket: int | None
) -> None:
    config = ReachSettings(
        enabled=True,
        rules={event: audiences},
        channels={"customer": ["email", "ticket_note"], "ticket_contact": ["email", "ticket_note"]},
    )
    context = PoContext(po_id=1, customer_contact=customer, ticket_contact=asker, ticket_id=ticket)
    decisions = decide(config, ReachEvent(event, "k", "s"), context, ["#1 json", "#2 mailto"])
    keys = [(d.channel, d.recipient.casefold()) for d in decisions]
    assert len(keys) == len(set(keys))
    assert {d.audience for d in decisions} <= set(audiences)
    for d in decisions:
        if d.skip is None and d.channel == "email":
            assert "@" in d.recipient
        if d.skip is None and d.channel == "ticket_note":
            assert ticket is not None and d.recipient == f"ticket:{ticket}"
