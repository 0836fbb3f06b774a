"""The case screen: what it shows (order, customer, each SLA clock, people, responsibility,
remedies, survey, incidents, timeline newest first), how it scrolls and follows changes, and how it
looks at 80x24 and 120x40 in English and Chinese (SVG snapshots)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from waiting import eventually

from shopdesk.domain.cases import Actor
from shopdesk.services.cases_by_hand import open_by_hand
from shopdesk.store import Store, open_store
from shopdesk.tui import i18n
from shopdesk.tui.messages import CasesChanged
from shopdesk.tui.screens.case import CaseScreen
from shopdesk.tui.screens.queue import QueueScreen

from case_world import (
    seated,
    NOW,
    OPERATOR,
    case_app,
    FakeClock,
    show_case,
    snapshot_app,
    open_case,
    rich_case,
    seed_order,
    services_for,
    settle,
    working_case,
)


def text_of(screen: CaseScreen, selector: str) -> str:
    """The plain text a panel shows, as rendered at its width."""
    widget = screen.query_one(selector)
    lines = [line.text.strip() for line in widget.render_lines(widget.region.reset_offset)]
    return "\n".join(
        line.strip("│").strip() for line in lines if not line.startswith(("╭", "╰", "─"))
    )


async def loaded(pilot) -> CaseScreen:
    screen = await show_case(pilot)
    assert screen.case is not None
    return screen


async def test_shows_order_customer_clocks_people_and_every_panel(services, clock):
    case = await rich_case(services, clock)
    app = case_app(services, case.ref)
    async with app.run_test(size=(120, 60)) as pilot:
        screen = await loaded(pilot)
        header = text_of(screen, "#case-header")
        assert case.ref in header and "URGENT" in header and "L3 high" in header
        assert "open" in header and "assignee olga" in header and "tier operator" in header
        order = text_of(screen, "#panel-order")
        for expected in ("张伟", "138 0013 8000", "zhang.wei@example.cn", "张江路 88 号",
                         "2 × 西湖龙井", "494.00 CNY", "SF Express", "SF1234567890", "1001"):
            assert expected in order, expected
        clocks = text_of(screen, "#case-clocks")
        first, resolution = clocks.splitlines()[:2]
        assert "First response" in first and "met 11-23 08:21" in first
        assert "Resolution" in resolution and "left (business time)" in resolution
        responsibility = text_of(screen, "#panel-responsibility")
        assert "carrier" in responsibility and "logistics  −1" in responsibility
        assert "warehouse  −0.5" in responsibility and "Shanghai hub" in responsibility
        remedies = text_of(screen, "#panel-remedies")
        assert "coupon 20.00 CNY  approved" in remedies
        assert "full refund 494.00 CNY  awaiting approval" in remedies
        assert "I-0001" in text_of(screen, "#panel-incidents")
        assert "Follow up   11-23 12:30" in text_of(screen, "#panel-facts")
        assert screen.query_one("#panel-survey").has_class("-empty")
        assert "Buyer" not in order  # the case's customer is the order's buyer: one name


async def test_a_case_opened_for_a_caller_shows_the_caller_and_the_buyer_apart(services):
    """QA N26: a caller (陈先生) reports about the order of someone else (张伟): the panel gives the
    caller's name and number as the case's customer, the buyer on a row of his own, and the
    templates are addressed to the caller."""
    await seed_order(services, "1001")
    case = await open_by_hand(
        services, services.actor(OPERATOR), kind="lost", title="Caller says parcel never arrived",
        customer_name="陈先生", customer_phone="13912345678", order_number="#1001",
    )
    app = case_app(services, case.ref)
    async with app.run_test(size=(120, 60)) as pilot:
        screen = await loaded(pilot)
        rows = text_of(screen, "#panel-order").splitlines()
        assert any(row.startswith("Customer") and "陈先生" in row for row in rows), rows
        assert any(row.startswith("Phone") and "13912345678" in row for row in rows), rows
        [buyer] = [row for row in rows if row.startswith("Buyer")]
        assert "张伟" in buyer and "138 0013 8000" in buyer
        assert not any("张伟" in row for row in rows if not row.startswith("Buyer"))
        assert "zhang.wei@example.cn" not in "\n".join(rows)  # the buyer's email is not the caller's
        await pilot.press("c")
        await settle(pilot)
        modal = pilot.app.screen
        modal.query_one("#field-template").value = "apology"
        await settle(pilot)
        preview = str(modal.query_one("#field-preview").content)
        assert "亲爱的陈先生" in preview and "张伟" not in preview
        modal.query_one("#field-lang").value = "en"
        await settle(pilot)
        assert "Dear 陈先生," in str(modal.query_one("#field-preview").content)


async def test_timeline_is_newest_first_with_contacts_and_notes(services, clock):
    case = await rich_case(services, clock)
    app = case_app(services, case.ref)
    async with app.run_test(size=(120, 60)) as pilot:
        screen = await loaded(pilot)
        lines = [line for line in text_of(screen, "#panel-timeline").splitlines() if line.strip()]
        assert "Note" in lines[0] and "Carrier hotline" in lines[0]
        assert "Opened" in lines[-1]
        at = next(index for index, line in enumerate(lines) if "Contact" in line)
        contact = " ".join(lines[at:at + 2])
        assert "phone →" in contact and "[Apology]" in contact and "follow up 11-23 12:30" in contact


async def test_each_clock_shows_its_own_state(services, clock):
    case = await open_case(services, level=3, minutes_ago=90)
    app = case_app(services, case.ref)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot)
        first, resolution = text_of(screen, "#case-clocks").splitlines()[:2]
        assert "due 11-23 10:00" in first and "BREACHED, 30m over" in first  # L3: 1 h from 9:00
        assert "due 11-23 18:00" in resolution and "left" in resolution
        await services.cases.triage(services.actor(OPERATOR), case.ref)
        await services.cases.wait(services.actor(OPERATOR), case.ref, on="customer")
        for _ in range(40):  # the change arrives through the notifier: wait for the repaint
            await settle(pilot)
            first, resolution = text_of(screen, "#case-clocks").splitlines()[:2]
            if "paused" in first:
                break
        assert "paused, 30m over" in first  # breached before the wait: still over
        assert "paused, 6h 30m left" in resolution


async def test_a_clock_due_at_closing_time_reads_breached_since_after_hours(services, clock):
    """Due at 18:00 and now 20:00: no business time is over yet, so not "BREACHED, 0m over"."""
    clock.now = NOW + timedelta(hours=6, minutes=30)  # 17:00 in Shanghai
    case = await open_case(services, level=3, minutes_ago=-390)  # first response due at 18:00
    clock.now = NOW + timedelta(hours=9, minutes=30)  # 20:00, after hours
    app = case_app(services, case.ref)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot)
        first = text_of(screen, "#case-clocks").splitlines()[0]
        assert "BREACHED since 11-23 18:00" in first and "0m" not in first, first


async def test_survey_and_resolution_show_once_closed(services):
    case = await open_case(services)
    olga = services.actor(OPERATOR)
    await services.cases.triage(olga, case.ref)
    await services.cases.resolve(olga, case.ref, "reshipped, customer happy")
    await services.cases.record_survey(olga, case.ref, 4, "fast and kind")
    app = case_app(services, case.ref)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot)
        survey = text_of(screen, "#panel-survey")
        assert "★★★★☆ 4/5" in survey and "fast and kind" in survey
        assert "reshipped, customer happy" in text_of(screen, "#panel-facts")
        assert "closed" in text_of(screen, "#case-header")
        first, resolution = text_of(screen, "#case-clocks").splitlines()[:2]
        assert "no outbound contact logged (case closed)" in first
        assert "met" in resolution


async def test_a_voided_case_stops_its_clocks(services):
    case = await open_case(services)
    await services.cases.void(services.actor(OPERATOR), case.ref, "duplicate")
    app = case_app(services, case.ref)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot)
        first, resolution = text_of(screen, "#case-clocks").splitlines()[:2]
        assert "no outbound contact logged (case void)" in first
        assert "stopped: case void" in resolution
        assert "left" not in resolution


async def test_follows_changes_by_others_without_a_key(services):
    case = await working_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot)
        await services.cases.add_note(Actor("wang.fang", "operator"), case.ref, "hello from API")
        await settle(pilot)
        assert "hello from API" in text_of(screen, "#panel-timeline")
        assert screen.case.version == (await services.cases.get(case.ref)).version


async def test_shows_a_change_by_another_process_within_two_seconds(services):
    case = await working_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot)
        # Another process writes: no change callback here; the app sees the store's data_version
        # move and sends the screens a CasesChanged.
        async with open_store(services.store.path) as other_store:
            other = services_for(other_store)
            await other.cases.add_note(Actor("emma", "operator"), case.ref, "from process two")

        async def shown() -> bool:
            await pilot.pause()
            return "from process two" in text_of(screen, "#panel-timeline")

        await eventually(shown, what="the other process's note on the case screen")


async def test_reloads_on_cases_changed_only_when_it_may_concern_the_case(services):
    case = await working_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot)
        loads = []
        screen.load = lambda: loads.append(1)  # count, do not read

        async def post(**values) -> None:
            screen.post_message(CasesChanged(**values))
            await settle(pilot)

        await post(whats=frozenset({"case_changed"}), refs=frozenset({"C-999999"}))
        assert loads == []
        await post(whats=frozenset({"case_changed"}), refs=frozenset({case.ref}))
        assert loads == [1]
        await post(whats=frozenset({"refresh"}))  # nothing named, the case's version unchanged
        assert loads == [1]
        async with open_store(services.store.path) as other_store:
            await services_for(other_store).cases.add_note(Actor("emma", "operator"), case.ref,
                                                           "from process two")
        await post(whats=frozenset({"refresh"}))  # nothing named, but the version moved
        assert len(loads) >= 2  # (the app's own store poll may have noticed it first)


async def test_scrolls_by_keyboard_and_collapses_to_one_column_at_80x24(services, clock):
    case = await rich_case(services, clock)
    app = case_app(services, case.ref)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot)
        assert screen.has_class("-narrow")
        body = screen.query_one("#case-body")
        assert body.has_focus and body.max_scroll_y > 0
        header = screen.query_one("#case-head")
        assert header.region.height <= 5
        await pilot.press("pagedown")
        await pilot.pause()
        assert body.scroll_y > 0
        await pilot.press("end")
        await pilot.pause()
        assert body.scroll_y == body.max_scroll_y
        timeline = screen.query_one("#panel-timeline")
        assert timeline.region.y < 24 - 1  # the timeline is reachable on screen
        await pilot.press("home")
        await pilot.pause()
        assert body.scroll_y == 0
        assert "138 0013 8000 · zhang.wei@example.cn" in text_of(screen, "#panel-order")
        assert "SF Express · SF1234567890" in text_of(screen, "#panel-order")
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        assert not screen.has_class("-narrow")
        order = text_of(screen, "#panel-order")
        assert "Phone    138 0013 8000" in order and "Tracking SF1234567890" in order


async def test_every_case_action_of_the_registry_has_its_key_here(services):
    from shopdesk.tui.actions import ACTIONS

    case = await open_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot)
        bound = {
            binding.key: binding.action
            for bindings in screen._bindings.key_to_bindings.values() for binding in bindings
        }
        for spec in ACTIONS:
            if spec.needs_case and spec.id != "open_case":
                assert bound.get(spec.key) == spec.id, spec.id
                assert callable(getattr(screen, f"action_{spec.id}"))
        assert bound["escape"] == "back"


async def test_i_opens_the_incidents_board_and_goes_back_to_it(services, clock):
    from shopdesk.tui.screens.incidents import IncidentsScreen

    case = await rich_case(services, clock)
    app = case_app(services, case.ref)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, IncidentsScreen)
        await app.push_screen(CaseScreen(services, case.ref))
        await settle(pilot)
        await pilot.press("i")  # the board is below: back to it, not a second one
        await settle(pilot)
        assert isinstance(app.screen, IncidentsScreen)
        assert sum(isinstance(s, IncidentsScreen) for s in app.screen_stack) == 1


async def test_escape_goes_back(services):
    case = await open_case(services)
    app = case_app(services, case.ref)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)


async def test_an_unknown_ref_says_so(services):
    app = case_app(services, "C-999999")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await show_case(pilot)
        assert screen.case is None
        assert "no case C-999999" in text_of(screen, "#case-header")
        assert any("no case C-999999" in n.message for n in app._notifications)


async def test_chinese_labels(services, clock):
    i18n.set_language("zh")
    case = await rich_case(services, clock)
    app = case_app(services, case.ref)
    async with app.run_test(size=(120, 60)) as pilot:
        screen = await loaded(pilot)
        header = text_of(screen, "#case-header")
        assert "紧急" in header and "三级（高）" in header and "处理中" in header
        assert "丢失" in header
        assert "首次响应" in text_of(screen, "#case-clocks")
        assert "待审批" in text_of(screen, "#panel-remedies")


# --- snapshots ----------------------------------------------------------------------------------


@pytest.fixture
def seeded_store(tmp_path):
    """A store file holding the rich case, written on a loop of its own (snapshots run another)."""
    path = tmp_path / "snap.db"

    async def seed() -> str:
        clock = FakeClock()
        store = await Store.open(path)
        try:
            case = await rich_case(services_for(store, clock), clock)
        finally:
            await store.close()
        return case.ref

    return path, asyncio.run(seed())


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_snapshot(snap_compare, seeded_store, lang, size):
    path, ref = seeded_store
    i18n.set_language(lang)

    async def open_case_screen(pilot) -> None:
        await show_case(pilot)

    assert snap_compare(snapshot_app(path, ref), terminal_size=size, run_before=open_case_screen)


def test_clock_passes_in_business_time(tmp_path):
    """Sanity check of the fixture clock the snapshots rely on: NOW is Monday 10:30 in Shanghai."""
    assert (NOW + timedelta(hours=8)).strftime("%a %H:%M") == "Mon 10:30"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_snapshot_contact_form_with_preview(snap_compare, seeded_store, lang):
    path, ref = seeded_store
    i18n.set_language(lang)

    async def open_contact_form(pilot) -> None:
        await show_case(pilot)
        await pilot.press("c")
        await settle(pilot)
        pilot.app.screen.query_one("#field-template").value = "delay_notice"
        await settle(pilot)

    assert snap_compare(snapshot_app(path, ref), terminal_size=(80, 24),
                        run_before=open_contact_form)
