"""Which ConnectWise status is each stage's (rules/statuses.py), and what the planner makes of it."""

from __future__ import annotations

from dataclasses import replace

from plan_builders import ACCEPTED_PRIOR, NAMES, STATUSES, ctx, item, order, po

from orderbridge.config import StatusNames
from orderbridge.core.domain import PurchaseOrderStatus, Reference, Stage
from orderbridge.rules.plan import plan_purchase_order
from orderbridge.rules.statuses import KnownStatus, resolve_statuses

RENAMED = tuple(PurchaseOrderStatus(s.id, "Shipped (TDS)") if s.id == 3 else s for s in STATUSES)
LEARNED = {Stage.ACCEPTED: KnownStatus(1, "TDS Accepted"), Stage.SHIPPED: KnownStatus(3, "TDS Shipped")}


def test_nothing_learned_yet_matches_by_name() -> None:
    stages = resolve_statuses(NAMES, STATUSES, {})
    assert {stage: status.id for stage, status in stages.found.items()} == {
        Stage.ACCEPTED: 1,
        Stage.RELEASED: 2,
        Stage.SHIPPED: 3,
        Stage.INVOICED: 4,
        Stage.CLOSED: 5,
    }
    assert stages.renamed == () and stages.learned[Stage.SHIPPED] == KnownStatus(3, "TDS Shipped")


def test_a_status_renamed_in_connectwise_is_found_by_its_id_and_reported() -> None:
    stages = resolve_statuses(NAMES, RENAMED, LEARNED)
    assert stages.found[Stage.SHIPPED].id == 3 and stages.missing == ()
    [rename] = stages.renamed
    assert (rename.status_id, rename.configured, rename.current) == (3, "TDS Shipped", "Shipped (TDS)")
    assert 'set [statuses] shipped = "Shipped (TDS)"' in rename.warning()
    assert stages.for_planning(RENAMED)["tds shipped"].id == 3


def test_a_renamed_status_unknown_to_the_store_is_missing_not_guessed() -> None:
    assert resolve_statuses(NAMES, RENAMED, {}).missing == (Stage.SHIPPED,)


def test_a_changed_statuses_name_is_the_operators_choice_and_is_looked_up_by_name() -> None:
    names = StatusNames(shipped="On Order")
    stages = resolve_statuses(names, STATUSES, LEARNED)
    assert stages.found[Stage.SHIPPED].id == 10 and stages.renamed == ()
    assert stages.learned[Stage.SHIPPED] == KnownStatus(10, "On Order")


def test_a_deleted_status_falls_back_to_its_name() -> None:
    recreated = (*(s for s in STATUSES if s.id != 3), PurchaseOrderStatus(33, "TDS Shipped"))
    assert resolve_statuses(NAMES, recreated, LEARNED).found[Stage.SHIPPED].id == 33


def test_planner_writes_the_renamed_status_and_does_not_read_it_as_a_persons() -> None:
    stages = resolve_statuses(NAMES, RENAMED, LEARNED)
    context = replace(ctx(statuses=RENAMED), statuses=stages.for_planning(RENAMED))
    shipped = order(item(1, "shipped", tracking=("123456789012",)))
    moved = plan_purchase_order(po("TDS Accepted", vendor_order_number="41000001"), shipped, context, ACCEPTED_PRIOR)
    assert not moved.problems and {"id": 3} in [c.new for c in moved.changes if c.field == "status"]
    already = replace(po("TDS Accepted", vendor_order_number="41000001"), status=Reference(3, "Shipped (TDS)"))
    kept = plan_purchase_order(already, shipped, context, ACCEPTED_PRIOR)
    assert not kept.status_owned_by_person and "status_taken_over" not in [e.kind for e in kept.events]


def test_a_missing_status_is_a_problem_setup_fixes() -> None:
    missing = tuple(s for s in STATUSES if s.id != 3)
    shipped = order(item(1, "shipped", tracking=("123456789012",)))
    plan = plan_purchase_order(po("TDS Accepted"), shipped, ctx(statuses=missing), ACCEPTED_PRIOR)
    assert plan.needs_setup and plan.problems
