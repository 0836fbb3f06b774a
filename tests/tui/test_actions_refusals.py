"""A key the case's status does not allow is refused at once, before any form opens, and the
refusal names the keys that are allowed (t Triage, o Decide …), not the workflow's internal move
names. The decision is the domain's (workflow.may); the service still refuses at save."""

from __future__ import annotations

import pytest
from case_world import (
    seated,
    OPERATOR,
    SUPERVISOR,
    case_app,
    notifications,
    open_case,
    settle,
    show_case,
    type_text,
    working_case,
)

from shopdesk.domain import workflow
from shopdesk.domain.cases import Actor
from shopdesk.domain.errors import ShopdeskError, TransitionError
from shopdesk.tui import i18n
from shopdesk.tui.action_runner import check_allowed
from shopdesk.tui.actions import ACTIONS, ACTIONS_BY_ID, ACTIONS_BY_MOVE
from shopdesk.tui.modals.forms import FormModal
from shopdesk.tui.screens.case import CaseScreen

WAIT_REFUSED = (
    "Wait: not allowed while the case is escalated; "
    "allowed here: e Escalate, o Decide, r Resolve, v Void"
)


async def escalated(services):
    case = await working_case(services)
    return await services.cases.escalate(services.actor(OPERATOR), case.ref, "needs a decision")


async def press_on_case(app, pilot, key: str) -> None:
    await show_case(pilot)
    await pilot.press(key)
    await settle(pilot)


async def test_wait_on_an_escalated_case_is_refused_before_a_form_opens(services):
    case = await escalated(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(80, 24)) as pilot:
        await press_on_case(app, pilot, "w")
        assert isinstance(app.screen, CaseScreen)  # no form to fill in for nothing
        assert notifications(app, "error") == [WAIT_REFUSED]
    assert (await services.cases.get(case.ref)).status == "escalated"


@pytest.mark.parametrize("key", ["r", "v", "o"])
async def test_an_operator_deciding_an_escalated_case_is_refused_before_a_form_opens(services, key):
    case = await escalated(services)
    app = case_app(services, case.ref)  # olga, an operator; the case awaits a supervisor
    async with app.run_test(size=(80, 24)) as pilot:
        await press_on_case(app, pilot, key)
        assert isinstance(app.screen, CaseScreen)
        [error] = notifications(app, "error")
        assert "needs the role supervisor or above; your role is operator" in error
    assert (await services.cases.get(case.ref)).status == "escalated"


async def test_a_supervisor_gets_the_form_to_decide_an_escalated_case(services):
    case = await escalated(services)
    app = case_app(services, case.ref, operator=SUPERVISOR)
    async with app.run_test(size=(80, 24)) as pilot:
        await press_on_case(app, pilot, "r")
        assert isinstance(app.screen, FormModal)
        assert not notifications(app, "error")


async def test_resolve_on_a_new_case_names_triage_not_acknowledge(services):
    case = await open_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(80, 24)) as pilot:
        await press_on_case(app, pilot, "r")
        assert isinstance(app.screen, CaseScreen)
        [error] = notifications(app, "error")
        assert error == ("Resolve: not allowed while the case is new; "
                         "allowed here: t Triage, e Escalate, v Void")
        assert "acknowledge" not in error and "return" not in error


async def test_refusals_in_chinese_name_the_keys_in_chinese(services):
    i18n.set_language("zh")
    case = await escalated(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(80, 24)) as pilot:
        await press_on_case(app, pilot, "w")
        assert notifications(app, "error") == [
            "等待：处理单已上报时不可用；此处可用：e 上报、o 决定、r 解决、v 作废"
        ]


async def test_a_key_without_a_form_on_a_final_case_is_refused_with_the_keys(services):
    case = await open_case(services)
    await services.cases.void(services.actor(OPERATOR), case.ref, "duplicate")
    app = case_app(services, case.ref)
    async with app.run_test(size=(80, 24)) as pilot:
        await press_on_case(app, pilot, "u")
        assert notifications(app, "error") == [
            "Urgent: not allowed while the case is void; allowed here: nothing, the case is final"
        ]
    assert (await services.cases.get(case.ref)).urgent is False


async def test_the_survey_key_still_opens_on_a_closed_case(services):
    case = await open_case(services)
    olga = services.actor(OPERATOR)
    await services.cases.triage(olga, case.ref)
    await services.cases.resolve(olga, case.ref, "done")
    await services.cases.close(olga, case.ref)
    app = case_app(services, case.ref)
    async with app.run_test(size=(80, 24)) as pilot:
        await press_on_case(app, pilot, "x")
        assert isinstance(app.screen, FormModal)
        assert not notifications(app, "error")


async def test_a_refusal_judges_the_case_as_it_is_now_not_the_row_on_screen(services):
    case = await open_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await show_case(pilot)
        # Someone triages it in another window; this screen still holds it as new.
        await services.cases.triage(Actor("wang.fang", "operator"), case.ref)
        assert screen.case.status == "new"
        from shopdesk.tui.action_runner import run_action

        await run_action(screen, "resolve", screen.case)
        await settle(pilot)
        assert isinstance(app.screen, FormModal)
        assert not notifications(app, "error")


async def test_a_case_that_moved_on_while_the_form_was_open_is_refused_at_save(services):
    case = await working_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(80, 24)) as pilot:
        await press_on_case(app, pilot, "w")
        assert isinstance(app.screen, FormModal)
        await services.cases.escalate(Actor("wang.fang", "operator"), case.ref, "angry customer")
        await pilot.press("tab")
        await type_text(pilot, "asked SF")
        await pilot.press("ctrl+s")
        await settle(pilot)
        [stale] = notifications(app, "error")
        assert "changed by wang.fang" in stale
        await pilot.press("ctrl+s")  # applied to the case as it now is: the move is refused
        await settle(pilot)
        assert isinstance(app.screen, FormModal)
        assert notifications(app, "error")[-1] == WAIT_REFUSED
        assert app.screen.values()["note"] == "asked SF"
    assert (await services.cases.get(case.ref)).status == "escalated"


def test_every_workflow_move_has_one_key_and_every_key_move_is_the_domains():
    for move in workflow.TRANSITIONS:
        assert move in ACTIONS_BY_MOVE, move
    for spec in ACTIONS:
        for move in spec.moves:
            assert move in workflow.TRANSITIONS or move in workflow.EDITS, (spec.id, move)


# --- the domain's answer agrees with the service's, for every key and every status -----------------


BOSS = Actor("boss", "owner")


async def case_in(services, status: str):
    """A fresh case (no order, no remedy) brought to `status` through the services."""
    case = await open_case(services, with_order=False)
    cases, ref = services.cases, case.ref
    if status == "new":
        return case
    if status == "void":
        return await cases.void(BOSS, ref, "mistake")
    case = await cases.triage(BOSS, ref)
    if status == "waiting":
        return await cases.wait(BOSS, ref, on="carrier")
    if status == "escalated":
        return await cases.escalate(BOSS, ref, "decide")
    if status in ("resolved", "closed"):
        case = await cases.resolve(BOSS, ref, "done")
        if status == "closed":
            case = await cases.close(BOSS, ref)
    return case


def service_calls(services, action_id: str, status: str):
    cases = services.cases
    return {
        "triage": lambda ref: cases.triage(BOSS, ref),
        "assign": lambda ref: cases.assign(BOSS, ref, SUPERVISOR),
        "note": lambda ref: cases.add_note(BOSS, ref, "a note"),
        "contact": lambda ref: cases.log_contact(BOSS, ref, channel="phone", summary="called"),
        "remedy": lambda ref: cases.propose_remedy(BOSS, ref, type="coupon", amount_minor=100),
        "wait": lambda ref: (cases.resume(BOSS, ref) if status == "waiting"
                             else cases.wait(BOSS, ref, on="carrier")),
        "escalate": lambda ref: cases.escalate(BOSS, ref, "why"),
        "resolve": lambda ref: cases.resolve(BOSS, ref, "done"),
        "close": lambda ref: (cases.record_survey(BOSS, ref, 5) if status in ("resolved", "closed")
                              else cases.close(BOSS, ref)),
        "reopen": lambda ref: (cases.return_to_operator(BOSS, ref, "go") if status == "escalated"
                               else cases.reopen(BOSS, ref, "again")),
        "void": lambda ref: cases.void(BOSS, ref, "mistake"),
        "urgent": lambda ref: cases.set_urgent(BOSS, ref, True),
    }[action_id]


@pytest.mark.parametrize("action_id", [spec.id for spec in ACTIONS if spec.moves])
async def test_the_tui_refuses_at_once_exactly_what_the_service_refuses(services, action_id):
    spec = ACTIONS_BY_ID[action_id]
    for status in workflow.STATUSES:
        case = await case_in(services, status)
        assert case.status == status
        try:
            check_allowed(spec, status)
            tui_allows = True
        except TransitionError:
            tui_allows = False
        try:
            await service_calls(services, action_id, status)(case.ref)
            service_allows = True
        except ShopdeskError as error:
            assert error.field == "status", error.detail  # only the status may refuse here
            service_allows = False
        assert tui_allows == service_allows, (action_id, status)
