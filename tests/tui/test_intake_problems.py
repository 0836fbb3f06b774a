"""Intake problems (tab 8): enter shows the whole quarantined delivery — source, topic, when it
arrived in shop time, the full error, the headers kept and the body — and escape comes back; the
keys that work on a case say so instead of acting."""

from __future__ import annotations

import asyncio
import json

import pytest
from queue_world import ME, FakeClock, queue_settings, screen_text, seed_queue, settle

from shopdesk.domain.filters import CaseFilter
from shopdesk.domain.intake.signatures import sign_base64
from shopdesk.services import Services
from shopdesk.store import open_store
from shopdesk.tui.app import ShopdeskApp
from shopdesk.tui.screens.delivery import DeliveryScreen, body_excerpt
from shopdesk.tui.screens.queue import QueueScreen
from shopdesk.tui.widgets.case_table import PagedTable
from shopdesk.tui.widgets.key_bar import KeyBar

SECRET = "whsec_tui_test_secret_0123456789"
# Signed, but WooCommerce's order id must be a number: quarantined.
BODY = json.dumps({"id": "not-a-number", "number": "A-77", "billing": {"first_name": "Wei"},
                   "note": "x" * 60}).encode()
ERROR_END = "at `$.id`"  # the error names the path at its very end: cut off in the table


WORLD = "queue"  # the `services` fixture: tests/tui/conftest.py


async def quarantine(services: Services, body: bytes = BODY, topic: str = "order.created") -> None:
    await services.sources.add("woo", "woocommerce", SECRET)
    receipt = await services.intake.receive("woo", {
        "x-wc-webhook-topic": topic,
        "x-wc-webhook-source": "https://shop.example.com/",
        "x-wc-webhook-delivery-id": "4711",
        "x-wc-webhook-signature": sign_base64(SECRET, body),
        "user-agent": "WooCommerce/9.1 Hookshot (WordPress/6.5)",
    }, body)
    assert receipt.status == "quarantined", receipt


def app_for(services, lang: str = "en") -> ShopdeskApp:
    return ShopdeskApp(services, operator=ME, lang=lang)


async def to_problems(pilot) -> PagedTable:
    await settle(pilot)
    await pilot.press("8")
    await settle(pilot)
    problems = pilot.app.screen.query_one("#intake", PagedTable)
    assert problems.total == 1
    return problems


async def test_enter_shows_the_whole_delivery_and_escape_comes_back(services):
    await quarantine(services)
    [delivery] = await services.intake.problems()
    assert delivery.error.endswith(ERROR_END)
    app = app_for(services)
    async with app.run_test(size=(80, 40)) as pilot:
        await to_problems(pilot)
        assert ERROR_END not in screen_text(app)  # the table cuts the error
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DeliveryScreen)
        text = screen_text(app)
        assert f"Delivery #{delivery.id}" in text
        assert "woo" in text and "order.created" in text
        assert "2026-11-23 14:00:00 Asia/Shanghai" in text  # received, in shop time (06:00 UTC)
        assert delivery.error in " ".join(text.split())  # the whole error (it may wrap)
        lines = [" ".join(line.split()) for line in text.splitlines()]
        assert any("x-wc-webhook-delivery-id: 4711" in line for line in lines)
        assert any("user-agent: WooCommerce/9.1 Hookshot" in line for line in lines)
        assert f"Body, {len(BODY)} bytes" in text
        assert '"id": "not-a-number"' in text  # laid out as JSON
        assert "x-wc-webhook-signature" not in text  # intake does not keep it
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert app.screen.view_id == "intake"
        assert app.screen.query_one("#intake", PagedTable).has_focus


async def test_the_delivery_reads_at_80x24_in_chinese(services):
    await quarantine(services)
    app = app_for(services, "zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await to_problems(pilot)
        await pilot.press("enter")
        await settle(pilot)
        text = screen_text(app)
        assert "推送 #1" in text and "来源" in text and "收到时间" in text
        assert "2026-11-23 14:00:00 Asia/Shanghai" in text
        assert "Esc 返回" in text
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)


async def test_case_keys_in_problems_say_they_work_on_cases_and_change_nothing(services):
    await seed_queue(services)
    await quarantine(services)
    before = [(case.ref, case.version) for case in await services.cases.list(CaseFilter(),
                                                                             limit=500)]
    app = app_for(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_problems(pilot)
        footer = screen_text(app).splitlines()[-1]
        assert "Open" in footer and "Help" in footer
        for label in ("Triage", "Assign", "Note", "Escalate"):
            assert label not in footer, footer
        for key, label in (("t", "Triage"), ("a", "Assign"), ("r", "Resolve"), ("x", "Close")):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, QueueScreen), key  # no form opened
            messages = [n.message for n in app._notifications]
            assert f"{label} works on cases; this is a webhook delivery. enter shows it." in (
                messages), messages
            assert "No case is highlighted." not in messages
        await pilot.press("6")  # a case view: the case keys are back in the footer
        await settle(pilot)
        assert "Triage" in screen_text(app).splitlines()[-1]
    after = [(case.ref, case.version) for case in await services.cases.list(CaseFilter(),
                                                                            limit=500)]
    assert after == before


async def test_enter_on_an_empty_problems_view_only_says_so(services):
    app = app_for(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("8")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert "No intake problems: every delivery was mapped." in [
            n.message for n in app._notifications]
        assert app.screen.query_one(KeyBar)  # still the queue


def test_body_excerpt_cuts_big_bodies_and_keeps_text_that_is_not_json():
    heading, text = body_excerpt(b"")
    assert heading == "Body: empty" and text == ""
    heading, text = body_excerpt(b"total=12&name=\xe5\xbc\xa0")  # form-encoded, UTF-8 name
    assert heading == "Body, 17 bytes" and text == "total=12&name=张"
    heading, text = body_excerpt(b"\xff\xfe{}")
    assert text == "\ufffd\ufffd{}"
    big = json.dumps({"items": ["x" * 100] * 100}).encode()
    heading, text = body_excerpt(big, limit=1000)
    assert heading == f"Body, first 1000 of {len(big)} bytes"
    assert len(text) == 1000 and text.startswith('{"items"')


# --- how it looks -----------------------------------------------------------------------------------


@pytest.fixture
def problem_store(tmp_path):
    path = tmp_path / "snap.db"

    async def seed() -> None:
        async with open_store(path) as store:
            services = Services(store, queue_settings(), clock=FakeClock())
            await seed_queue(services)
            await quarantine(services)
            await services.intake.aclose()

    asyncio.run(seed())
    return path


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_snapshot_delivery_at_80x24(snap_compare, problem_store, lang):
    async def open_delivery(pilot) -> None:
        await settle(pilot)
        await pilot.press("8")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)

    app = ShopdeskApp.for_store(problem_store, operator=ME, settings=queue_settings(),
                                clock=FakeClock(), lang=lang)
    assert snap_compare(app, terminal_size=(80, 24), run_before=open_delivery)
