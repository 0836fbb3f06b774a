"""Export a view (or a summary) to CSV from the TUI, with a progress bar in a small modal.

`export_view(screen, services, case_filter, kind="cases")` is what the desk's `E` key runs in a
worker: it picks a file name in the current directory (or the data directory when that is not
writable), writes through `services.exports.write` with a progress callback, closes the modal and
notifies the path, or the error. Nothing is left half-written: the service writes whole or not at
all.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, ProgressBar

from shopdesk.domain.errors import ShopdeskError
from shopdesk.domain.filters import CaseFilter
from shopdesk.tui.report_text import text

if TYPE_CHECKING:
    from shopdesk.services import Services


class ExportProgress(ModalScreen[None]):
    """A small box with the export's progress; closed by the export when it ends."""

    DEFAULT_CSS = """
    ExportProgress { align: center middle; }
    ExportProgress > Vertical {
        width: 60; height: auto; padding: 1 2; border: round $accent; background: $surface;
    }
    ExportProgress Label { width: 100%; }
    """

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(text("export.title", kind=self.kind), id="export-title")
            yield ProgressBar(total=None, show_eta=False, id="export-bar")
            yield Label("", id="export-count")

    def advance(self, done: int, total: int) -> None:
        self.query_one("#export-bar", ProgressBar).update(total=max(total, 1), progress=done)
        self.query_one("#export-count", Label).update(text("export.progress", done=done, total=total))


def export_directory() -> Path:
    """The current directory if writable, else the data directory."""
    cwd = Path.cwd()
    if os.access(cwd, os.W_OK):
        return cwd
    from shopdesk import paths

    directory = paths.default_db().parent
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def export_path(services: Services, kind: str, directory: Path | None = None) -> Path:
    """`shopdesk-<kind>-<YYYYmmdd-HHMMSS>.csv` (shop time), never an existing file."""
    from zoneinfo import ZoneInfo

    stamp = services.now().astimezone(ZoneInfo(services.settings.timezone)).strftime("%Y%m%d-%H%M%S")
    directory = directory or export_directory()
    path = directory / f"shopdesk-{kind}-{stamp}.csv"
    counter = 2
    while path.exists():
        path = directory / f"shopdesk-{kind}-{stamp}-{counter}.csv"
        counter += 1
    return path


async def export_view(
    screen: Any,
    services: Services,
    case_filter: CaseFilter | None,
    *,
    kind: str = "cases",
    directory: Path | None = None,
) -> Path | None:
    """Write the export of `kind` for `case_filter`; returns the path, or None when it failed."""
    app = getattr(screen, "app", screen)
    progress = ExportProgress(kind)
    await app.push_screen(progress)
    try:
        path = export_path(services, kind, directory)
        rows = await services.exports.write(
            kind, case_filter, path, progress=progress.advance
        )
    except (ShopdeskError, OSError) as error:
        progress.dismiss()
        app.notify(text("export.failed", error=str(error)), severity="error", timeout=8)
        return None
    progress.dismiss()
    app.notify(text("export.done", rows=rows, path=str(path)), timeout=8)
    return path
