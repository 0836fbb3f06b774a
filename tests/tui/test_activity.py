"""Nothing changes silently: what the desk itself changes (the sweep's escalations, cases opened
by intake or detection, failures to send) raises a notice, and `L` lists every change by others
since you last looked; the mark is kept per operator for the next session."""

from __future__ import annotations

import pytest
from case_world import (
    OPERATOR,
    SUPERVISOR,
    FakeClock,
    case_app,
    open_case,
    seated,
    services_for,
    settle,
    working_case,
)

from shopdesk.domain.cases import Actor
from shopdesk.tui.screens.activity import ActivityScreen
from shopdesk.tui.screens.case import CaseScreen

SWEEP = Actor("shopdesk", "owner")  # the sweep escalates breached cases as the desk itself


@pytest.fixture
async def services(store):
    return await seated(services_for(store, FakeClock()))


async def wait_for(pilot, condition, tries: int = 200) -> None:
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.02)
    assert condition()


async def test_an_escalation_by_the_sweep_raises_a_notice(services):
    case = await working_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await settle(pilot)
        assert app.activity_notices == []  # the first session: nothing to catch up on
        await services.cases.escalate(SWEEP, case.ref, "SLA breached")
        await wait_for(pilot, lambda: app.activity_notices)
        assert app.activity_notices == ["Changed by the desk: 1 Escalated (H: activity)"]
        # an operator's own or a colleague's edit is in the list, not a toast
        await services.cases.add_note(services.actor(SUPERVISOR), case.ref, "on it")
        await settle(pilot)
        assert len(app.activity_notices) == 1


async def test_the_activity_lists_changes_since_you_looked_and_opens_the_case(services):
    case = await working_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await services.cases.escalate(SWEEP, case.ref, "SLA breached")
        await services.cases.add_note(services.actor(SUPERVISOR), case.ref, "called the carrier")
        await services.cases.add_note(services.actor(OPERATOR), case.ref, "my own note")
        await settle(pilot)
        await pilot.press("H")
        await wait_for(pilot, lambda: isinstance(app.screen, ActivityScreen))
        screen = app.screen
        assert [event.type for event in screen.events] == ["note", "escalated"]  # not mine
        assert "2 change(s) by others since you last looked" in screen.since_text
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CaseScreen))
        assert app.screen.ref == case.ref
    # the mark is kept: the next session starts after these
    assert await services.activity.seen(OPERATOR) == await services.activity.latest()


async def test_the_next_session_is_told_what_the_desk_did_meanwhile(services):
    case = await open_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
    for _ in range(3):
        other = await open_case(services, number=f"2{_}")
        await services.cases.escalate(SWEEP, other.ref, "SLA breached")
    app = case_app(services, case.ref)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await wait_for(pilot, lambda: app.activity_notices)
        assert "3 Escalated" in app.activity_notices[0] and "3 Opened" in app.activity_notices[0]
