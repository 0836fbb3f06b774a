"""Intake problems can be dismissed (QA N9): `d` on the delivery screen or in the Intake problems
view asks y/n, the delivery leaves the list and the tab's count and stays stored;
`shopdesk source problems --dismiss ID` does the same from the terminal."""

from __future__ import annotations

import sqlite3

import pytest
from queue_world import ME, FakeClock, queue_settings, screen_text, settle
from test_intake_problems import BODY, SECRET, quarantine

from shopdesk.domain.errors import ConflictError, NotFoundError, ValidationError
from shopdesk.domain.intake.signatures import sign_base64
from shopdesk.services import Services
from shopdesk.store import open_store
from shopdesk.tui.app import ShopdeskApp
from shopdesk.tui.modals.confirm import ConfirmModal
from shopdesk.tui.screens.delivery import DeliveryScreen
from shopdesk.tui.screens.queue import QueueScreen
from shopdesk.tui.widgets.case_table import PagedTable
from shopdesk.tui.widgets.view_tabs import ViewTabs


WORLD = "queue"  # the `services` fixture: tests/tui/conftest.py


async def second_problem(services: Services) -> None:
    body = BODY.replace(b"A-77", b"A-78")
    receipt = await services.intake.receive("woo", {
        "x-wc-webhook-topic": "order.updated",
        "x-wc-webhook-source": "https://shop.example.com/",
        "x-wc-webhook-delivery-id": "4712",
        "x-wc-webhook-signature": sign_base64(SECRET, body),
    }, body)
    assert receipt.status == "quarantined"


async def test_d_on_the_delivery_screen_asks_then_dismisses_it(services, tmp_path):
    await quarantine(services)
    await second_problem(services)
    first, second = await services.problems.list()  # newest first
    app = ShopdeskApp(services, operator=ME, lang="en")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("8")
        await settle(pilot)
        assert app.screen.query_one(ViewTabs).counts["intake"] == 2
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DeliveryScreen)
        assert "d dismiss" in screen_text(app)
        await pilot.press("d")
        await pilot.pause(0.1)  # not settle: the question's worker waits for the answer
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")  # changed her mind: nothing happens
        await settle(pilot)
        assert isinstance(app.screen, DeliveryScreen)
        assert await services.problems.count() == 2
        await pilot.press("d")
        await pilot.pause(0.1)
        await pilot.press("y")
        await settle(pilot, 0.3)
        assert isinstance(app.screen, QueueScreen)
        assert f"Delivery #{first.id} dismissed" in [n.message for n in app._notifications]
        assert [d.id for d in await services.problems.list()] == [second.id]
        assert app.screen.query_one(ViewTabs).counts["intake"] == 1
        assert app.screen.query_one("#intake", PagedTable).total == 1
    with sqlite3.connect(tmp_path / "desk.db") as db:  # still stored, as it arrived
        status, body = db.execute("SELECT status, body FROM deliveries WHERE id = ?",
                                  (first.id,)).fetchone()
        who = db.execute("SELECT dismissed_by FROM delivery_dismissals").fetchall()
    assert status == "quarantined" and bytes(body) == BODY.replace(b"A-77", b"A-78")
    assert who == [(ME,)]


async def test_d_in_the_problems_view_dismisses_the_highlighted_one(services):
    await quarantine(services)
    app = ShopdeskApp(services, operator=ME, lang="en")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("d")  # in a case view: says where it works
        await settle(pilot)
        assert "d dismisses a delivery in Intake problems (8)" in [
            n.message for n in app._notifications]
        await pilot.press("8")
        await settle(pilot)
        assert "d Dismiss" in screen_text(app).splitlines()[-1]  # in the footer here
        await pilot.press("d")
        await pilot.pause(0.1)
        await pilot.press("y")
        await settle(pilot, 0.3)
        assert await services.problems.count() == 0
        assert app.screen.query_one(ViewTabs).counts["intake"] == 0
        assert app.screen.query_one("#intake", PagedTable).total == 0


async def test_dismiss_refusals(services):
    await quarantine(services)
    [problem] = await services.problems.list()
    me = services.actor(ME)
    with pytest.raises(NotFoundError, match="no delivery #999"):
        await services.problems.dismiss(me, 999)
    with pytest.raises(ValidationError):
        await services.problems.dismiss(me, 0)
    await services.problems.dismiss(me, problem.id)
    with pytest.raises(ConflictError, match=f"dismissed already, by {ME}"):
        await services.problems.dismiss(me, problem.id)
    assert await services.problems.count() == 0
    # removing the source removes its deliveries, dismissed ones too
    await services.sources.remove("woo")
    assert await services.problems.count() == 0


def test_cli_source_problems_dismiss(tmp_path, capsys):
    import asyncio

    from shopdesk.cli import main

    path = tmp_path / "desk.db"

    async def seed() -> int:
        async with open_store(path) as store:
            services = Services(store, queue_settings(), clock=FakeClock())
            await quarantine(services)
            await services.intake.aclose()
            return (await services.problems.list())[0].id

    delivery_id = asyncio.run(seed())
    db = ["--db", str(path)]  # the OS account owning the store file: its first owner
    assert main([*db, "source", "problems"]) == 0
    assert f"#{delivery_id}" in capsys.readouterr().out
    assert main([*db, "source", "problems", "--dismiss", f"#{delivery_id}"]) == 0
    assert capsys.readouterr().out == f"dismissed delivery #{delivery_id}; it stays stored\n"
    assert main([*db, "source", "problems"]) == 0
    assert capsys.readouterr().out == "no quarantined deliveries\n"
    for bad, message in ((str(delivery_id), "dismissed already"), ("abc", "not 'abc'"),
                         ("77", "no delivery #77")):
        assert main([*db, "source", "problems", "--dismiss", bad]) == 2
        err = capsys.readouterr().err
        assert err.startswith("shopdesk: ") and message in err and err.count("\n") == 1
