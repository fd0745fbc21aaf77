"""Scale-out on procrastinate (PostgreSQL): many tenants, several workers, locks, retries, stalls."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest
from scale_out import JobWatch, run_until_idle, scale_out

from orderbridge.runners.worker.app import SYNC_TASK, defer_tenant, queue_due_tenants, retry_stalled_jobs
from orderbridge.store import ActivityFilter

pytestmark = pytest.mark.postgres
GATE_TIMEOUT_S = 30.0  # a guard against a hung test, not a performance assertion


async def test_three_workers_sync_twenty_tenants_none_twice_at_once_none_starved(pg_url: str) -> None:
    async with scale_out(pg_url, 20) as harness:
        apps = [await harness.app() for _ in range(3)]
        queued = await queue_due_tenants(apps[0], harness.runtime)
        assert sorted(queued) == [f"t{i:02d}" for i in range(20)]
        # Another worker's tick at the same moment queues nothing: one waiting job per tenant.
        assert await queue_due_tenants(apps[1], harness.runtime) == []

        # The first three jobs wait for each other, so each must be on a different worker; and
        # while t00 runs, a second t00 job is queued, which its lock must hold back until t00 ends.
        three_running = asyncio.Event()
        started: list[str] = []
        requeued: list[bool] = []

        async def before(tenant: str) -> None:
            started.append(tenant)
            if len(started) == 3:
                three_running.set()
            if len(started) <= 3:
                await asyncio.wait_for(three_running.wait(), GATE_TIMEOUT_S)
            if tenant == "t00" and not requeued:
                requeued.append(await defer_tenant(apps[2], "t00"))

        watch = JobWatch(before=before)
        await run_until_idle(apps, watch=watch)

        ran = Counter(tenant for _, tenant in watch.runs)
        assert requeued == [True]
        assert ran == {**{f"t{i:02d}": 1 for i in range(1, 20)}, "t00": 2}  # every tenant synced, none starved
        assert max(watch.most_at_once.values()) == 1  # never two jobs of one tenant at the same time
        assert {worker for worker, _ in watch.runs[:3]} == {"w0", "w1", "w2"}
        for index in range(20):
            name = f"t{index:02d}"
            assert set(harness.cycles(name)) == {"ok"}
            site = harness.fleet.sites[name]
            assert site.cw.get_purchase_order(1001)["status"]["name"] == "TDS Accepted"
        jobs = await apps[0].job_manager.list_jobs_async(task=SYNC_TASK)
        assert {job.status for job in jobs} == {"succeeded"}


async def test_a_synced_tenant_is_not_queued_again_until_something_is_due(pg_url: str) -> None:
    async with scale_out(pg_url, 2, discover_minutes=30) as harness:
        app = await harness.app()
        assert len(await queue_due_tenants(app, harness.runtime)) == 2
        await run_until_idle([app])
        assert await queue_due_tenants(app, harness.runtime) == []
        # Accepted orders are due again after 15 min +- 10% jitter: 17 min is past the latest of them
        # (16 min failed now and then: whenever every order of a tenant drew more than +1 min of jitter).
        harness.fleet.clock.advance(timedelta(minutes=17))
        assert sorted(await queue_due_tenants(app, harness.runtime)) == ["t00", "t01"]


async def test_a_job_failing_on_a_transient_error_is_retried_and_then_succeeds(pg_url: str) -> None:
    async with scale_out(pg_url, 1, max_attempts=3) as harness:
        site = harness.fleet.sites["t00"]
        # Enough 503s to outlast the HTTP layer's own retries on the first job attempt only.
        site.cw.faults.add("purchaseorderstatuses", status=503, times=site.settings.http.max_attempts)
        app = await harness.app()
        await defer_tenant(app, "t00")
        await run_until_idle([app])

        (job,) = await app.job_manager.list_jobs_async(task=SYNC_TASK)
        assert (job.status, job.attempts) == ("succeeded", 2)  # one failure, one retry
        assert harness.cycles("t00") == ["failed", "ok"]
        errors = harness.fleet.store.query_activity(ActivityFilter(tenant="t00", actions=("error",)))
        assert any("tenant job failed" in e.reason for e in errors)
        assert site.cw.get_purchase_order(1001)["status"]["name"] == "TDS Accepted"


async def test_bad_credentials_fail_the_job_without_retrying(pg_url: str) -> None:
    async with scale_out(pg_url, 1, max_attempts=5) as harness:
        site = harness.fleet.sites["t00"]
        site.cw.private_key = "rotated-elsewhere"
        app = await harness.app()
        await defer_tenant(app, "t00")
        await run_until_idle([app])
        (job,) = await app.job_manager.list_jobs_async(task=SYNC_TASK)
        assert (job.status, job.attempts, harness.cycles("t00")) == ("failed", 1, ["failed"])
        # The failed attempt counts: the tenant waits for the discovery interval, not the next tick.
        assert await queue_due_tenants(app, harness.runtime) == []


async def test_a_dead_workers_job_is_retried_once_its_heartbeat_is_overdue(pg_url: str) -> None:
    async with scale_out(pg_url, 2) as harness:
        app = await harness.app()
        await defer_tenant(app, "t00")
        manager = app.job_manager
        dead = await manager.register_worker()
        job = await manager.fetch_job(queues=None, worker_id=dead)
        assert job is not None and job.task_kwargs == {"tenant": "t00"}

        # Its worker is alive: nothing is stalled, and the running tenant is not queued twice.
        assert await retry_stalled_jobs(app, 60) == 0
        assert await queue_due_tenants(app, harness.runtime) == ["t01"]

        await app.connector.execute_query_async(
            "UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour' WHERE id = %(id)s", id=dead
        )
        assert await retry_stalled_jobs(app, 60) == 1
        await run_until_idle([app])
        assert harness.cycles("t00") == ["ok"]
        assert harness.cycles("t01") == ["ok"]


async def test_the_periodic_task_queues_and_syncs_every_tenant(pg_url: str) -> None:
    async with scale_out(pg_url, 3, interval_seconds=1) as harness:
        app = await harness.app(periodic=True)
        worker = asyncio.create_task(
            app.run_worker_async(
                concurrency=2, install_signal_handlers=False, listen_notify=False, fetch_job_polling_interval=0.05
            )
        )
        try:
            async with asyncio.timeout(GATE_TIMEOUT_S):
                while not all(harness.cycles(f"t{i:02d}") for i in range(3)):
                    await asyncio.sleep(0.1)
        finally:
            worker.cancel()
            with pytest.raises(asyncio.CancelledError):
                await worker
        assert all(set(harness.cycles(f"t{i:02d}")) == {"ok"} for i in range(3))
