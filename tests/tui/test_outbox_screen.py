"""The outbox in the terminal UI: the queue's status line counts failed messages and says so once
when one fails; `O` lists the outbox (failed first), `r` sends one again, `x` cancels one; the case
timeline shows a hook that failed."""

from __future__ import annotations

import pytest
from queue_world import ME, FakeClock, queue_settings, screen_text, settle

from shopdesk.domain.cases import Customer
from shopdesk.domain.outbound import Outcome
from shopdesk.services import Services
from shopdesk.tui.app import ShopdeskApp
from shopdesk.tui.screens.outbox import OutboxScreen
from shopdesk.tui.screens.queue import QueueScreen


@pytest.fixture
def services(store):
    return Services(store, queue_settings(), clock=FakeClock())


async def fail_one(services: Services) -> None:
    """The sender's verdict on the oldest pending message: failed for good."""
    [message] = await services.outbound.claim(1)
    await services.outbound.record([(message, Outcome(ok=False, permanent=True,
                                                      answer="HTTP 404 no such hook"))])


async def test_failures_are_counted_listed_retried_and_cancelled(services):
    actor = services.actor(ME)
    await services.outbound.add_hook(actor, "plugin", "http://127.0.0.1:9/hook")
    for title in ("Parcel one", "Parcel two"):
        await services.cases.open(actor, kind="lost", title=title,
                                  customer=Customer(name="Wang Fang"))
    app = ShopdeskApp(services, operator=ME, lang="en")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        assert "not sent" not in screen_text(app)
        await fail_one(services)
        await settle(pilot, 0.3)
        assert "1 not sent (O)" in screen_text(app)
        assert any("could not be sent" in n.message for n in app._notifications)
        await pilot.press("O")
        await settle(pilot)
        assert isinstance(app.screen, OutboxScreen)
        text = screen_text(app)
        assert "FAILED" in text and "HTTP 404 no such" in text and "pending" in text
        assert text.index("FAILED") < text.index("pending")  # failed first
        await pilot.press("r")
        await settle(pilot, 0.3)
        assert await services.outbound.failed_count() == 0
        assert "FAILED" not in screen_text(app)
        await pilot.press("x")
        await settle(pilot, 0.3)
        statuses = sorted(m.status for m in await services.outbound.list())
        assert statuses == ["cancelled", "pending"]
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert "not sent" not in screen_text(app)


async def test_the_case_timeline_shows_a_failed_hook(services):
    actor = services.actor(ME)
    await services.outbound.add_hook(actor, "ops-chat", "http://127.0.0.1:9/hook", format="slack")
    case, _ = await services.cases.open(actor, kind="lost", title="Parcel")
    await fail_one(services)
    app = ShopdeskApp(services, operator=ME, lang="en")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        app.screen.open_case_ref(case.ref)
        await settle(pilot)
        text = screen_text(app)
        assert "Hook failed" in text and "ops-chat" in text and "HTTP 404" in text


async def test_the_case_screen_says_a_survey_is_the_customers_own_answer(services):
    from shopdesk.domain.surveys import survey_token

    actor = services.actor(ME)
    case, _ = await services.cases.open(actor, kind="lost", title="Parcel")
    await services.cases.triage(actor, case.ref)
    await services.cases.resolve(actor, case.ref, "found it")
    token = survey_token(await services.outbound.survey_key(), case.ref)
    await services.outbound.customer_survey(actor, case.ref, token=token, score=5)
    app = ShopdeskApp(services, operator=ME, lang="en")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        app.screen.open_case_ref(case.ref)
        await settle(pilot)
        assert "the customer's own answer" in screen_text(app)
