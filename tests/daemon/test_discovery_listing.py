"""Incremental discovery against the ConnectWise simulator: what each listing asks for, and the cursor."""

from __future__ import annotations

from datetime import timedelta

from fleet import Site, fleet, make_site
from world import simple_order

from orderbridge.core.clock import SimClock
from orderbridge.core.domain import PurchaseOrder
from orderbridge.store import Store, SyncRecord, TrackedOrder
from orderbridge.store.cursors import PARK_HORIZON, DiscoveryCursor, load_cursor, save_cursor
from orderbridge.sync.discovery import IncrementalDiscovery
from orderbridge.sync.tenant import Tenant


def discovery_for(tenant: Tenant, clock: SimClock) -> IncrementalDiscovery:
    return IncrementalDiscovery(
        tenant.settings, tenant=tenant.name, connectwise=tenant.connectwise, store=tenant.store, clock=clock
    )


async def listed(discovery: IncrementalDiscovery) -> list[PurchaseOrder]:
    return [po async for po in discovery()]


def schedule(store: Store, tenant: str, pos: list[PurchaseOrder], clock: SimClock, in_minutes: float) -> None:
    """Record the POs as checked now and due in `in_minutes` (what the engine would have saved)."""
    now = clock.now()
    store.save_results(
        tenant,
        [
            SyncRecord(
                tracked=TrackedOrder(
                    tenant=tenant,
                    po_id=po.id,
                    po_number=po.po_number,
                    first_seen_at=now,
                    last_checked_at=now,
                    next_check_at=now + timedelta(minutes=in_minutes),
                ),
                events=[],
                activity=[],
            )
            for po in pos
        ],
    )


def seed(site: Site, clock: SimClock, count: int, first: int = 100) -> None:
    for number in range(first, first + count):
        site.add(simple_order(f"PO-{number}", clock.now()))


async def test_first_listing_is_full_and_the_cursor_moves_only_on_commit(store: Store) -> None:
    clock = SimClock()
    site = make_site(clock)
    seed(site, clock, 5)
    async with fleet(store, clock, [site]) as (tenant,):
        discovery = discovery_for(tenant, clock)
        first = await listed(discovery)
        assert len(first) == 5 and discovery.report.mode == "full"
        assert load_cursor(store, "default").last_updated is None, "nothing may move before the cycle commits"
        committed = discovery.commit()
        assert committed is not None and committed.last_updated is not None
        assert load_cursor(store, "default") == committed
        assert discovery.commit() is None, "a listing commits once"


async def test_later_listings_ask_for_updated_since_cursor_minus_overlap_and_due_ids(store: Store) -> None:
    clock = SimClock()
    site = make_site(clock)
    seed(site, clock, 6)
    async with fleet(store, clock, [site], daemon={"overlap_minutes": 10}) as (tenant,):
        discovery = discovery_for(tenant, clock)
        pos = await listed(discovery)
        discovery.commit()
        schedule(store, "default", pos[:2], clock, in_minutes=90)  # due at the third listing
        schedule(store, "default", pos[2:], clock, in_minutes=600)
        clock.advance(timedelta(hours=1))
        older = site.add(simple_order("PO-900", clock.now()))
        await listed(discovery)
        discovery.commit()
        cursor = load_cursor(store, "default").last_updated
        assert cursor is not None
        clock.advance(timedelta(hours=1))
        site.cw.request_log.clear()
        fresh = site.add(simple_order("PO-901", clock.now()))

        again = await listed(discovery)

        # PO-900 is re-read because it sits inside the overlap window; the six old POs are not.
        assert {po.id for po in again} == {older["id"], fresh["id"], pos[0].id, pos[1].id}
        queries = site.listings()
        assert len(queries) == 2, queries
        since = (cursor - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert "_info/lastUpdated" in queries[0]["conditions"] and since in queries[0]["conditions"]
        assert f"id in ({pos[0].id}, {pos[1].id})" in queries[1]["conditions"]
        assert discovery.report.mode == "by-id" and discovery.report.due == 2


async def test_an_uncommitted_listing_is_listed_again(store: Store) -> None:
    """G2: a crash between listing and commit loses nothing; the next run re-reads the same range."""
    clock = SimClock()
    site = make_site(clock)
    seed(site, clock, 3)
    async with fleet(store, clock, [site]) as (tenant,):
        discovery = discovery_for(tenant, clock)
        await listed(discovery)
        discovery.commit()
        clock.advance(timedelta(minutes=30))
        site.add(simple_order("PO-901", clock.now()))
        crashed = discovery_for(tenant, clock)
        assert "PO-901" in {po.po_number for po in await listed(crashed)}
        # no commit: the process died here
        restarted = discovery_for(tenant, clock)
        assert "PO-901" in {po.po_number for po in await listed(restarted)}


async def test_many_due_orders_are_fetched_with_one_full_listing(store: Store) -> None:
    clock = SimClock()
    site = make_site(clock)
    seed(site, clock, 250)
    # 250 due ids need two URLs of under 2,000 characters; one page of 1,000 holds them all.
    async with fleet(store, clock, [site]) as (tenant,):
        discovery = discovery_for(tenant, clock)
        pos = await listed(discovery)
        discovery.commit()
        clock.advance(timedelta(hours=1))
        site.add(simple_order("PO-999", clock.now()))  # moves the cursor past the 250
        await listed(discovery)
        discovery.commit()
        schedule(store, "default", pos, clock, in_minutes=-1)
        site.cw.request_log.clear()

        again = await listed(discovery)

        assert len(again) == 251 and discovery.report.mode == "full"
        queries = site.listings()
        assert not any(" in (" in query["conditions"] for query in queries), "the full listing is as cheap"


async def test_due_orders_that_left_the_listing_are_parked_and_woken_by_an_edit(store: Store) -> None:
    clock = SimClock()
    site = make_site(clock)
    seed(site, clock, 30)
    async with fleet(store, clock, [site]) as (tenant,):
        discovery = discovery_for(tenant, clock)
        pos = await listed(discovery)
        discovery.commit()
        schedule(store, "default", pos, clock, in_minutes=60)
        schedule(store, "default", pos[:1], clock, in_minutes=-1)
        gone = pos[0]
        # A person unticks "Send to TDS": ConnectWise no longer lists the PO as tracked.
        record = site.cw.purchase_orders.get(gone.id)
        assert record is not None
        for custom in record["customFields"]:
            if custom["caption"] == "Send to TDS":
                custom["value"] = False

        await listed(discovery)
        discovery.commit()

        assert discovery.report.parked == 1
        parked = store.load_tracked("default", [gone.id])[gone.id]
        assert parked.next_check_at is not None and parked.next_check_at > clock.now() + PARK_HORIZON
        clock.advance(timedelta(minutes=5))
        await listed(discovery)
        discovery.commit()
        assert site.listings()[-1]["conditions"].count(" in (") == 0, "a parked PO is not asked for again"

        await tenant.connectwise.patch_purchase_order(
            gone.id,
            [
                {
                    "op": "replace",
                    "path": "customFields",
                    "value": [{**c, "value": True} for c in record["customFields"]],
                }
            ],
        )
        clock.advance(timedelta(minutes=5))
        woken = await listed(discovery)
        assert gone.id in {po.id for po in woken} and discovery.report.unparked == 1
        assert store.load_tracked("default", [gone.id])[gone.id].next_check_at == clock.now()


async def test_a_cursor_in_the_future_falls_back_to_a_full_listing(store: Store) -> None:
    """G6: a corrupt (future) cursor must not hide every change until that date."""
    clock = SimClock()
    site = make_site(clock)
    seed(site, clock, 4)
    async with fleet(store, clock, [site]) as (tenant,):
        save_cursor(store, DiscoveryCursor("default", clock.now() + timedelta(days=400), 1), clock.now())
        discovery = discovery_for(tenant, clock)
        assert len(await listed(discovery)) == 4 and discovery.report.mode == "full"
        committed = discovery.commit()
        assert committed is not None and committed.last_updated is not None
        assert committed.last_updated <= clock.now()


async def test_every_nth_cycle_is_a_full_listing(store: Store) -> None:
    clock = SimClock()
    site = make_site(clock)
    seed(site, clock, 3)
    async with fleet(store, clock, [site], daemon={"full_listing_every": 3}) as (tenant,):
        discovery = discovery_for(tenant, clock)
        modes = []
        for _ in range(6):
            await listed(discovery)
            modes.append(discovery.report.mode)
            discovery.commit()
            clock.advance(timedelta(minutes=1))
        assert modes == ["full", "incremental", "incremental", "full", "incremental", "incremental"]


async def test_stopping_ends_the_listing_early_and_commits_nothing(store: Store) -> None:
    clock = SimClock()
    site = make_site(clock)
    seed(site, clock, 450)
    async with fleet(store, clock, [site]) as (tenant,):
        discovery = IncrementalDiscovery(
            tenant.settings,
            tenant="default",
            connectwise=tenant.connectwise,
            store=store,
            clock=clock,
            stopping=lambda: True,
        )
        got = await listed(discovery)
        assert 0 < len(got) < 450
        assert discovery.commit() is None and load_cursor(store, "default").last_updated is None


async def test_a_due_po_we_closed_is_listed_once_more_but_one_a_person_closed_is_parked(store: Store) -> None:
    """A crash between our closing PATCH and its record (and note) must not lose the close: closed POs
    are in no listing, so discovery fetches due ones by id whatever their state."""
    clock = SimClock()
    site = make_site(clock)
    seed(site, clock, 3)
    async with fleet(store, clock, [site]) as (tenant,):
        discovery = discovery_for(tenant, clock)
        ours, theirs, _ = await listed(discovery)
        discovery.commit()
        schedule(store, "default", [ours, theirs], clock, in_minutes=-1)
        clock.advance(timedelta(hours=1))
        for po, status in ((ours, "TDS Closed"), (theirs, "Cancelled")):
            await tenant.connectwise.patch_purchase_order(
                po.id, [{"op": "replace", "path": "status", "value": {"name": status}}]
            )
            assert site.po(po.po_number or "")["closedFlag"] is True
        clock.advance(timedelta(minutes=5))  # both are closed now: only the by-id listing can find them

        again = {po.id for po in await listed(discovery)}

        assert ours.id in again and theirs.id not in again
        assert discovery.report.parked == 1
