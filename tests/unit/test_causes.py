"""Failures grouped by cause, and the outage rule behind the exit codes (sync/causes.py)."""

from __future__ import annotations

from orderbridge.config import Settings
from orderbridge.core.errors import DistributorError, TransientApiError
from orderbridge.sync.causes import PO_CAUSE, SERVICE, Cause, cause_of, group_failures, outage_line, top_causes

SETTINGS = Settings(
    connectwise={"company": "c", "public_key": "p", "private_key": "k", "client_id": "i"},
    tdsynnex={"user_id": "u", "password": "p", "customer_number": "1"},
)
DOWN = Cause(SERVICE, "tdsynnex", "connect")


def test_a_retriable_error_is_its_service_s_cause_with_the_reason() -> None:
    exc = TransientApiError(
        "POST /SynnexXML/POStatus failed after 4 attempts: connect", service="tdsynnex", code="connect"
    )
    assert cause_of(exc) == DOWN
    assert cause_of(TransientApiError("x", service="connectwise", status=503)) == Cause(SERVICE, "connectwise", "503")
    assert cause_of(DistributorError("TD SYNNEX said no")) == PO_CAUSE


def test_identical_failures_are_one_group_with_examples_largest_first() -> None:
    failures = [("PO-1", "no status 'TDS Shipped'"), ("PO-2", "notFound"), ("PO-3", "no status 'TDS Shipped'")]
    failures += [(f"PO-{n}", "no status 'TDS Shipped'") for n in range(4, 7)]
    groups = group_failures(failures, [PO_CAUSE] * len(failures))
    assert [(g.count, g.message) for g in groups] == [(5, "no status 'TDS Shipped'"), (1, "notFound")]
    assert groups[0].text() == "5 POs (PO-1, PO-3, PO-4, ...): no status 'TDS Shipped'"
    assert top_causes(groups, limit=1).startswith("5 failed: no status 'TDS Shipped'; and 1 more causes")


def test_service_failures_group_by_service_though_their_paths_differ() -> None:
    failures = [("PO-1", "GET /purchaseorders/1 failed"), ("PO-2", "GET /purchaseorders/2 failed")]
    cause = Cause(SERVICE, "connectwise", "timeout")
    assert [g.count for g in group_failures(failures, [cause, cause])] == [2]


def test_outage_only_when_every_attempted_po_failed_for_a_service() -> None:
    failures = [(f"PO-{n}", "failed: connect") for n in range(49)]
    line = outage_line(failures, [DOWN] * 49, 49, SETTINGS)
    assert line == (
        "TD SYNNEX did not answer (could not connect to ec.synnex.com) for all 49 POs: "
        "check the network or the [tdsynnex] url"
    )
    assert outage_line(failures, [DOWN] * 49, 50, SETTINGS) is None  # one PO got through
    assert outage_line(failures, [DOWN] * 48 + [PO_CAUSE], 49, SETTINGS) is None  # TD SYNNEX answered one
    assert outage_line([], [], 0, SETTINGS) is None  # nothing was due


def test_rate_limits_say_which_setting_to_lower() -> None:
    line = outage_line([("PO-1", "429")], [Cause(SERVICE, "connectwise", "429")], 1, SETTINGS)
    assert line is not None and "HTTP 429" in line and "lower [connectwise] requests_per_minute" in line
