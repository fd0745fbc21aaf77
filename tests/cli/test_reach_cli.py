"""`orderbridge reach preview PO`, `reach pending` and `sync --once --dry-run` over the served simulators."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_exit_codes import write_config

from orderbridge.cli import main
from orderbridge.simulators.serve import SimulatorPair, running_simulators
from orderbridge.store import Store
from orderbridge.store.outbox import reach_messages


@pytest.fixture(scope="module")
def sims() -> Iterator[SimulatorPair]:
    with running_simulators(orders=12) as pair:
        yield pair


def test_preview_pending_and_dry_run_show_messages_and_send_nothing_more(sims: SimulatorPair, tmp_path: Path) -> None:
    config = write_config(tmp_path / "orderbridge.toml", sims)
    # No SMTP host: emails stay decided (and say why); ticket notes go to the simulator's tickets.
    config.write_text(config.read_text() + "\n[reach]\nenabled = true\n", encoding="utf-8")
    runner = CliRunner()
    args = ["--config", str(config)]
    assert runner.invoke(main, [*args, "setup"], catch_exceptions=False).exit_code == 0
    assert runner.invoke(main, [*args, "sync", "--once"], catch_exceptions=False).exit_code == 0
    store = Store.open(f"sqlite:///{tmp_path / 'ob.db'}")
    try:
        with store.reading() as connection:
            rows = list(connection.execute(reach_messages.select()))
    finally:
        store.close()
    assert rows, "the first cycle's shipments call for messages"
    waiting = next(r for r in rows if r.channel == "email" and r.state == "decided")
    assert waiting.error == "waiting: reach.smtp.host is not set" and waiting.attempts == 0
    with sims.connectwise.lock:
        notes_before = len(sims.connectwise.ticket_notes)

    shown = runner.invoke(main, [*args, "reach", "preview", waiting.po_number, "--json"], catch_exceptions=False)
    previews = json.loads(shown.stdout)
    mine = [p for p in previews if p["recipient"] == waiting.recipient and p["event"] == waiting.event]
    assert mine and mine[0]["state"] == "decided" and mine[0]["text"].startswith("Hello ")
    assert any(p["channel"] == "ticket_note" and p["state"] == "sent" for p in previews)

    pending = runner.invoke(main, [*args, "reach", "pending"], catch_exceptions=False).stdout
    assert f"[would send] {waiting.event} -> {waiting.audience} by email" in pending
    dry = runner.invoke(main, [*args, "sync", "--once", "--dry-run"], catch_exceptions=False)
    assert dry.exit_code == 0 and "messages the next live cycle would send:" in dry.stdout
    assert waiting.recipient in dry.stdout
    with sims.connectwise.lock:
        assert len(sims.connectwise.ticket_notes) == notes_before
