"""SVG snapshots of the queue (and `?` help) at 80x24 and 120x40, English and Chinese.

snap_compare runs the app on a loop of its own, so these are sync tests and the app opens its
store itself (ShopdeskApp.for_store) on a file seeded beforehand, with a fixed clock.
Update after a deliberate change: pytest tests/tui/test_queue_snapshots.py --snapshot-update
"""

from __future__ import annotations

import pytest
from queue_world import ME, FakeClock, queue_settings, seed_file, settle

from shopdesk.tui import i18n
from shopdesk.tui.app import ShopdeskApp


@pytest.fixture
def store_file(tmp_path):
    path = tmp_path / "snap.db"
    seed_file(path)
    yield path
    i18n.set_language("en")


def make_app(path, lang: str) -> ShopdeskApp:
    return ShopdeskApp.for_store(path, operator=ME, settings=queue_settings(), clock=FakeClock(),
                                 lang=lang, api_note="API 127.0.0.1:8765")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_queue(snap_compare, store_file, lang, size):
    assert snap_compare(make_app(store_file, lang), terminal_size=size, run_before=settle)


def test_queue_filtered_and_on_another_row(snap_compare, store_file):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("down", "down", "slash", "f", "i", "l", "enter", "down")
        await settle(pilot)

    assert snap_compare(make_app(store_file, "en"), terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_help(snap_compare, store_file, lang):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(make_app(store_file, lang), terminal_size=(80, 24), run_before=run_before)
