"""Forms save what the fields show: ctrl+s right after fast typing or a paste (a terminal without
bracketed paste delivers a paste as a burst of keys) stores the whole text, in every form."""

from __future__ import annotations

import pytest
from case_world import (
    seated,
    OPERATOR,
    SUPERVISOR,
    FakeClock,
    case_app,
    field_error,
    focus_field,
    notifications,
    open_case,
    settle,
    show_case,
    working_case,
)
from textual import events
from textual.keys import _character_to_key

from shopdesk.store import open_store
from shopdesk.tui.modals.forms import FormModal
from shopdesk.tui.screens.case import CaseScreen

NOTE = "fast typist note: the customer asked twice about the parcel"


async def burst(pilot, text: str, *then: str) -> None:
    """`text` then `then` keys as one burst, the way a terminal delivers a paste or fast typing:
    every key is queued before the app handles the first (`pilot.press` waits between keys)."""
    app = pilot.app
    for key in [*text, *then]:
        name = key if len(key) > 1 or key.isalnum() else _character_to_key(key)
        event = events.Key(name, key if len(key) == 1 else None)
        event.set_sender(app)
        app._driver.send_message(event)


async def open_form(pilot, key: str) -> FormModal:
    await show_case(pilot)
    await pilot.press(key)
    await settle(pilot)
    assert isinstance(pilot.app.screen, FormModal), f"{key} opened {pilot.app.screen}"
    return pilot.app.screen


async def test_a_note_typed_fast_then_ctrl_s_is_saved_whole(services):
    case = await open_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_form(pilot, "n")
        await burst(pilot, NOTE, "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen), notifications(app, "error")
        assert not notifications(app, "error")
    events = (await services.cases.detail(case.ref)).events
    assert events[-1].type == "note" and events[-1].data["text"] == NOTE


# --- every form: (how to get the case there, operator, key, fields to prepare, the field the burst
# goes to, keys after the text, where the text must end up) ---------------------------------------


async def new_case(services):
    return await open_case(services)


async def open_one(services):
    return await working_case(services)


async def triaged_case(services):
    case = await open_case(services)
    return await services.cases.triage(services.actor(OPERATOR), case.ref)


async def waiting_case(services):
    case = await working_case(services)
    return await services.cases.wait(services.actor(OPERATOR), case.ref, on="carrier", note="")


async def escalated_case(services):
    case = await working_case(services)
    return await services.cases.escalate(services.actor(OPERATOR), case.ref, "needs a decision")


async def resolved_case(services):
    case = await triaged_case(services)
    return await services.cases.resolve(services.actor(OPERATOR), case.ref, "sorted")


async def closed_case(services):
    case = await resolved_case(services)
    return await services.cases.close(services.actor(OPERATOR), case.ref)


def last_event_has(event_type: str, key: str):
    def check(detail) -> None:
        event = detail.events[-1]
        assert (event.type, event.data[key]) == (event_type, NOTE)
    return check


def contact_summary(detail) -> None:
    assert detail.contacts[-1].summary == NOTE


def remedy_note(detail) -> None:
    remedy = detail.remedies[-1]
    assert (remedy.note, remedy.amount_minor) == (NOTE, 1250)


def rejected_reason(detail) -> None:
    remedy = detail.remedies[-1]
    assert remedy.status == "rejected"
    assert NOTE in str(detail.events[-1].data) or NOTE in str(remedy)


def root_cause(detail) -> None:
    assert detail.case.root_cause == NOTE


def survey_comment(detail) -> None:
    assert (detail.case.status, detail.survey.comment) == ("closed", NOTE)


FORMS = {
    "note": (new_case, OPERATOR, "n", [], "text", [], last_event_has("note", "text")),
    "contact": (new_case, OPERATOR, "c", [], "summary", [], contact_summary),
    "remedy": (new_case, OPERATOR, "m", [], "amount", [], remedy_note),
    "escalate": (open_one, OPERATOR, "e", [], "reason", [], last_event_has("escalated", "reason")),
    "resolve": (triaged_case, OPERATOR, "r", [], "summary", [], last_event_has("resolved", "summary")),
    "triage": (new_case, OPERATOR, "t", [("party", "carrier")], "root_cause", [], root_cause),
    "wait": (open_one, OPERATOR, "w", [], "note", [], last_event_has("wait", "note")),
    "resume": (waiting_case, OPERATOR, "w", [], "note", [], last_event_has("resume", "note")),
    "void": (new_case, OPERATOR, "v", [], "reason", ["y"], last_event_has("voided", "reason")),
    "survey": (resolved_case, OPERATOR, "x", [("score", "4")], "comment", [], survey_comment),
    "reopen": (closed_case, OPERATOR, "o", [], "reason", [], last_event_has("reopened", "reason")),
    "decide": (escalated_case, SUPERVISOR, "o", [], "decision", [],
               last_event_has("decided", "decision")),
    "reject": (open_one, SUPERVISOR, "A", [("decision", "reject")], "reason", [], rejected_reason),
}


@pytest.mark.parametrize("name", FORMS)
async def test_every_form_saves_a_burst_of_text_whole(services, name):
    from case_world import choose

    make, operator, key, choices, field, after, check = FORMS[name]
    case = await make(services)
    app = case_app(services, case.ref, operator=operator)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_form(pilot, key)
        for choice, search in choices:
            await choose(pilot, choice, search)
        await focus_field(pilot, field)
        if name == "remedy":  # the QA repro: amount, two tabs to the note, the note, ctrl+s
            await burst(pilot, "12.5", "tab", "tab", *NOTE, "ctrl+s")
        else:
            await burst(pilot, NOTE, "ctrl+s")
        for answer in after:  # a question (void): settle() would wait for the form's answer
            await pilot.pause()
            await pilot.press(answer)
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen), notifications(app, "error")
    check(await services.cases.detail(case.ref))


async def test_a_bracketed_paste_then_ctrl_s_is_saved_whole(services):
    case = await open_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_form(pilot, "n")
        paste = events.Paste(NOTE)
        paste.set_sender(app)
        app._driver.send_message(paste)
        await burst(pilot, "", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen), notifications(app, "error")
    assert (await services.cases.detail(case.ref)).events[-1].data["text"] == NOTE


# --- assign: the operators from the config, completed as you type; a typo is refused ---------------


async def assign_form(pilot, text: str) -> None:
    """Open the assign form, clear the name in it, type `text`."""
    await open_form(pilot, "a")
    field = await focus_field(pilot, "assignee")
    field.clear()
    await pilot.pause()
    await pilot.press(*text)
    await pilot.pause()


async def test_assign_to_a_name_no_operator_has_is_refused_under_the_field(services):
    case = await open_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(80, 24)) as pilot:
        await assign_form(pilot, "smа")  # a typo (the last letter is Cyrillic)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, FormModal)
        assert "not an operator" in field_error(app, "assignee")
        assert "olga, sam" in field_error(app, "assignee")  # the store's operators
        assert app.screen.values()["assignee"] == "smа"
        assert notifications(app, "error")
    assert (await services.cases.get(case.ref)).assignee is None


async def test_assign_completes_an_operators_name_from_the_config(services):
    case = await open_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(80, 24)) as pilot:
        await assign_form(pilot, "S")
        modal = app.screen
        assert SUPERVISOR in str(modal.query_one("#form-intro").content)  # the names are listed
        await pilot.press("right")  # takes the suggestion
        await pilot.pause()
        assert modal.values()["assignee"] == SUPERVISOR
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
    assert (await services.cases.get(case.ref)).assignee == SUPERVISOR


async def test_assign_ignores_case_and_stores_the_configs_spelling(services):
    case = await open_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(80, 24)) as pilot:
        await assign_form(pilot, "SAM")
        await pilot.press("enter")
        await settle(pilot)
    assert (await services.cases.get(case.ref)).assignee == SUPERVISOR


async def test_someone_who_is_no_operator_gets_no_form_and_is_told_how_to_join(services):
    case = await open_case(services)
    app = case_app(services, case.ref, operator="bob")  # an OS account mapped to no operator
    async with app.run_test(size=(80, 24)) as pilot:
        await show_case(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)  # no form to fill in for nothing
        [error] = notifications(app, "error")
        assert "you can read but not change anything" in error and "--unix-user bob" in error
    assert (await services.cases.get(case.ref)).assignee is None


async def test_without_operators_in_the_config_any_name_is_assigned(tmp_path):
    from shopdesk.config import Settings
    from shopdesk.services import Services

    async with open_store(tmp_path / "desk.db") as store:
        services = Services(store, Settings(), clock=FakeClock())
        case = await open_case(services)
        app = case_app(services, case.ref)
        async with app.run_test(size=(80, 24)) as pilot:
            await assign_form(pilot, "wang.fang")
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, CaseScreen), notifications(app, "error")
        assert (await services.cases.get(case.ref)).assignee == "wang.fang"


async def test_assign_a_burst_of_keys_then_ctrl_s(services):
    case = await open_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(80, 24)) as pilot:
        await assign_form(pilot, "")
        await burst(pilot, "olga", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen), notifications(app, "error")
    assert (await services.cases.get(case.ref)).assignee == OPERATOR
