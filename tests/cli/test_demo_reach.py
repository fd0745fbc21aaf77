"""The demo tells the demo book's customers: one customer email (headers and text) and one ticket note."""

from __future__ import annotations

import re

from rich.console import Console

from orderbridge.runners.demo import run_demo


async def test_the_demo_shows_a_customer_email_and_a_ticket_note() -> None:
    out = Console(record=True, width=400)
    await run_demo(cycles=6, orders=20, out=out)
    view = out.export_text().split("who was told:")[1]
    assert re.search(r"\d+ emails reached the SMTP sink", view)
    assert "From: Demo MSP Orders <orders@msp.example>" in view
    to = re.search(r"To: .* <(.+)>", view)
    assert to and not to.group(1).endswith("@msp.example"), "the email shown is a customer's"
    assert re.search(r"Subject: Your order PO-\d+ (has shipped|was delivered|.*)", view)
    assert re.search(r"Message-ID: <reach\.[0-9a-f]{40}@msp\.example>", view)
    assert "| Hello " in view and "| Items:" in view
    note = re.search(r"note on ticket #\d+ \(customer-facing, \d+ notes on tickets in all\):\n +\| (.+)", view)
    assert note and "[orderbridge:reach:" in note.group(1)
