"""One registry, three places: bindings, `?` help and the command palette agree; the incidents
board; the intake problems view; the TUI and the API in one loop."""

from __future__ import annotations

import json

from litestar.testing import AsyncTestClient
from queue_world import (
    ME,
    screen_text,
    seed_queue,
    settle,
    wait_until,
)

from shopdesk.domain.filters import CaseFilter
from shopdesk.domain.intake.signatures import sign_base64, sign_generic
from shopdesk.tui.actions import ACTIONS
from shopdesk.tui.app import ShopdeskApp
from shopdesk.tui.commands import RegistryProvider, key_display, supported_actions
from shopdesk.tui.i18n import t
from shopdesk.tui.screens.help import HelpScreen
from shopdesk.tui.screens.incidents import IncidentsScreen
from shopdesk.tui.screens.queue import QueueScreen
from shopdesk.tui.widgets.case_table import CaseTable, PagedTable
from shopdesk.tui.widgets.view_tabs import ViewTabs

SECRET = "whsec_tui_test_secret_0123456789"
# Actions of the incident board and the incident screen only (bound everywhere, done there).
INCIDENT_ONLY = {"declare", "incident_team", "incident_bulk", "incident_stable", "incident_close",
                 "incident_review"}


WORLD = "queue"  # the `services` fixture: tests/tui/conftest.py


def app_for(services, **options) -> ShopdeskApp:
    options.setdefault("lang", "en")
    return ShopdeskApp(services, operator=ME, **options)


async def test_every_registry_key_is_bound_on_the_queue(services):
    app = app_for(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        bound = {binding.id: key for key, binding in screen._bindings}
        for spec in ACTIONS:
            assert bound.get(spec.id) == spec.key, spec.id
            if spec.id not in INCIDENT_ONLY:
                assert callable(getattr(screen, f"action_{spec.id}")), spec.id
        assert {spec.id for spec in supported_actions(screen)} == {
            spec.id for spec in ACTIONS} - INCIDENT_ONLY


async def test_footer_shows_daily_keys_and_help_at_80_columns(services):
    app = app_for(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        footer = screen_text(app).splitlines()[-1]
        for action_id in ("help", "quit", "filter", "open_case", "triage"):
            spec = next(spec for spec in ACTIONS if spec.id == action_id)
            assert t(spec.label) in footer, (action_id, footer)


async def test_help_lists_every_key_with_its_help_line(services):
    app = app_for(services)
    async with app.run_test(size=(100, 70)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        for spec in ACTIONS:
            assert t(spec.label) in text, spec.id
            assert t(spec.help)[:30] in text, spec.id
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)


async def test_palette_offers_the_screen_actions_and_runs_them(services):
    await seed_queue(services)
    app = app_for(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        provider = RegistryProvider(app.screen)
        titles = [hit.display async for hit in provider.discover()]
        for spec in ACTIONS:
            if spec.id in ("help", "back") or spec.id in INCIDENT_ONLY:
                continue
            assert any(t(spec.label) in str(title) and key_display(spec.key) in str(title)
                       for title in titles), spec.id
        hits = [hit async for hit in provider.search("incid")]
        assert hits
        await hits[0].command()
        await settle(pilot)
        assert isinstance(app.screen, IncidentsScreen)


async def test_palette_opens_with_ctrl_p_and_runs_an_action_by_name(services):
    seeded = await seed_queue(services)
    app = app_for(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: "Triage (t)" in screen_text(app), 2.0)
        await pilot.press(*"urgent")
        await wait_until(pilot, lambda: "Urgent (u)" in screen_text(app), 2.0)
        await pilot.press("enter")
        await settle(pilot, 0.2)
        assert (await services.cases.get(seeded.overdue.ref)).urgent
        assert isinstance(app.screen, QueueScreen)


async def test_incidents_board_lists_incidents_and_their_cases(services):
    seeded = await seed_queue(services)
    boss = services.actor("sam")
    incident = await services.incidents.declare(boss, title="ZTO outage in Shanghai",
                                                type="carrier_outage", level=2)
    await services.incidents.link(boss, incident.id, CaseFilter(kinds=["lost", "damaged"]))
    app = app_for(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, IncidentsScreen)
        text = screen_text(app)
        assert incident.ref in text and "ZTO outage" in text and "2 cases" in text
        cases = app.screen.query_one("#incident-cases", CaseTable)
        refs = {cases.row_at(index).ref for index in range(cases.total)}
        assert refs == {seeded.lost.ref, seeded.overdue.ref}
        # a case action works on the highlighted linked case
        await pilot.press("tab")
        await pilot.press("u")
        await wait_until(pilot, lambda: len(app._notifications) > 0, 1.0)
        await settle(pilot)
        assert (await services.cases.get(cases.current.ref)).urgent
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)


async def test_incidents_board_when_there_are_none(services):
    app = app_for(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        assert "No incidents declared." in screen_text(app)


async def _generic_post(client, body: bytes, at: float):
    headers = {"Content-Type": "application/json",
               "Shopdesk-Signature": sign_generic(SECRET, body, int(at))}
    return await client.post("/webhooks/shop", content=body, headers=headers)


def _event(event_id: str, **extra) -> bytes:
    event = {
        "id": event_id, "type": "delivered", "occurred_at": "2026-11-23T02:00:00Z",
        "order": {"id": "7001", "number": "SO-7001",
                  "customer": {"name": "王芳", "phone": "13800138000"},
                  "total": "59.80", "paid": "59.80", "currency": "CNY", "status": "delivered"},
    }
    event.update(extra)
    return json.dumps(event, ensure_ascii=False).encode()


async def test_tui_and_api_in_one_loop_a_webhook_case_appears_on_the_queue(services):
    from shopdesk.api.app import create_app

    await services.sources.add("shop", "generic", SECRET)
    app = app_for(services)
    async with (
        AsyncTestClient(create_app(services), base_url="http://127.0.0.1:8765") as client,
        app.run_test(size=(80, 24)) as pilot,
    ):
            await settle(pilot)
            body = _event("evt_broken", report={"kind": "damaged", "level": 3,
                                                "title": "Tea set arrived broken"})
            response = await _generic_post(client, body, services.now().timestamp())
            assert response.status_code == 200, response.text
            ref = response.json()["case"]
            took = await wait_until(pilot, lambda: ref in screen_text(app), 1.0)
            assert took < 1.0
            line = next(line for line in screen_text(app).splitlines() if ref in line)
            assert "damaged" in line and "SO-7001" in line and "王芳" in line
            # a new L3 case: the operator is told
            await wait_until(pilot, lambda: any(ref in alert for alert in app.alerts), 1.0)


async def test_intake_problems_view_lists_quarantined_deliveries(services):
    from shopdesk.api.app import create_app

    await services.sources.add("woo", "woocommerce", SECRET)
    app = app_for(services)
    async with (
        AsyncTestClient(create_app(services), base_url="http://127.0.0.1:8765") as client,
        app.run_test(size=(80, 24)) as pilot,
    ):
            await settle(pilot)
            body = b'{"id": "not-a-number", "total": ['
            response = await client.post("/webhooks/woo", content=body, headers={
                "Content-Type": "application/json",
                "X-WC-Webhook-Source": "https://shop.example.com/",
                "X-WC-Webhook-Topic": "order.created",
                "X-WC-Webhook-Signature": sign_base64(SECRET, body),
                "X-WC-Webhook-Delivery-ID": "1",
            })
            assert response.status_code == 202, response.text
            tabs = app.screen.query_one(ViewTabs)
            await wait_until(pilot, lambda: tabs.counts["intake"] == 1, 1.5)
            await pilot.press("8")
            await settle(pilot)
            problems = app.screen.query_one("#intake", PagedTable)
            assert problems.total == 1 and problems.has_focus
            assert "woo" in screen_text(app) and "order.created" in screen_text(app)
            await pilot.press("t")  # no case here: case actions say so
            await settle(pilot)
            assert "Triage works on cases; this is a webhook delivery. enter shows it." in [
                n.message for n in app._notifications]
