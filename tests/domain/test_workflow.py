"""The status table, escalation tiers, remedy lifecycle with approval limits, queue order, kinds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shopdesk.domain import kinds, workflow
from shopdesk.domain.cases import Case, Customer
from shopdesk.domain.errors import PermissionDenied, TransitionError, ValidationError
from shopdesk.domain.queue import is_overdue, queue_order

# DESIGN §2: new → open → waiting ↔ open → escalated → open | resolved → closed; void; reopen.
EXPECTED = {
    ("acknowledge", "new"): "open",
    ("wait", "open"): "waiting",
    ("resume", "waiting"): "open",
    ("escalate", "new"): "escalated",
    ("escalate", "open"): "escalated",
    ("escalate", "waiting"): "escalated",
    ("escalate", "escalated"): "escalated",
    ("return", "escalated"): "open",
    ("resolve", "open"): "resolved",
    ("resolve", "escalated"): "resolved",
    ("close", "resolved"): "closed",
    ("reopen", "resolved"): "open",
    ("reopen", "closed"): "open",
    ("void", "new"): "void",
    ("void", "open"): "void",
    ("void", "waiting"): "void",
    ("void", "escalated"): "void",
}
ALL_MOVES = [(action, status) for action in workflow.ACTIONS for status in workflow.STATUSES]
ALLOWED = [move for move in ALL_MOVES if move in EXPECTED]
REFUSED = [move for move in ALL_MOVES if move not in EXPECTED]


def test_the_table_is_the_designed_one():
    table = {
        (action, status): target
        for action, moves in workflow.TRANSITIONS.items()
        for status, target in moves.items()
    }
    assert table == EXPECTED


@pytest.mark.parametrize(("action", "status"), ALLOWED)
def test_every_allowed_move(action, status):
    assert workflow.can_transition(action, status)
    assert workflow.next_status(action, status) == EXPECTED[(action, status)]
    assert action in workflow.allowed_actions(status)


@pytest.mark.parametrize(("action", "status"), REFUSED)
def test_every_refused_move_names_the_move_and_the_allowed_ones(action, status):
    assert not workflow.can_transition(action, status)
    with pytest.raises(TransitionError) as caught:
        workflow.next_status(action, status)
    error = caught.value
    allowed = [a for a in workflow.ACTIONS if (a, status) in EXPECTED]
    assert error.action == action
    assert error.status == status
    assert error.allowed == allowed
    assert error.field == "status"
    assert f"cannot {action} a case that is {status}" in error.detail
    if allowed:
        assert f"allowed from {status}: {', '.join(allowed)}" in error.detail
    else:
        assert "none (the case is final)" in error.detail


def test_void_is_final_and_closed_only_reopens():
    assert workflow.allowed_actions("void") == []
    assert workflow.allowed_actions("closed") == ["reopen"]
    assert workflow.allowed_actions("resolved") == ["close", "reopen"]


def test_unknown_action_is_a_validation_error():
    with pytest.raises(ValidationError, match="unknown action 'teleport'"):
        workflow.next_status("teleport", "open")


def test_active_statuses():
    assert [s for s in workflow.STATUSES if workflow.is_active(s)] == ["new", "open", "waiting", "escalated"]


# --- escalation tiers and roles ------------------------------------------------------------------


def test_escalation_climbs_operator_supervisor_owner_then_stops():
    assert workflow.next_tier("operator") == "supervisor"
    assert workflow.next_tier("supervisor") == "owner"
    with pytest.raises(ValidationError, match="the owner decides it"):
        workflow.next_tier("owner")


def test_roles_rank_and_refuse_naming_the_needed_role():
    workflow.require_role("owner", "supervisor", "approving a remedy")
    workflow.require_role("supervisor", "supervisor", "approving a remedy")
    with pytest.raises(PermissionDenied) as caught:
        workflow.require_role("operator", "supervisor", "approving a remedy")
    assert "approving a remedy needs the role supervisor or above; your role is operator" == caught.value.detail
    with pytest.raises(ValidationError, match="unknown role 'intern'"):
        workflow.role_rank("intern")


# --- remedies ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "status", "expected"),
    [("approve", "proposed", "approved"), ("reject", "proposed", "rejected"),
     ("reject", "approved", "rejected"), ("complete", "approved", "done")],
)
def test_remedy_lifecycle(action, status, expected):
    assert workflow.next_remedy_status(action, status) == expected


@pytest.mark.parametrize(
    ("action", "status"),
    [("complete", "proposed"), ("approve", "approved"), ("approve", "done"), ("reject", "done"),
     ("complete", "done"), ("approve", "rejected"), ("complete", "rejected")],
)
def test_remedy_refusals_say_what_is_allowed(action, status):
    with pytest.raises(ValidationError) as caught:
        workflow.next_remedy_status(action, status)
    assert f"cannot {action} a remedy that is {status}" in caught.value.detail
    assert "allowed:" in caught.value.detail


def test_approval_limits():
    assert not workflow.needs_approval(20_000, 20_000)  # at the limit: fine
    assert workflow.needs_approval(20_001, 20_000)
    assert not workflow.needs_approval(10**9, None)  # no limit
    assert workflow.can_approve(150_000, 200_000, "supervisor")
    assert not workflow.can_approve(250_000, 200_000, "supervisor")
    assert workflow.can_approve(250_000, None, "owner")
    assert not workflow.can_approve(100, None, "operator")  # operators never approve
    assert workflow.can_approve(10**9, 1_000_000, "owner")  # nobody above the owner to ask


def test_approval_limits_are_in_the_shops_currency():
    shop = {"limit_currency": "CNY"}
    assert not workflow.needs_approval(15_000, 20_000, currency="cny", **shop)
    assert workflow.needs_approval(15_000, 20_000, currency="CAD", **shop)  # ~750 CNY
    assert workflow.needs_approval(1, 20_000, currency="JPY", **shop)
    assert not workflow.needs_approval(0, 20_000, currency="CAD", **shop)  # a reship moves no money
    assert not workflow.needs_approval(15_000, None, currency="CAD", **shop)  # no limit at all
    assert not workflow.can_approve(100, 200_000, "supervisor", currency="GBP", **shop)
    assert workflow.can_approve(100, 200_000, "owner", currency="GBP", **shop)


# --- queue order ---------------------------------------------------------------------------------------

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def make_case(case_id: int, *, level=1, urgent=False, status="open", due_in_hours: float | None = 5) -> Case:
    due = NOW + timedelta(hours=due_in_hours) if due_in_hours is not None else None
    return Case(
        id=case_id, ref=f"C-{case_id:06d}", kind="lost", level=level, urgent=urgent, status=status,
        tier="operator", title="", description="", assignee=None, department=None,
        responsible_party=None, responsible_department=None, joint_department=None, root_cause="",
        evidence=[], order_id=None, customer=Customer(), source="manual", opened_by="t",
        opened_at=NOW - timedelta(days=1), first_response_at=None, first_response_due_at=due,
        resolution_due_at=due, due_at=due, resolved_at=None, closed_at=None, resolution="",
        version=1, updated_at=NOW, updated_by="t",
    )


def test_queue_overdue_then_urgent_then_level_then_due():
    overdue_low = make_case(1, level=1, due_in_hours=-2)
    overdue_older = make_case(2, level=1, due_in_hours=-5)
    urgent_low = make_case(3, level=1, urgent=True, due_in_hours=30)
    high_late_due = make_case(4, level=3, due_in_hours=20)
    high_soon_due = make_case(5, level=3, due_in_hours=1)
    medium = make_case(6, level=2, due_in_hours=0.5)
    no_due = make_case(7, level=2, due_in_hours=None)
    ordered = queue_order(
        [no_due, medium, high_late_due, urgent_low, overdue_low, high_soon_due, overdue_older], NOW
    )
    assert [case.id for case in ordered] == [2, 1, 3, 5, 4, 6, 7]


def test_waiting_and_finished_cases_are_never_overdue():
    assert is_overdue(make_case(1, due_in_hours=-1), NOW)
    assert not is_overdue(make_case(2, status="waiting", due_in_hours=-1), NOW)
    assert not is_overdue(make_case(3, status="resolved", due_in_hours=-1), NOW)
    assert not is_overdue(make_case(4, due_in_hours=None), NOW)


# --- kinds ------------------------------------------------------------------------------------------------


def test_every_kind_of_the_design_is_in_one_group():
    assert len(kinds.KINDS) == len(set(kinds.KINDS)) == 28
    assert kinds.GROUP_OF_KIND["lost"] == "delivery"
    assert kinds.GROUP_OF_KIND["bulk_unpaid"] == "payment"
    assert kinds.GROUP_OF_KIND["urgent_order"] == "urgent"
    assert set(kinds.KIND_LABELS_ZH) == set(kinds.KINDS)
    assert kinds.KIND_LABELS_ZH["damaged"] == "破损"


def test_unknown_values_are_refused_naming_the_field_and_the_choices():
    with pytest.raises(ValidationError) as caught:
        kinds.check_kind("stolen")
    assert caught.value.field == "kind"
    assert "unknown kind 'stolen'" in caught.value.detail and "lost" in caught.value.detail
    for check, field in ((kinds.check_party, "party"), (kinds.check_department, "department"),
                         (kinds.check_remedy_type, "type"), (kinds.check_channel, "channel"),
                         (kinds.check_direction, "direction")):
        with pytest.raises(ValidationError) as caught:
            check("nonsense")
        assert caught.value.field == field
    for level in (0, 4, "2"):
        with pytest.raises(ValidationError, match="level must be 1, 2 or 3"):
            kinds.check_level(level)
    assert kinds.check_level(3) == 3
