"""Every case action key, driven with the keyboard on a case screen: the store changes as the form
said, and a refusal (wrong move, missing role, stale version, empty reason) changes nothing, keeps
what was typed and says why."""

from __future__ import annotations

from datetime import timedelta


from shopdesk.domain.cases import Actor
from shopdesk.store import open_store
from shopdesk.tui.action_runner import parse_follow_up, run_action
from shopdesk.tui.modals.confirm import ConfirmModal
from shopdesk.tui.modals.forms import FormModal
from shopdesk.tui.screens.case import CaseScreen
from shopdesk.tui.screens.queue import QueueScreen

from case_world import (
    seated,
    NOW,
    OPERATOR,
    SUPERVISOR,
    FakeClock,
    case_app,
    choose,
    field_error,
    fill,
    focus_field,
    notifications,
    open_case,
    services_for,
    settle,
    show_case,
    type_text,
    working_case,
)


async def opened(pilot):
    """Open the case screen on the app and wait until it has loaded its case."""
    screen = await show_case(pilot)
    assert screen.case is not None
    return screen


def form(app) -> FormModal:
    assert isinstance(app.screen, FormModal), f"expected a form, the screen is {app.screen}"
    return app.screen


async def test_triage_grades_a_new_case_and_records_responsibility(services):
    case = await open_case(services, level=1)
    app = case_app(services, case.ref)
    async with app.run_test(size=(100, 32)) as pilot:
        await opened(pilot)
        await pilot.press("t")
        await settle(pilot)
        form(app)
        await choose(pilot, "kind", "lost")
        await choose(pilot, "level", "L3")
        await choose(pilot, "urgent", "yes")
        await choose(pilot, "party", "carrier")
        await choose(pilot, "department", "logistics")
        await fill(pilot, "root_cause", "parcel lost at the hub")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        assert f"{case.ref} triaged" in notifications(app)
    detail = await services.cases.detail(case.ref)
    assert (detail.case.kind, detail.case.level, detail.case.urgent) == ("lost", 3, True)
    assert detail.case.status == "open"
    assert detail.case.responsible_party == "carrier"
    assert detail.case.responsible_department == "logistics"
    assert detail.case.root_cause == "parcel lost at the hub"
    assert [event.type for event in detail.events][-2:] == ["triaged", "responsibility"]


async def test_take_by_default_and_assign_to_someone_else(services):
    case = await open_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(100, 32)) as pilot:
        await opened(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert form(app).values()["assignee"] == OPERATOR
        await pilot.press("enter")  # one field: enter submits, and takes the case
        await settle(pilot)
        assert (await services.cases.get(case.ref)).assignee == OPERATOR
        await pilot.press("a")
        await settle(pilot)
        await fill(pilot, "assignee", SUPERVISOR)
        await pilot.press("enter")
        await settle(pilot)
    assert (await services.cases.get(case.ref)).assignee == SUPERVISOR


async def test_note_keeps_several_lines(services):
    case = await open_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(100, 32)) as pilot:
        await opened(pilot)
        await pilot.press("n")
        await settle(pilot)
        await type_text(pilot, "called the hub")
        await pilot.press("enter")
        await type_text(pilot, "they will check")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
    events = (await services.cases.detail(case.ref)).events
    assert events[-1].type == "note"
    assert events[-1].data["text"] == "called the hub\nthey will check"


async def test_empty_note_is_refused_under_the_field(services):
    case = await open_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(100, 32)) as pilot:
        await opened(pilot)
        await pilot.press("n", "ctrl+s")
        await settle(pilot)
        assert "note's text is required" in field_error(app, "text")
        assert notifications(app, "error")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
    assert [event.type for event in (await services.cases.detail(case.ref)).events] == ["opened"]


async def test_contact_with_a_template_preview_and_follow_up(services):
    case = await open_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(100, 40)) as pilot:
        await opened(pilot)
        await pilot.press("c")
        await settle(pilot)
        modal = form(app)
        preview = str(modal.query_one("#field-preview").content)
        assert "Choose a template" in preview
        await choose(pilot, "template", "Delay")
        assert modal.values()["lang"] == "zh"  # 张伟: Chinese by default
        assert "亲爱的张伟" in str(modal.query_one("#field-preview").content)
        await choose(pilot, "lang", "English")
        await pilot.pause()
        preview = str(modal.query_one("#field-preview").content)
        assert "Dear 张伟" in preview
        assert "1001" in preview and "SF Express" in preview and "SF1234567890" in preview
        assert "Teahouse" in preview
        assert modal.values()["summary"] == "Sent: Delay notice"
        await choose(pilot, "channel", "SMS")
        await fill(pilot, "follow_up", "2h")
        await pilot.press("enter")  # enter on the last field submits
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
    detail = await services.cases.detail(case.ref)
    contact = detail.contacts[-1]
    assert (contact.channel, contact.direction, contact.template) == ("sms", "outbound", "delay_notice")
    assert contact.summary == "Sent: Delay notice"
    assert contact.next_follow_up_at == NOW + timedelta(hours=3)  # 2 business hours: lunch 12-13
    assert detail.case.first_response_at == NOW


async def test_contact_with_an_unreadable_follow_up_keeps_the_form(services):
    case = await open_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(100, 40)) as pilot:
        await opened(pilot)
        await pilot.press("c")
        await settle(pilot)
        await fill(pilot, "summary", "left a voicemail")
        await fill(pilot, "follow_up", "tomorrow-ish")
        await pilot.press("enter")
        await settle(pilot)
        assert "is not a time" in field_error(app, "follow_up")
        assert form(app).values()["summary"] == "left a voicemail"
        await fill(pilot, "follow_up", "09:00")  # today, but already past (it is 10:30)
        await pilot.press("enter")
        await settle(pilot)
        assert "in the past" in field_error(app, "follow_up")
    assert (await services.cases.detail(case.ref)).contacts == []


def test_follow_up_times_are_read_in_the_shop_zone():
    from zoneinfo import ZoneInfo

    from shopdesk.domain.sla import BusinessCalendar

    zone = ZoneInfo("Asia/Shanghai")
    calendar = BusinessCalendar(tz="Asia/Shanghai")  # Mon-Fri 09-12, 13-18; NOW is Mon 10:30
    assert parse_follow_up("", NOW, calendar) is None
    assert parse_follow_up("30m", NOW, calendar) == NOW + timedelta(minutes=30)
    assert parse_follow_up("1d", NOW, calendar) == NOW + timedelta(days=1)  # one business day
    assert parse_follow_up("2h", NOW, calendar) == NOW + timedelta(hours=3)  # over lunch
    assert parse_follow_up("15:00", NOW, calendar) == NOW + timedelta(hours=4, minutes=30)
    assert parse_follow_up("11-24 09:00", NOW, calendar).astimezone(zone).day == 24


async def test_remedy_in_major_units_within_the_operators_limit_is_approved(services):
    case = await open_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(100, 32)) as pilot:
        await opened(pilot)
        await pilot.press("m")
        await settle(pilot)
        await choose(pilot, "type", "partial")
        await fill(pilot, "amount", "12.5")
        await fill(pilot, "note", "for the wait")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        assert any("approved" in message for message in notifications(app))
    [remedy] = (await services.cases.detail(case.ref)).remedies
    assert (remedy.type, remedy.amount_minor, remedy.currency) == ("refund_partial", 1250, "CNY")
    assert remedy.status == "approved"
    assert remedy.note == "for the wait"


async def test_a_remedy_only_the_owner_may_approve_says_so(services):
    case = await open_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(100, 32)) as pilot:
        await opened(pilot)
        await pilot.press("m")
        await settle(pilot)
        await choose(pilot, "type", "coupon")
        await fill(pilot, "amount", "5")
        await fill(pilot, "currency", "USD")  # limits are in the shop's CNY: the owner decides
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any("awaits the owner's approval" in message for message in notifications(app))
    [remedy] = (await services.cases.detail(case.ref)).remedies
    assert (remedy.status, remedy.currency) == ("proposed", "USD")


async def test_remedy_with_a_bad_amount_keeps_the_form_and_stores_nothing(services):
    case = await open_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(100, 32)) as pilot:
        await opened(pilot)
        await pilot.press("m")
        await settle(pilot)
        await fill(pilot, "amount", "12.345")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "at most 2 decimals" in field_error(app, "amount")
        assert form(app).values()["amount"] == "12.345"
        await fill(pilot, "amount", "")
        await pilot.press("ctrl+s")  # a partial refund needs an amount: the service says so
        await settle(pilot)
        assert "needs an amount" in field_error(app, "amount")
    assert (await services.cases.detail(case.ref)).remedies == []


async def test_approve_as_an_operator_is_refused_and_changes_nothing(services):
    case = await open_case(services)
    await services.cases.propose_remedy(
        services.actor(OPERATOR), case.ref, type="refund_full", amount_minor=49400
    )
    app = case_app(services, case.ref)
    async with app.run_test(size=(100, 32)) as pilot:
        await opened(pilot)
        await pilot.press("A")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)  # no form she could not submit
        [error] = notifications(app, "error")
        assert "deciding a remedy needs a supervisor" in error and ": e" in error
    [remedy] = (await services.cases.detail(case.ref)).remedies
    assert remedy.status == "proposed"


async def test_supervisor_approves_rejects_and_marks_done(services):
    case = await open_case(services)
    olga = services.actor(OPERATOR)
    big = await services.cases.propose_remedy(olga, case.ref, type="refund_full", amount_minor=49400)
    other = await open_case(services, number="1002")
    elsewhere = await services.cases.propose_remedy(olga, other.ref, type="cashback",
                                                    amount_minor=30000)
    app = case_app(services, case.ref, operator=SUPERVISOR)
    async with app.run_test(size=(100, 32)) as pilot:
        await opened(pilot)
        await pilot.press("A")
        await settle(pilot)
        await pilot.press("ctrl+s")  # approve is the default for a proposed remedy
        await settle(pilot)
        assert (await services.cases.detail(case.ref)).remedies[0].status == "approved"
        await pilot.press("A")
        await settle(pilot)
        assert form(app).values()["decision"] == "done"  # approved: the next step is doing it
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert (await services.cases.detail(case.ref)).remedies[0].status == "done"
        # Nothing left on this case: the form offers every case's remedies awaiting approval.
        await pilot.press("A")
        await settle(pilot)
        assert form(app).values()["remedy"] == str(elsewhere.id)
        await choose(pilot, "decision", "reject")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "reason to reject is required" in field_error(app, "reason")
        await fill(pilot, "reason", "over budget")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
    assert big.id != elsewhere.id
    [rejected] = (await services.cases.detail(other.ref)).remedies
    assert rejected.status == "rejected"


async def test_approve_with_nothing_pending_says_so(services):
    case = await open_case(services)
    app = case_app(services, case.ref, operator=SUPERVISOR)
    async with app.run_test(size=(100, 32)) as pilot:
        await opened(pilot)
        await pilot.press("A")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        assert "No remedy awaits a decision" in notifications(app, "warning")


async def test_wait_pauses_and_w_again_resumes(services):
    case = await working_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(100, 32)) as pilot:
        await opened(pilot)
        await pilot.press("w")
        await settle(pilot)
        await choose(pilot, "on", "carrier")
        await fill(pilot, "note", "asked SF")
        await pilot.press("enter")
        await settle(pilot)
        waiting = await services.cases.get(case.ref)
        assert waiting.status == "waiting" and waiting.due_at is None
        await pilot.press("w")
        await settle(pilot)
        assert "Resume" in form(app).form_title
        await pilot.press("enter")
        await settle(pilot)
    assert (await services.cases.get(case.ref)).status == "open"
    events = (await services.cases.detail(case.ref)).events
    assert [event.type for event in events][-2:] == ["wait", "resume"]
    assert events[-2].data["on"] == "carrier"


async def test_escalate_with_an_empty_reason_keeps_the_form_open(services):
    case = await working_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(100, 32)) as pilot:
        await opened(pilot)
        await pilot.press("e", "enter")
        await settle(pilot)
        assert "reason to escalate is required" in field_error(app, "reason")
        assert isinstance(app.screen, FormModal)
        assert (await services.cases.get(case.ref)).status == "open"
        await type_text(pilot, "customer threatens a chargeback")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
    escalated = await services.cases.get(case.ref)
    assert (escalated.status, escalated.tier) == ("escalated", "supervisor")


async def test_resolve_a_new_case_is_refused_before_a_form_opens(services):
    case = await open_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(100, 32)) as pilot:
        await opened(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        [error] = notifications(app, "error")
        assert "Resolve: not allowed while the case is new" in error
    assert (await services.cases.get(case.ref)).status == "new"


async def test_resolve_close_with_survey_and_reopen(services):
    case = await open_case(services)
    olga = services.actor(OPERATOR)
    await services.cases.triage(olga, case.ref)
    app = case_app(services, case.ref)
    async with app.run_test(size=(100, 32)) as pilot:
        await opened(pilot)
        await pilot.press("r")
        await settle(pilot)
        await type_text(pilot, "parcel found and delivered")
        await pilot.press("ctrl+s")  # the form also offers the survey: ctrl+s saves it
        await settle(pilot)
        assert (await services.cases.get(case.ref)).status == "resolved"
        await pilot.press("x")
        await settle(pilot)
        await choose(pilot, "score", "4")
        await fill(pilot, "comment", "quick help")
        await pilot.press("enter")
        await settle(pilot)
        detail = await services.cases.detail(case.ref)
        assert detail.case.status == "closed"
        assert (detail.survey.score, detail.survey.comment) == (4, "quick help")
        await pilot.press("o")
        await settle(pilot)
        await type_text(pilot, "parcel was empty")
        await pilot.press("enter")
        await settle(pilot)
    reopened = await services.cases.get(case.ref)
    assert reopened.status == "open" and reopened.resolved_at is None


async def test_close_without_a_survey(services):
    case = await open_case(services)
    olga = services.actor(OPERATOR)
    await services.cases.triage(olga, case.ref)
    await services.cases.resolve(olga, case.ref, "done")
    app = case_app(services, case.ref)
    async with app.run_test(size=(100, 32)) as pilot:
        await opened(pilot)
        await pilot.press("x", "ctrl+s")
        await settle(pilot)
    detail = await services.cases.detail(case.ref)
    assert detail.case.status == "closed" and detail.survey is None


async def test_reopen_on_an_escalated_case_is_the_supervisors_decision(services):
    case = await working_case(services)
    await services.cases.escalate(services.actor(OPERATOR), case.ref, "needs a decision")
    app = case_app(services, case.ref, operator=SUPERVISOR)
    async with app.run_test(size=(100, 32)) as pilot:
        await opened(pilot)
        await pilot.press("o")
        await settle(pilot)
        await type_text(pilot, "reship at our cost")
        await pilot.press("enter")
        await settle(pilot)
    detail = await services.cases.detail(case.ref)
    assert detail.case.status == "open"
    assert detail.events[-1].type == "decided"
    assert detail.events[-1].data["decision"] == "reship at our cost"


async def test_void_asks_for_confirmation(services):
    case = await open_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(100, 32)) as pilot:
        await opened(pilot)
        await pilot.press("v")
        await settle(pilot)
        await type_text(pilot, "duplicate of C-000009")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, FormModal)  # declined: the form and its text stay
        assert (await services.cases.get(case.ref)).status == "new"
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("enter")  # enter does not confirm something final
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
    voided = await services.cases.detail(case.ref)
    assert voided.case.status == "void"
    assert voided.events[-1].data["reason"] == "duplicate of C-000009"


async def test_urgent_toggles_without_a_form(services):
    case = await open_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(100, 32)) as pilot:
        await opened(pilot)
        await pilot.press("u")
        await settle(pilot)
        assert (await services.cases.get(case.ref)).urgent is True
        assert "URGENT" in str(app.screen.query_one("#case-header").content)
        await pilot.press("u")
        await settle(pilot)
    assert (await services.cases.get(case.ref)).urgent is False


async def test_urgent_on_a_closed_case_is_refused(services):
    case = await open_case(services)
    await services.cases.void(services.actor(OPERATOR), case.ref, "mistake")
    app = case_app(services, case.ref)
    async with app.run_test(size=(100, 32)) as pilot:
        await opened(pilot)
        await pilot.press("u")
        await settle(pilot)
        assert notifications(app, "error") == [
            "Urgent: not allowed while the case is void; allowed here: nothing, the case is final"
        ]
    assert (await services.cases.get(case.ref)).urgent is False


async def test_stale_version_is_refused_then_applies_on_the_second_save(services):
    case = await working_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(100, 32)) as pilot:
        await opened(pilot)
        await pilot.press("e")
        await settle(pilot)
        await type_text(pilot, "customer angry")
        # Another operator changes the case while the form is open.
        await services.cases.add_note(Actor("wang.fang", "operator"), case.ref, "called back")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, FormModal)
        [error] = notifications(app, "error")
        assert "changed by wang.fang" in error
        assert form(app).values()["reason"] == "customer angry"
        assert (await services.cases.get(case.ref)).status == "open"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
    assert (await services.cases.get(case.ref)).status == "escalated"


async def test_escape_cancels_a_form_without_a_change(services):
    case = await open_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(100, 32)) as pilot:
        await opened(pilot)
        await pilot.press("e")
        await settle(pilot)
        await type_text(pilot, "never mind")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
    assert (await services.cases.get(case.ref)).status == "new"


async def test_an_action_without_a_case_says_so(services):
    case = await open_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await opened(pilot)
        await run_action(screen, "resolve", None)
        await pilot.pause()
        assert "No case selected" in notifications(app, "warning")
        assert isinstance(app.screen, CaseScreen)


async def test_forms_fit_and_work_at_80x24(services):
    case = await open_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        await pilot.press("c")
        await settle(pilot)
        await choose(pilot, "template", "Apology")
        modal = form(app)
        for name in ("template", "lang", "channel", "direction", "summary", "follow_up"):
            widget = await focus_field(pilot, name)
            assert widget.region.height >= 1 and widget.region.bottom <= 24, name
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
    assert (await services.cases.detail(case.ref)).contacts[-1].template == "apology"
    assert modal is not None


async def test_from_the_queue_keys_act_on_the_highlighted_case_and_enter_opens_it(services):
    case = await open_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("u")
        await settle(pilot)
        assert (await services.cases.get(case.ref)).urgent is True
        await pilot.press("e")
        await settle(pilot)
        await type_text(pilot, "VIP customer")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert (await services.cases.get(case.ref)).status == "escalated"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen) and app.screen.ref == case.ref
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)


async def test_on_the_demo_store_the_first_queued_case_takes_a_note_and_a_contact(tmp_path):
    from shopdesk.services.demo import fill_demo

    async with open_store(tmp_path / "demo.db") as store:
        await fill_demo(store, services_for(store).settings, cases=40, seed=3, now=NOW)
        services = services_for(store, FakeClock())
        [first] = await services.cases.list(limit=1)
        app = case_app(services, first.ref)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("enter")  # the queue's first row
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, CaseScreen)
            before = await services.cases.detail(screen.ref)
            await pilot.press("n")
            await settle(pilot)
            await type_text(pilot, "checked on the demo")
            await pilot.press("ctrl+s")
            await settle(pilot)
            await pilot.press("c")
            await settle(pilot)
            await choose(pilot, "template", "Apology")
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, CaseScreen)
        after = await services.cases.detail(screen.ref)
    assert [event.type for event in after.events[len(before.events):]] == ["note", "contact"]
    assert after.contacts[-1].template == "apology"


async def test_an_unexpected_failure_keeps_the_form_and_says_so(services, monkeypatch):
    case = await open_case(services)

    async def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services.cases, "escalate", broken)
    app = case_app(services, case.ref)
    async with app.run_test(size=(100, 32)) as pilot:
        await opened(pilot)
        await pilot.press("e")
        await settle(pilot)
        await type_text(pilot, "VIP")
        await pilot.press("enter")
        await settle(pilot)
        assert form(app).values()["reason"] == "VIP"
        assert any("disk on fire" in message for message in notifications(app, "error"))
