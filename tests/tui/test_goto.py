"""`g` goes to any case — closed ones too — by ref, order number, phone or tracking number; `/` that
finds nothing in the view says how many cases match elsewhere; ctrl+p finds a case by ref."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from queue_world import (
    ME,
    NOW,
    FakeClock,
    queue_settings,
    screen_text,
    seed_queue,
    settle,
    wait_until,
)

from shopdesk.domain.cases import Actor, Customer, Order, parse_case_ref
from shopdesk.domain.errors import ValidationError
from shopdesk.services import Services
from shopdesk.store import open_store
from shopdesk.tui.app import ShopdeskApp
from shopdesk.tui.modals.goto import GotoModal
from shopdesk.tui.screens.case import CaseScreen
from shopdesk.tui.screens.help import HelpScreen
from shopdesk.tui.screens.queue import CaseRefProvider, QueueScreen
from shopdesk.tui.widgets.case_table import CaseTable


WORLD = "queue"  # the `services` fixture: tests/tui/conftest.py


async def closed_last_week(services: Services):
    """A case resolved and closed days ago: in none of the queue's views."""
    clock = services.clock
    clock.now = NOW - timedelta(days=6)
    me, bot = services.actor(ME), Actor("intake")
    order_id = await services.orders.upsert(Order(
        source="shop", external_id="2002", number="#2002", carrier="YTO",
        tracking_number="YT9988776655",
        customer=Customer(name="Chloe Walker", phone="+86 139 1234 5678"),
    ))
    case, _ = await services.cases.open(bot, kind="damaged", level=1, order_id=order_id,
                                        title="Teapot broken")
    await services.cases.triage(me, case.ref)
    await services.cases.resolve(me, case.ref, "reshipped")
    clock.now = NOW - timedelta(days=2)
    case = await services.cases.close(me, case.ref)
    clock.now = NOW
    assert case.status == "closed"
    return case


@pytest.fixture
async def closed(services):
    await seed_queue(services)
    return await closed_last_week(services)


def app_for(services, lang: str = "en") -> ShopdeskApp:
    return ShopdeskApp(services, operator=ME, lang=lang)


def notes(app) -> list[str]:
    return [n.message for n in app._notifications]


async def go_to(pilot, text: str) -> None:
    await pilot.press("g")
    await settle(pilot)
    assert isinstance(pilot.app.screen, GotoModal)
    await pilot.press(*text, "enter")
    await settle(pilot, 0.1)


# --- what a ref is, and what the services find ----------------------------------------------------


@pytest.mark.parametrize("text", ["C-000036", "c-36", "C36", "36", " 000036 ", "c-000036"])
def test_the_cli_forms_of_a_ref_are_one_case(text):
    assert parse_case_ref(text) == "C-000036"


@pytest.mark.parametrize("text", ["#10036", "C-", "0", "C-0", "张伟", "SF123", "١٢", "", "3 6"])
def test_other_text_is_not_a_ref(text):
    assert parse_case_ref(text) is None


async def test_find_reaches_a_closed_case_by_every_handle(services, closed):
    number = str(int(closed.ref.removeprefix("C-")))
    for text in (closed.ref, closed.ref.lower(), number, f"c-{number}", "#2002", "2002",
                 "YT9988776655", "139 1234 5678", "13912345678", "+86 139-1234-5678",
                 "Chloe"):
        found = await services.cases.find(text)
        assert [case.ref for case in found] == [closed.ref], text
    assert await services.cases.find("no such thing") == []
    with pytest.raises(ValidationError) as refused:
        await services.cases.find("   ")
    assert refused.value.field == "q"


async def test_a_ref_that_does_not_exist_falls_back_to_searching(services, closed):
    # 2002 is not a case (there are ~50) but it is the order number of the closed case
    assert parse_case_ref("2002") == "C-002002"
    assert [case.ref for case in await services.cases.find("2002")] == [closed.ref]


async def woo_order_numbered_like(services: Services, case_number: int):
    """A WooCommerce order whose bare number is also a case's number (N22), with its own case."""
    order_id = await services.orders.upsert(Order(
        source="shop", external_id=str(case_number), number=str(case_number),
        customer=Customer(name="Wang Fang", phone="+86 138 0000 1111"),
    ))
    case, _ = await services.cases.open(Actor("intake"), kind="lost", level=1, order_id=order_id,
                                        title="Parcel lost")
    return case


async def test_a_bare_number_that_is_also_an_order_number_offers_both_order_first(services,
                                                                                   closed):
    own = await woo_order_numbered_like(services, 3)
    found = await services.cases.find("3")
    assert [case.ref for case in found] == [own.ref, "C-000003"]
    assert [case.ref for case in await services.cases.find(" 3 ")] == [own.ref, "C-000003"]
    for text in ("C-3", "c-3", "c3", "C-000003"):  # the C says it is a ref
        assert [case.ref for case in await services.cases.find(text)] == ["C-000003"], text
    assert [case.ref for case in await services.cases.find("4")] == ["C-000004"]  # no order 4
    with pytest.raises(ValidationError) as refused:
        await services.cases.find_one("3")
    assert refused.value.field == "ref"
    assert f"{own.ref} (order 3, Wang Fang)" in refused.value.detail
    assert "C-000003 (case number 3)" in refused.value.detail
    assert (await services.cases.find_one("c-3")).ref == "C-000003"
    assert (await services.cases.find_one("4")).ref == "C-000004"


async def test_g_with_a_bare_number_shared_by_an_order_is_a_pick_list(services, closed):
    own = await woo_order_numbered_like(services, 3)
    app = app_for(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await go_to(pilot, "3")
        modal = app.screen
        assert isinstance(modal, GotoModal)  # not C-000003 at once
        assert [case.ref for case in modal.matches] == [own.ref, "C-000003"]
        await wait_until(pilot, lambda: "Wang Fang" in screen_text(app), 1.0)
        await pilot.press("enter")  # the first row: the order's case
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen) and app.screen.ref == own.ref
        await pilot.press("escape")
        await settle(pilot)
        await go_to(pilot, "c-3")
        assert isinstance(app.screen, CaseScreen) and app.screen.ref == "C-000003"


# --- g --------------------------------------------------------------------------------------------


async def test_g_opens_a_case_closed_last_week_by_its_ref(services, closed):
    app = app_for(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for view in "12345678":  # in no view
            await pilot.press(view)
            await settle(pilot)
            assert closed.ref not in screen_text(app)
        await pilot.press("6")
        await settle(pilot)
        await go_to(pilot, f"c-{int(closed.ref[2:])}")
        assert isinstance(app.screen, CaseScreen)
        assert app.screen.ref == closed.ref
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)


async def test_g_by_tracking_number_and_by_order_number(services, closed):
    app = app_for(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await go_to(pilot, "YT9988776655")
        assert isinstance(app.screen, CaseScreen) and app.screen.ref == closed.ref
        await pilot.press("escape")
        await settle(pilot)
        await go_to(pilot, "#2002")
        assert isinstance(app.screen, CaseScreen) and app.screen.ref == closed.ref


async def test_g_unknown_says_so_and_keeps_the_input(services, closed):
    app = app_for(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await go_to(pilot, "C-999999")
        assert isinstance(app.screen, GotoModal)
        assert app.screen.query_one("#goto-input").value == "C-999999"
        assert "No case matches “C-999999”." in notes(app)
        await pilot.press(*["backspace"] * 6, *closed.ref[2:], "enter")  # corrected in place
        await settle(pilot, 0.1)
        assert isinstance(app.screen, CaseScreen) and app.screen.ref == closed.ref
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        await pilot.press("escape")  # escape leaves the modal without going anywhere
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)


async def test_g_with_nothing_typed_asks_for_something(services, closed):
    app = app_for(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await go_to(pilot, "")
        assert isinstance(app.screen, GotoModal)
        assert any("order number, phone or tracking number is required" in text
                   for text in notes(app)), notes(app)


async def test_g_several_matches_are_a_pick_list(services, closed):
    app = app_for(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await go_to(pilot, "Filler 0")  # Filler 00 … Filler 09
        modal = app.screen
        assert isinstance(modal, GotoModal)
        assert len(modal.matches) == 10
        await wait_until(pilot, lambda: "Filler 09" in screen_text(app), 1.0)
        text = screen_text(app)
        assert "10 match, newest first" in text
        assert "C-000016 new      Filler 09      —         other        2026-11-23" in text
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        assert app.screen.ref == modal.matches[1].ref


async def test_g_typed_into_the_filter_is_just_a_letter(services, closed):
    app = app_for(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", "g")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert app.screen.query_text == "g"


async def test_g_in_chinese(services, closed):
    app = app_for(services, "zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await go_to(pilot, "zzz")
        assert "转到处理单" in screen_text(app)
        assert "没有与“zzz”匹配的处理单。" in notes(app)


# --- / that finds nothing here ----------------------------------------------------------------------


async def test_filter_that_finds_nothing_here_counts_the_cases_elsewhere_and_g_goes(services,
                                                                                     closed):
    app = app_for(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"YT9988776655", "enter")
        await settle(pilot)
        screen = app.screen
        assert screen.query_one("#cases", CaseTable).total == 0
        text = screen_text(app)
        assert "None here; 1 other case(s) match “YT9988776655”, closed incl.: press g" in text
        assert "1 elsewhere, closed incl.: g" in text
        await pilot.press("g")  # looked up with the filter's text: one case, opened at once
        await settle(pilot, 0.1)
        assert isinstance(app.screen, CaseScreen) and app.screen.ref == closed.ref
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("escape")  # clears the filter: the plain empty text and status again
        await settle(pilot)
        assert "elsewhere" not in screen_text(app)


async def test_filter_that_matches_nothing_anywhere_says_only_that(services, closed):
    app = app_for(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"nobody", "enter")
        await settle(pilot)
        text = screen_text(app)
        assert "No cases in this view." in text and "elsewhere" not in text
        await pilot.press("g")  # nothing to carry over: an empty field
        await settle(pilot)
        assert app.screen.query_one("#goto-input").value == ""


# --- help and the palette --------------------------------------------------------------------------


async def test_help_documents_g_and_what_the_filter_does(services):
    app = app_for(services)
    async with app.run_test(size=(100, 50)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        text = " ".join(screen_text(app).split())
        assert "g Go to Go to any case, resolved or closed too" in text
        assert "g opens them" in text


async def test_palette_finds_a_case_by_ref(services, closed):
    app = app_for(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        provider = CaseRefProvider(app.screen)
        hits = [hit async for hit in provider.search(closed.ref.lower())]
        assert [str(hit.text) for hit in hits] == [f"Go to {closed.ref}"]
        assert "Closed" in hits[0].help or "closed" in hits[0].help
        assert [hit async for hit in provider.search("C-999999")] == []
        assert [hit async for hit in provider.search("urgent")] == []
        await pilot.press("ctrl+p")  # the real palette: type the ref, enter
        await wait_until(pilot, lambda: "Triage (t)" in screen_text(app), 2.0)
        await pilot.press(*f"c-{int(closed.ref[2:])}")
        await wait_until(pilot, lambda: f"Go to {closed.ref}" in screen_text(app), 2.0)
        await pilot.press("enter")
        await settle(pilot, 0.1)
        assert isinstance(app.screen, CaseScreen) and app.screen.ref == closed.ref


async def test_a_caller_on_a_case_closed_last_week_gets_it_reopened(services, closed):
    app = app_for(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await go_to(pilot, "13912345678")  # the caller's phone, as said on the line
        assert isinstance(app.screen, CaseScreen) and app.screen.ref == closed.ref
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        await pilot.press(*"called back: teapot broken again", "ctrl+s")
        await settle(pilot, 0.1)
    case = await services.cases.get(closed.ref)
    assert case.status not in ("resolved", "closed"), case.status
    detail = await services.cases.detail(closed.ref)
    assert any("called back: teapot broken again" in str(event.data) for event in detail.events)


# --- how it looks -----------------------------------------------------------------------------------


@pytest.fixture
def closed_store(tmp_path):
    path = tmp_path / "snap.db"

    async def seed() -> None:
        async with open_store(path) as store:
            services = Services(store, queue_settings(), clock=FakeClock())
            await seed_queue(services)
            await closed_last_week(services)

    asyncio.run(seed())
    return path


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_snapshot_pick_list_at_80x24(snap_compare, closed_store, lang):
    async def look_up(pilot) -> None:
        await settle(pilot)
        await pilot.press("8")  # behind the modal: no SLA figures (the snapshot is of the modal)
        await settle(pilot)
        await pilot.press("g", *"Filler 0", "enter")
        await settle(pilot, 0.1)

    app = ShopdeskApp.for_store(closed_store, operator=ME, settings=queue_settings(),
                                clock=FakeClock(), lang=lang)
    assert snap_compare(app, terminal_size=(80, 24), run_before=look_up)
