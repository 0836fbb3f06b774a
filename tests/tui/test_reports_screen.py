"""ReportsScreen at 80x24 with the keyboard: the week's figures, period keys, export keys; and the
desk's E export helper with its progress modal."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from report_host import ReportsHost
from textual.app import App

from shopdesk.domain.filters import CaseFilter
from shopdesk.tui.export_view import ExportProgress, export_view
from shopdesk.tui.report_text import bar
from shopdesk.tui.screens.reports import ReportsScreen


def screen_text(app) -> str:
    """What the terminal shows, as plain text."""
    return "\n".join(
        "".join(segment.text for segment in strip)
        for strip in app.screen._compositor.render_strips()
    )


async def wait_loaded(app, pilot) -> ReportsScreen:
    await pilot.pause()
    await app.workers.wait_for_complete()
    for screen in app.screen_stack:
        await screen.workers.wait_for_complete()
    await pilot.pause()
    return app.screen


async def answer_export(app, pilot, folder: Path) -> None:
    """E, s, c, d ask where: write into `folder` (the proposed file name), then wait."""
    from shopdesk.tui.modals.forms import FormModal

    for _ in range(500):
        if isinstance(app.screen, FormModal):
            break
        await pilot.pause(0.01)
    assert isinstance(app.screen, FormModal)
    app.screen.query_one("#field-path").value = str(folder)
    await pilot.press("ctrl+s")
    for _ in range(500):
        if not isinstance(app.screen, FormModal):
            break
        await pilot.pause(0.01)
    await wait_loaded(app, pilot)


async def test_week_figures_period_keys_and_exports(week, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = ReportsHost(week)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_loaded(app, pilot)
        assert isinstance(screen, ReportsScreen)
        # now is Friday 2026-11-20: the last 7 days are 14..20 November
        assert screen.days == 7 and screen.summary is not None
        assert screen.summary.total == 5
        shown = screen_text(app)
        assert "last 7 days (2026-11-14 – 2026-11-20)" in shown
        assert "50%" in shown and "75%" in shown  # SLA compliance: first response, resolution
        assert "Cases by group" in shown and "█" in shown

        await pilot.press("0")
        await wait_loaded(app, pilot)
        assert screen.days == 0 and screen.summary.total == 6
        await pilot.press("3")
        await wait_loaded(app, pilot)
        assert screen.days == 30 and screen.summary.total == 6

        await pilot.press("7")
        await wait_loaded(app, pilot)
        await pilot.press("c")
        await answer_export(app, pilot, tmp_path)
        [carriers] = list(tmp_path.glob("shopdesk-carriers-*.csv"))
        rows = list(csv.DictReader(io.StringIO(carriers.read_text("utf-8-sig"))))
        assert [r["carrier"] for r in rows] == ["SF", "YTO"]
        assert any(str(carriers.name) in n.message for n in app._notifications)

        await pilot.press("s")
        await answer_export(app, pilot, tmp_path)
        await pilot.press("d")
        await answer_export(app, pilot, tmp_path)
        assert len(list(tmp_path.glob("shopdesk-summary-*.csv"))) == 1
        assert len(list(tmp_path.glob("shopdesk-departments-*.csv"))) == 1

        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ReportsScreen)


async def test_export_view_shows_progress_and_writes_the_view(week, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    original = ExportProgress.advance

    def spy(self, done: int, total: int) -> None:
        seen.append((done, total))
        original(self, done, total)

    ExportProgress.advance = spy
    try:
        app = App()
        async with app.run_test(size=(80, 24)) as pilot:
            path = await export_view(app, week, CaseFilter(urgent=True), directory=tmp_path)
            await pilot.pause()
            assert path is not None and path.parent == tmp_path
            rows = list(csv.DictReader(io.StringIO(path.read_text("utf-8"))))
            assert [r["ref"] for r in rows] == ["C-000004", "C-000005"]
            assert seen[-1] == (2, 2)
            assert not isinstance(app.screen, ExportProgress)
            assert any("Exported 2 rows" in n.message for n in app._notifications)

            bad = await export_view(app, week, None, directory=tmp_path / "missing")
            await pilot.pause()
            assert bad is None
            assert any("Export failed" in n.message for n in app._notifications)
            assert not isinstance(app.screen, ExportProgress)
    finally:
        ExportProgress.advance = original


def test_bars_use_eighth_blocks() -> None:
    assert bar(0, 10) == ""
    assert bar(10, 10, 4) == "████"
    assert bar(1, 8, 1) == "▏"
    assert bar(5, 10, 3) == "█▌"


async def test_desk_keys_r_and_e_on_the_queue(week, tmp_path: Path, monkeypatch) -> None:
    """The queue's R opens the reports screen; E asks where (the home folder here: it has no
    documents folder, and never the current directory) and writes the view in the order on
    screen."""
    from shopdesk.tui import i18n
    from shopdesk.tui.app import ShopdeskApp
    from shopdesk.tui.modals.forms import FormModal

    home, elsewhere = tmp_path / "home", tmp_path / "cwd"
    home.mkdir()
    elsewhere.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DOCUMENTS_DIR", str(home / "Documents"))  # none there
    monkeypatch.chdir(elsewhere)
    app = ShopdeskApp(week, operator="olga", lang="en")
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_loaded(app, pilot)
            on_screen = [app.screen.query_one("#cases").row_at(i).ref
                         for i in range(app.screen.query_one("#cases").total)]
            await pilot.press("E")
            for _ in range(500):
                if isinstance(app.screen, FormModal):
                    break
                await pilot.pause(0.01)
            form = app.screen
            assert isinstance(form, FormModal)
            assert form.values()["path"].startswith(str(home / "shopdesk-cases-"))
            assert form.values()["bom"] == "no"  # an English UI, no csv_bom in the config
            await pilot.press("ctrl+s")
            for _ in range(500):
                if list(home.glob("shopdesk-cases-*.csv")):
                    break
                await pilot.pause(0.01)
            await wait_loaded(app, pilot)
            assert list(elsewhere.iterdir()) == []
            exported = list(home.glob("shopdesk-cases-*.csv"))
            assert len(exported) == 1
            refs = [r["ref"] for r in csv.DictReader(io.StringIO(exported[0].read_text("utf-8")))]
            assert refs == on_screen  # the order on screen (queue order), not by ref
            await pilot.press("R")
            screen = await wait_loaded(app, pilot)
            assert isinstance(screen, ReportsScreen) and screen.summary is not None
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, ReportsScreen)
    finally:
        i18n.set_language("en")
