"""Export a view (or a summary) to CSV from the TUI, with a progress bar in a small modal.

`export_view(screen, services, case_filter, kind="cases", sort=...)` is what the desk's `E` key
runs in a worker: it asks where to write (a file in the user's documents folder, else the home
folder, proposed) and whether to start with a BOM (yes when the UI is Chinese or the config says
so), writes the rows in the order on screen through `services.exports.write` with a progress
callback, closes the modal and notifies the path, or the error. Nothing is left half-written: the
service writes whole or not at all; an existing file is never overwritten.
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
    """The user's documents folder if there is one, else the home folder (not the directory
    shopdesk happened to be started in)."""
    import platformdirs

    home = Path.home()
    try:
        documents = platformdirs.user_documents_path()
    except Exception:  # no documents folder known on this system
        documents = home
    for directory in (documents, home):
        if directory.is_dir() and os.access(directory, os.W_OK):
            return directory
    from shopdesk import paths

    directory = paths.default_db().parent
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def bom_by_default(services: Services) -> bool:
    """A BOM (Excel then reads the Chinese right) when the UI is Chinese or the config asks."""
    from shopdesk.tui.i18n import language

    return services.settings.csv_bom or language() == "zh"


def chosen_path(typed: str, proposed: Path) -> Path:
    """The file to write: as typed (~ expanded; a folder gets the proposed file name in it).
    Refused naming the field: no folder there, a folder not writable, a file already there."""
    from shopdesk.domain.errors import ValidationError
    from shopdesk.tui.i18n import t

    text = typed.strip()
    if not text:
        raise ValidationError(t("export.path_needed"), field="path")
    path = Path(text).expanduser()
    if path.is_dir():
        path = path / proposed.name
    if not path.parent.is_dir():
        raise ValidationError(t("export.no_folder", folder=str(path.parent)), field="path")
    if not os.access(path.parent, os.W_OK):
        raise ValidationError(t("export.not_writable", folder=str(path.parent)), field="path")
    if path.exists():
        raise ValidationError(t("export.exists", path=str(path)), field="path")
    return path


async def ask_where(app: Any, services: Services, kind: str) -> tuple[Path, bool] | None:
    """The export form: where to write (proposed: documents or home folder) and the BOM."""
    from shopdesk.tui.i18n import t
    from shopdesk.tui.modals.forms import FormField, FormModal

    proposed = export_path(services, kind, export_directory())
    fields = [
        FormField("path", t("export.path"), value=str(proposed)),
        FormField("bom", t("export.bom"), "select",
                  [(t("export.bom_yes"), "yes"), (t("export.bom_no"), "no")],
                  "yes" if bom_by_default(services) else "no"),
    ]

    async def check(values: dict[str, str]) -> tuple[Path, bool]:
        return chosen_path(values["path"], proposed), values["bom"] == "yes"

    form = FormModal(t("export.where", kind=kind), fields, check, focus="path",
                     intro=t("export.where_intro"))
    return await app.push_screen_wait(form)


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
    sort: str | None = None,
    ask: bool = True,
) -> Path | None:
    """Write the export of `kind` for `case_filter` (rows in `sort`, the screen's order); asks
    where first unless given a `directory` or `ask=False`. Returns the path, or None when it
    failed or was cancelled."""
    app = getattr(screen, "app", screen)
    bom: bool | None = None
    if directory is None and ask:
        answer = await ask_where(app, services, kind)
        if answer is None:
            return None
        chosen, bom = answer
    else:
        chosen = export_path(services, kind, directory)
    progress = ExportProgress(kind)
    await app.push_screen(progress)
    try:
        path = chosen
        rows = await services.exports.write(
            kind, case_filter, path, progress=progress.advance, bom=bom, sort=sort
        )
    except (ShopdeskError, OSError) as error:
        progress.dismiss()
        app.notify(text("export.failed", error=str(error)), severity="error", timeout=8)
        return None
    progress.dismiss()
    app.notify(text("export.done", rows=rows, path=str(path)), timeout=8)
    return path
