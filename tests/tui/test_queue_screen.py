"""The queue screen driven with Pilot at 80x24 on a seeded store: tabs and counts, filter, sort,
paging, the cursor following its case, live updates, notifications and refusals."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from queue_world import (
    FILLER,
    ME,
    NOW,
    FakeClock,
    queue_settings,
    screen_text,
    seed_queue,
    settle,
    wait_until,
)

from shopdesk.domain.cases import Actor, Customer
from shopdesk.services import Services
from shopdesk.store import open_store
from shopdesk.tui.app import MIN_REFRESH_SECONDS, ShopdeskApp
from shopdesk.tui.screens.queue import QueueScreen
from shopdesk.tui.widgets.case_table import CaseTable
from shopdesk.tui.widgets.view_tabs import ViewTabs


WORLD = "queue"  # the `services` fixture: tests/tui/conftest.py


@pytest.fixture
async def seeded(services):
    return await seed_queue(services)


def app_for(services, **options) -> ShopdeskApp:
    options.setdefault("lang", "en")
    return ShopdeskApp(services, operator=ME, **options)


def queue(app) -> QueueScreen:
    screen = app.screen
    assert isinstance(screen, QueueScreen), screen
    return screen


def table(app) -> CaseTable:
    return app.screen.query_one("#cases", CaseTable)


def shown_refs(app) -> list[str]:
    grid = table(app)
    return [grid.row_at(index).ref for index in range(grid.top, min(grid.total, grid.top + grid.page))]


async def test_tabs_show_each_view_with_its_live_count(services, seeded):
    app = app_for(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        counts = app.screen.query_one(ViewTabs).counts
        active = 5 + FILLER  # everything but the resolved case
        assert counts == {
            "mine": 1, "urgent": 1, "overdue": 1, "escalated": 1, "waiting": 1,
            "open": active, "resolved_today": 1, "intake": 0, "approvals": 0, "detected": 0,
        }
        text = screen_text(app)
        assert "Mine 1" in text and f"Open {active}" in text and "Done 1" in text
        # 1..8 jump to a view; the table shows that view's cases
        await pilot.press("4")
        await settle(pilot)
        assert shown_refs(app) == [seeded.escalated.ref]
        await pilot.press("right")  # waiting
        await settle(pilot)
        assert shown_refs(app) == [seeded.waiting.ref]
        assert "paused" in screen_text(app)
        await pilot.press("1")
        await settle(pilot)
        assert shown_refs(app) == [seeded.mine.ref]
        await pilot.press("7")
        await settle(pilot)
        assert shown_refs(app) == [seeded.resolved.ref]


async def test_queue_order_overdue_then_urgent_then_level(services, seeded):
    app = app_for(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        refs = shown_refs(app)
        assert refs[:3] == [seeded.overdue.ref, seeded.mine.ref, seeded.lost.ref]
        text = screen_text(app)
        # the columns that matter most survive 80 columns; age and carrier drop first
        header = text.splitlines()[2]
        for title in ("Ref", "SLA", "Lv", "Kind", "Customer", "Status"):
            assert title in header
        assert "Age" not in header
        overdue_line = next(line for line in text.splitlines() if seeded.overdue.ref in line)
        assert "-" in overdue_line.split()[1]  # SLA left is negative: breached


async def test_wide_terminal_shows_every_column(services, seeded):
    app = app_for(services)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        header = screen_text(app).splitlines()[2]
        for title in ("Ref", "SLA", "Lv", "Kind", "Order", "Customer", "Carrier", "Assignee",
                      "Status", "Age"):
            assert title in header
        lost_line = next(line for line in screen_text(app).splitlines() if seeded.lost.ref in line)
        assert "SF Express" in lost_line and "#1001" in lost_line and "张伟" in lost_line


async def test_filter_as_you_type_by_tracking_number_phone_and_ref(services, seeded):
    app = app_for(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        for key in "SF12345":
            await pilot.press(key)
        await settle(pilot)
        assert shown_refs(app) == [seeded.lost.ref]
        assert "filter “SF12345”" in screen_text(app)
        # escape clears the filter and the whole view is back
        await pilot.press("escape")
        await settle(pilot)
        assert table(app).total == 5 + FILLER
        await pilot.press("slash", *"13800000001", "enter")
        await settle(pilot)
        assert shown_refs(app) == [seeded.lost.ref]
        assert table(app).has_focus  # enter keeps the filter and goes back to the table
        await pilot.press("escape", "slash", *seeded.waiting.ref.lower())
        await settle(pilot)
        assert shown_refs(app) == [seeded.waiting.ref]
        await pilot.press("escape", "slash", *"no such thing")
        await settle(pilot)
        assert table(app).total == 0
        assert "No cases in this view." in screen_text(app)


async def test_letters_typed_in_the_filter_are_not_actions(services, seeded):
    app = app_for(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", "q", "r", "x")  # quit, resolve, close as keys: typed instead
        await settle(pilot)
        assert app.is_running
        assert queue(app).query_text == "qrx"
        assert (await services.cases.get(seeded.lost.ref)).status == "new"


async def test_sort_cycles_through_the_orders(services, seeded):
    app = app_for(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "sorted by queue order" in screen_text(app)
        await pilot.press("s")
        await settle(pilot)
        assert "sorted by due time" in screen_text(app)
        await pilot.press("s")
        await settle(pilot)
        assert "sorted by newest first" in screen_text(app)
        newest = await services.cases.list(queue(app).pages.case_filter, sort="newest", limit=5)
        assert shown_refs(app)[:5] == [case.ref for case in newest]
        for _ in range(3):
            await pilot.press("s")
        await settle(pilot)
        assert "sorted by queue order" in screen_text(app)


async def test_paging_reads_pages_from_the_store(services, seeded):
    app = app_for(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        grid = table(app)
        total = grid.total
        await pilot.press("pagedown")
        await settle(pilot)
        assert grid.cursor == grid.page
        await pilot.press("end")
        await settle(pilot)
        assert grid.cursor == total - 1
        last = await services.cases.list(queue(app).pages.case_filter, offset=total - 1, limit=1)
        assert grid.current.ref == last[0].ref
        assert f"{total}/{total}" in screen_text(app)
        await pilot.press("home")
        await settle(pilot)
        assert grid.cursor == 0 and grid.current.ref == seeded.overdue.ref


async def test_cursor_stays_on_its_case_when_rows_move(services, seeded):
    app = app_for(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "down", "down")
        await settle(pilot)
        before = table(app).current
        index_before = table(app).cursor
        # two new overdue L3 cases sort above everything: rows move down by two
        for name in ("A", "B"):
            await services.cases.open(Actor("intake"), kind="lost", level=3,
                                      customer=Customer(name=name),
                                      opened_at=NOW - timedelta(days=7))
        await wait_until(pilot, lambda: table(app).total == 5 + FILLER + 2, 1.0)
        await settle(pilot)
        assert table(app).current.ref == before.ref
        assert table(app).cursor == index_before + 2


async def test_a_case_opened_through_services_appears_within_a_second(services, seeded):
    app = app_for(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        case, _ = await services.cases.open(Actor("intake"), kind="lost", level=3,
                                            customer=Customer(name="Newcomer"),
                                            opened_at=NOW - timedelta(days=7))
        took = await wait_until(pilot, lambda: case.ref in screen_text(app), 1.0)
        assert took < 1.0
        assert "Newcomer" in screen_text(app)
        # the tab counts follow the rows (counted after them): within the same second
        await wait_until(
            pilot, lambda: app.screen.query_one(ViewTabs).counts["open"] == 5 + FILLER + 1,
            1.0 - took + 0.5)


async def test_a_burst_of_changes_coalesces_into_few_refreshes(services, seeded):
    app = app_for(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        grid = table(app)
        loads_before = grid.loads
        started = asyncio.get_running_loop().time()
        opened = []
        for number in range(60):  # one burst: the API's intake would publish like this
            case, _ = await services.cases.open(Actor("intake"), kind="other", level=1,
                                                customer=Customer(name=f"Burst {number}"))
            opened.append(case)
        await wait_until(pilot, lambda: grid.total == 5 + FILLER + 60, 1.5)
        await settle(pilot, 0.3)
        # Not 60: throttled to 4 a second and coalesced (a busy machine stretches the burst).
        took = asyncio.get_running_loop().time() - started
        loads = grid.loads - loads_before
        assert loads <= max(6, int(took / MIN_REFRESH_SECONDS) + 2), (loads, took)
        assert loads < 60
        assert app.screen.query_one(ViewTabs).counts["open"] == 5 + FILLER + 60


async def test_a_change_by_another_process_appears_within_two_seconds(services, seeded):
    app = app_for(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        async with open_store(services.store.path) as other_store:
            other = Services(other_store, queue_settings(), clock=FakeClock())
            case, _ = await other.cases.open(Actor("bob"), kind="damaged", level=3,
                                             customer=Customer(name="From elsewhere"),
                                             opened_at=NOW - timedelta(days=7))
            await other.cases.escalate(Actor("bob", "operator"), seeded.lost.ref, "needs a decision")
        took = await wait_until(pilot, lambda: case.ref in screen_text(app), 2.0)
        assert took < 2.0
        await wait_until(pilot, lambda: app.screen.query_one(ViewTabs).counts["escalated"] == 2,
                         1.0)


async def test_new_urgent_or_l3_case_notifies_and_rings(services, seeded):
    app = app_for(services)
    rings = []
    async with app.run_test(size=(80, 24)) as pilot:
        app.bell = lambda: rings.append(1)
        await settle(pilot)
        await services.cases.open(Actor("intake"), kind="other", level=1,
                                  customer=Customer(name="Quiet"))
        await pilot.pause(0.4)
        await settle(pilot)
        assert app.alerts == [] and rings == []
        urgent, _ = await services.cases.open(Actor("intake"), kind="urgent_order", level=1,
                                              urgent=True, customer=Customer(name="Hurry"))
        await wait_until(pilot, lambda: len(app.alerts) == 1, 1.0)
        assert urgent.ref in app.alerts[0] and "URGENT" in app.alerts[0]
        assert rings == [1]
        messages = [notification.message for notification in app._notifications]
        assert any(urgent.ref in message for message in messages)


async def test_bell_can_be_turned_off(tmp_path):
    async with open_store(tmp_path / "quiet.db") as store:
        services = Services(store, queue_settings(bell=False), clock=FakeClock())
        app = app_for(services)
        rings = []
        async with app.run_test(size=(80, 24)) as pilot:
            app.bell = lambda: rings.append(1)
            await settle(pilot)
            await services.cases.open(Actor("intake"), kind="lost", level=3)
            await wait_until(pilot, lambda: len(app.alerts) == 1, 1.0)
            assert rings == []


async def test_refused_action_notifies_and_changes_nothing(services, seeded):
    app = app_for(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("7")  # resolved today
        await settle(pilot)
        assert table(app).current.ref == seeded.resolved.ref
        before = await services.cases.get(seeded.resolved.ref)
        await pilot.press("u")  # urgent on a resolved case: the workflow refuses
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert any("Urgent: not allowed while the case is resolved" in m for m in messages), messages
        after = await services.cases.get(seeded.resolved.ref)
        assert after.version == before.version and not after.urgent


async def test_an_action_key_with_no_case_says_so(services):
    app = app_for(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for key, said in (("t", "No case is highlighted."), ("enter", "No case is highlighted."),
                          ("E", "This view has no cases to export.")):
            await pilot.press(key)
            await settle(pilot)
            # one warning toast at a time: the newest replaces the previous one
            assert [n.message for n in app._notifications] == [said], key


async def test_urgent_key_toggles_the_highlighted_case(services, seeded):
    app = app_for(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert table(app).current.ref == seeded.overdue.ref
        await pilot.press("u")
        await wait_until(pilot, lambda: app._notifications and True, 1.0)
        await settle(pilot)
        assert (await services.cases.get(seeded.overdue.ref)).urgent
        assert table(app).current.ref == seeded.overdue.ref


async def test_quit_key_ends_the_app(services, seeded):
    app = app_for(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause(0.1)
    assert app.return_code == 0


async def test_chinese_labels_and_widths(services, seeded):
    app = app_for(services, lang="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "我的 1" in text and "未结" in text
        assert "单号" in text and "时限" in text and "客户" in text
        assert "破损" in text  # the kind in the seeds' words
        lines = text.splitlines()
        # every line is exactly 80 cells: wide characters are counted twice
        from rich.cells import cell_len

        assert all(cell_len(line) == 80 for line in lines)
        assert "张伟" in text


async def test_the_top_line_shows_the_last_backup_once_there_is_one(services, seeded, tmp_path):
    """No backup, no word about it; a backup made (here, or by `shopdesk serve` on its schedule)
    shows its time in the shop's zone, in English and in Chinese."""
    app = app_for(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "backup" not in screen_text(app).splitlines()[0]
        await services.backups.back_up(tmp_path / "copy.db")  # NOW: 14:00 in Shanghai
        await queue(app).refresh_counts()
        await settle(pilot)
        assert screen_text(app).splitlines()[0].rstrip().endswith("backup 11-23 14:00")
    app = app_for(services, lang="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "备份 11-23 14:00" in screen_text(app).splitlines()[0]
