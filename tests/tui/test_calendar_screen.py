"""C: the business calendar by month, and a case's due time naming the holiday that pushed it."""

from __future__ import annotations

from datetime import UTC, datetime

from case_world import OPERATOR, FakeClock, case_app, services_for, settle, show_case

from shopdesk.domain.cases import Actor, Customer
from shopdesk.tui import i18n
from shopdesk.tui.app import ShopdeskApp
from shopdesk.tui.screens.calendar import CalendarScreen
from shopdesk.tui.screens.help import HelpScreen

SEPT_30_17H = datetime(2026, 9, 30, 9, 0, tzinfo=UTC)  # 17:00 in Shanghai


def shown(screen) -> str:
    widget = screen.query_one("#calendar-month")
    return "\n".join(line.text for line in widget.render_lines(widget.region.reset_offset))


async def china(services):
    await services.shop.set(Actor(name="lin", role="owner"), "calendar", "CN")


async def test_c_opens_the_month_with_holidays_and_make_up_days_marked(store):
    clock = FakeClock()
    clock.now = SEPT_30_17H
    services = services_for(store, clock)
    await china(services)
    app = ShopdeskApp(services, operator=OPERATOR, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("C")
        await settle(pilot)
        assert isinstance(app.screen, CalendarScreen)
        text = shown(app.screen)
        assert "Business calendar 2026-09 — CN" in text
        assert "20W" in text and "25H" in text  # make-up Sunday, Mid-Autumn Festival
        await pilot.press("right")
        await settle(pilot)
        text = shown(app.screen)
        assert "2026-10" in text and " 1H" in text and "10W" in text
        assert "National Day" in text and "make-up working day (调休)" in text
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, CalendarScreen)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)


async def test_the_month_in_chinese_and_a_year_not_covered_warned(store):
    i18n.set_language("zh")
    clock = FakeClock()
    clock.now = datetime(2027, 1, 5, 2, 0, tzinfo=UTC)
    services = services_for(store, clock)
    await china(services)
    app = ShopdeskApp(services, operator=OPERATOR, lang="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await app.push_screen(CalendarScreen(services))
        await settle(pilot)
        text = shown(app.screen)
        assert "营业日历 2027-01" in text and "2027" in text and "holidays 库尚无" in text


async def test_a_case_due_after_national_day_says_so(store):
    clock = FakeClock()
    clock.now = SEPT_30_17H
    services = services_for(store, clock)
    await china(services)
    case, _ = await services.cases.open(
        services.actor(OPERATOR), kind="lost", level=2, customer=Customer(name="张伟"))
    app = case_app(services, case.ref)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await show_case(pilot)
        clocks = screen.query_one("#case-clocks")
        text = "\n".join(line.text for line in clocks.render_lines(clocks.region.reset_offset))
        assert "due 10-08 12:00 — after National Day" in text
        assert "due 10-10 17:00 — after National Day" in text


async def test_a_setting_changed_by_another_process_reaches_the_open_calendar(tmp_path):
    """`shopdesk config set holidays …` in another terminal: the running TUI says so and the open
    month shows the new holiday, without a restart."""
    from case_world import notifications

    from shopdesk.store import open_store

    path = tmp_path / "shared.db"
    clock = FakeClock()
    clock.now = SEPT_30_17H
    async with open_store(path) as tui_store, open_store(path) as cli_store:
        services = services_for(tui_store, clock)
        app = ShopdeskApp(services, operator=OPERATOR, lang="en", poll_seconds=0.05)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("C")
            await settle(pilot)
            assert "16H" not in shown(app.screen)
            other = services_for(cli_store, clock)
            await other.shop.set(Actor(name="lin", role="owner"), "holidays", ["2026-09-16"])
            for _ in range(400):  # the poll notices within a few of its 50 ms turns
                await pilot.pause(0.05)
                if "16H" in shown(app.screen):
                    break
            assert "16H" in shown(app.screen)
            assert "The shop's settings changed: now in use" in notifications(app)
