"""Helpers for the doctor tests: fresh transports onto a world's simulators, and `doctor PO` as text."""

from __future__ import annotations

from datetime import datetime

import httpx
from world import World

from orderbridge.config import Settings
from orderbridge.simulators.connectwise.app import create_app as create_cw_app
from orderbridge.simulators.tdsynnex.app import create_app as create_tds_app
from orderbridge.sync.tenant import Transports
from orderbridge.troubleshoot.doctor import explain_po


def transports(w: World) -> Transports:
    return Transports(
        connectwise=httpx.ASGITransport(app=create_cw_app(w.cw)),
        tdsynnex=httpx.ASGITransport(app=create_tds_app(w.tds)),
    )


async def diagnose(w: World, po_number: str, *, now: datetime | None = None, settings: Settings | None = None) -> str:
    findings, _ = await explain_po(
        "default", settings or w.tenant.settings, w.tenant.store, po_number, now or w.clock.now(), transports(w)
    )
    return "\n".join(finding.text() for finding in findings)


def problems(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("FAIL")]
