"""Credentials are judged per service from evidence across POs, never from one PO's answer.

Before sync/credentials.py one TD SYNNEX answer with "login" in its ErrorDetail (or one 401/403) raised a
Fatal AuthError and aborted the cycle: 9 of 49 POs synced, every cycle.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from world import simple_order, world

from orderbridge.core.errors import AuthError
from orderbridge.runners.setup import run_setup
from orderbridge.store import Store
from orderbridge.sync.credentials import PROBE_PO

POS = [f"PO-{900 + n}" for n in range(49)]
ODD = "PO-907"


async def seeded(w) -> None:  # type: ignore[no-untyped-def]
    await run_setup(w.tenant.settings, w.tenant.connectwise)
    for po_number in POS:
        w.add(simple_order(po_number, w.clock.now(), ship_after=timedelta(hours=-0.5)))


async def test_one_po_answering_with_a_login_error_fails_alone_and_48_sync(store: Store) -> None:
    async with world(store) as w:
        await seeded(w)
        detail = "PO PO-907 was placed under another login and is not visible to this account"
        w.tds.faults.add("error_detail", po_number=ODD, message="Server.BizError", detail=detail)

        summary = await w.engine.run_cycle()

        assert summary.aborted is None
        assert (summary.changed, summary.failed) == (48, 1)
        [(label, message)] = summary.failures
        assert label == ODD and "placed under another login" in message
        assert "the credentials work" in message and "this PO only" in message
        assert all(w.po(po)["status"]["name"] == "TDS Shipped" for po in POS if po != ODD)
        probes = [r for r in w.tds.requests if r.po_number == PROBE_PO]
        assert [r.outcome for r in probes] == ["notFound"]  # one probe call, answered: credentials fine


async def test_a_wrong_password_stops_the_cycle_with_one_line_naming_td_synnex(store: Store) -> None:
    async with world(store, tdsynnex={"password": "not-the-password"}) as w:
        await seeded(w)
        before = w.writes()

        with pytest.raises(AuthError) as caught:
            await w.engine.run_cycle()

        message = caught.value.message
        assert message.startswith("tdsynnex: TD SYNNEX refused the credentials")
        assert "[tdsynnex] user_id and password" in message and "\n" not in message
        assert "not-the-password" not in message
        assert w.writes() == before
        # Nothing was recorded against the POs: the credentials failed, not 49 orders.
        assert store.load_tracked("default", [w.po(po)["id"] for po in POS]) == {}
        logins = [r for r in w.tds.requests if r.outcome == "loginFailed"]
        assert len(logins) < 49


async def test_http_403_on_every_status_query_is_settled_by_the_probe(store: Store) -> None:
    async with world(store) as w:
        await seeded(w)
        w.tds.faults.add("status", status=403, channel="status")
        with pytest.raises(AuthError) as caught:
            await w.engine.run_cycle()
        assert "TD SYNNEX refused the credentials" in caught.value.message
        assert "was refused too" in caught.value.message


async def test_a_connectwise_403_on_one_pos_patch_fails_that_po_only(store: Store) -> None:
    async with world(store) as w:
        await seeded(w)
        locked = w.po(ODD)["id"]
        w.cw.faults.add(rf"/procurement/purchaseorders/{locked}$", method="PATCH", status=403, times=None)

        summary = await w.engine.run_cycle()

        assert summary.aborted is None and (summary.changed, summary.failed) == (48, 1)
        [(label, message)] = summary.failures
        assert label == ODD and "403" in message and "security role" in message
        assert "the credentials work" in message
