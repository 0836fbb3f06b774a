"""ctrl+c over a form with typed text asks before quitting (QA N18); without typed text it quits."""

from __future__ import annotations

from queue_world import ME, settle

from shopdesk.tui.app import ShopdeskApp
from shopdesk.tui.modals.forms import FormModal
from shopdesk.tui.quit_guard import QuitConfirm


WORLD = "seeded queue"  # the `services` fixture: tests/tui/conftest.py


async def open_note_form(pilot) -> FormModal:
    await pilot.press("n")  # note on the highlighted case
    await settle(pilot)
    assert isinstance(pilot.app.screen, FormModal)
    return pilot.app.screen


async def test_ctrl_c_with_a_typed_note_asks_and_n_keeps_the_text(services):
    app = ShopdeskApp(services, operator=ME, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        form = await open_note_form(pilot)
        await pilot.press(*"customer called twice")
        await pilot.press("ctrl+c")
        await settle(pilot)
        assert isinstance(app.screen, QuitConfirm) and app.is_running
        assert "lost" in app.screen.question
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is form and app.is_running
        assert form.values()["text"] == "customer called twice"
        await pilot.press("ctrl+c")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
    assert app.return_code == 0


async def test_ctrl_c_twice_quits(services):
    app = ShopdeskApp(services, operator=ME, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_note_form(pilot)
        await pilot.press(*"half a note")
        await pilot.press("ctrl+c")
        await settle(pilot)
        assert isinstance(app.screen, QuitConfirm)
        await pilot.press("ctrl+c")
        await settle(pilot)
    assert app.return_code == 0


async def test_ctrl_c_over_an_empty_form_or_the_queue_quits_at_once(services):
    app = ShopdeskApp(services, operator=ME, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_note_form(pilot)
        await pilot.press("ctrl+c")
        await settle(pilot)
        assert not app.is_running
    assert app.return_code == 0


async def test_a_changed_choice_counts_as_typed(services):
    app = ShopdeskApp(services, operator=ME, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("N")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormModal)
        form.set_value("kind", "lost")
        await pilot.press("ctrl+c")
        await settle(pilot)
        assert isinstance(app.screen, QuitConfirm)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is form and form.values()["kind"] == "lost"
