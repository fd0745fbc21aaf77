"""The credentials judge alone: probes, counting, and one conclusion per service per cycle."""

from __future__ import annotations

import asyncio

import pytest

from orderbridge.core.errors import AuthError, AuthSuspected, TransientError
from orderbridge.sync.credentials import CONSISTENT, CredentialsJudge, ServiceCheck


def suspect(service: str = "tdsynnex", text: str = "Login failed: Invalid UserID or Password") -> AuthSuspected:
    return AuthSuspected(f"TD SYNNEX answered with a login error: {text}", service=service)


class Probe:
    """A probe whose answer the test sets: None answers, an exception is raised."""

    def __init__(self, outcome: Exception | None = None) -> None:
        self.outcome = outcome
        self.calls = 0

    async def __call__(self) -> object:
        self.calls += 1
        await asyncio.sleep(0)  # let concurrent refusals pile up behind the judge's lock
        if self.outcome is not None:
            raise self.outcome
        return "notFound"


def judge(probe: Probe | None, service: str = "tdsynnex") -> CredentialsJudge:
    check = ServiceCheck("TD SYNNEX", "Check [tdsynnex] user_id and password.", probe, "a probe query")
    return CredentialsJudge({service: check})


async def test_a_refused_probe_concludes_at_once_with_one_message_naming_the_fix() -> None:
    probe = Probe(suspect(text="Login failed"))
    with pytest.raises(AuthError) as caught:
        await judge(probe).refused(suspect(), "PO-1")
    message = caught.value.message
    assert "TD SYNNEX refused the credentials" in message and "a probe query was refused too" in message
    assert "the first refusal was on PO PO-1" in message and "Check [tdsynnex] user_id and password." in message


async def test_an_answered_probe_leaves_the_refusal_to_that_po_and_later_ones_do_not_probe_each_time() -> None:
    probe = Probe()
    judged = judge(probe)
    messages = [await judged.refused(suspect(), f"PO-{n}") for n in range(CONSISTENT - 1)]
    assert all("the credentials work" in m for m in messages)
    assert probe.calls == 1


async def test_a_run_of_refusals_is_probed_again_and_then_concludes_if_the_password_changed() -> None:
    probe = Probe()
    judged = judge(probe)
    for n in range(CONSISTENT):
        await judged.refused(suspect(), f"PO-{n}")
    assert probe.calls == 1
    probe.outcome = suspect(text="Login failed")  # the password changed mid-cycle
    with pytest.raises(AuthError):  # the K-th refusal since the probe asks again
        await judged.refused(suspect(), "PO-last")
    assert probe.calls == 2


async def test_without_a_probe_consistent_refusals_with_no_success_between_conclude() -> None:
    judged = judge(None)
    for n in range(CONSISTENT - 1):
        assert "credentials work" not in await judged.refused(suspect(), f"PO-{n}")
    judged.accepted("tdsynnex")  # a success in between: start counting again
    for n in range(CONSISTENT - 1):
        await judged.refused(suspect(), f"PO-y{n}")
    with pytest.raises(AuthError) as caught:
        await judged.refused(suspect(), "PO-z")
    assert f"{CONSISTENT} answers in a row said so" in caught.value.message


async def test_a_probe_that_cannot_get_through_falls_back_to_counting() -> None:
    probe = Probe(TransientError("TD SYNNEX is down"))
    judged = judge(probe)
    for n in range(CONSISTENT - 1):
        await judged.refused(suspect(), f"PO-{n}")
    with pytest.raises(AuthError):
        await judged.refused(suspect(), "PO-last")


async def test_concurrent_refusals_share_one_probe_and_one_conclusion() -> None:
    probe = Probe(suspect(text="Login failed"))
    judged = judge(probe)
    results = await asyncio.gather(*(judged.refused(suspect(), f"PO-{n}") for n in range(20)), return_exceptions=True)
    assert probe.calls == 1
    assert all(isinstance(r, AuthError) for r in results)
    assert len({str(r) for r in results}) == 1


async def test_services_are_judged_apart() -> None:
    judged = CredentialsJudge(
        {
            "tdsynnex": ServiceCheck("TD SYNNEX", "fix tds", Probe(), "a probe query"),
            "connectwise": ServiceCheck("ConnectWise", "fix cw", Probe(suspect("connectwise")), "a statuses read"),
        }
    )
    assert "credentials work" in await judged.refused(suspect(), "PO-1")
    with pytest.raises(AuthError) as caught:
        await judged.refused(suspect("connectwise", "forbidden"), "PO-2")
    assert caught.value.service == "connectwise" and "fix cw" in caught.value.message
