"""Escalation tiers end with the escalation (N17): a case sent back to work or reopened starts again
at the operator's tier; the sweep escalates a breach once, not again after the decision."""

from __future__ import annotations

import pytest
from test_cases import (
    events,
    new_case,
    operator,
    owner,
    settings,
    shanghai,
    supervisor,
    world,
)

from shopdesk.domain.errors import PermissionDenied

__all__ = ["settings", "world"]  # fixtures, shared with test_cases


async def test_back_to_work_ends_the_escalation_and_the_next_goes_to_the_supervisor(world):
    services, _clock, _changes = world
    case = await new_case(services)
    await services.cases.triage(operator(services), case.ref)
    await services.cases.escalate(operator(services), case.ref, "customer wants a refund")
    returned = await services.cases.return_to_operator(supervisor(services), case.ref, "offer a coupon")
    assert (returned.status, returned.tier) == ("open", "operator")
    decided = (await events(services, case.ref))[-1]
    assert decided.type == "decided"
    assert decided.data["tier"] == {"from": "supervisor", "to": "operator"}
    again = await services.cases.escalate(operator(services), case.ref, "a new question")
    assert again.tier == "supervisor"  # not the owner: the supervisor answered the first one
    # and the supervisor decides it, as the first time
    assert (await services.cases.return_to_operator(
        supervisor(services), case.ref, "ok")).tier == "operator"


async def test_an_owner_escalation_sent_back_starts_from_the_operator_again(world):
    services, _clock, _changes = world
    case = await new_case(services)
    await services.cases.escalate(operator(services), case.ref, "refund")
    await services.cases.escalate(supervisor(services), case.ref, "above my limit")
    with pytest.raises(PermissionDenied):
        await services.cases.return_to_operator(supervisor(services), case.ref, "no")
    returned = await services.cases.return_to_operator(owner(services), case.ref, "refund it")
    assert returned.tier == "operator"
    assert (await services.cases.escalate(operator(services), case.ref, "again")).tier == "supervisor"


async def test_a_reopened_case_starts_at_the_operators_tier(world):
    services, _clock, _changes = world
    case = await new_case(services)
    await services.cases.escalate(operator(services), case.ref, "refund")
    await services.cases.resolve(supervisor(services), case.ref, "refunded")
    assert (await services.cases.get(case.ref)).tier == "supervisor"  # who decided it, on record
    reopened = await services.cases.reopen(operator(services), case.ref, "parcel still missing")
    assert (reopened.status, reopened.tier) == ("open", "operator")
    assert (await events(services, case.ref))[-1].data["tier"] == {"from": "supervisor", "to": "operator"}
    assert (await services.cases.escalate(operator(services), case.ref, "again")).tier == "supervisor"


async def test_a_case_returned_after_the_sweeps_escalation_is_not_escalated_again(world):
    services, clock, _changes = world
    case = await new_case(services, level=3)  # first response due 11:00
    clock.now = shanghai(23, 11, 30)
    assert (await services.cases.sweep())["escalated"] == 1
    await services.cases.return_to_operator(supervisor(services), case.ref, "call them now")
    clock.now = shanghai(23, 11, 40)
    assert (await services.cases.sweep())["escalated"] == 0  # same breach, already decided on
    current = await services.cases.get(case.ref)
    assert (current.status, current.tier) == ("open", "operator")
    # A new breach (the resolution clock, after the first response) goes up again.
    await services.cases.log_contact(operator(services), case.ref, channel="phone", summary="called")
    due = (await services.cases.get(case.ref)).due_at
    clock.now = due + (shanghai(23, 11, 40) - shanghai(23, 11, 30))
    assert (await services.cases.sweep())["escalated"] == 1
    assert (await services.cases.get(case.ref)).tier == "supervisor"
