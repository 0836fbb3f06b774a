"""ctrl+c quits at once — unless a form holds typed text: then it asks first (QA N18).

Many operators press ctrl+c to copy (Windows terminals, SSH clients); losing a half-written note or
contact summary to it is worse than one question. `y` quits, `n`/escape goes back to the form with
everything kept; ctrl+c again while asked quits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.css.query import NoMatches
from textual.widgets import Select

from shopdesk.tui.i18n import t
from shopdesk.tui.modals.confirm import ConfirmModal
from shopdesk.tui.modals.forms import FormModal

if TYPE_CHECKING:
    from textual.app import App


class QuitConfirm(ConfirmModal):
    """The question ctrl+c asks over a form with typed text."""


def form_has_typed_text(form: FormModal) -> bool:
    """A field differs from what the form started with (a select: from its first choice)."""
    try:
        values = form.values()
    except NoMatches:  # the form is still being built or already closing: nothing to lose
        return False
    for field in form.fields:
        if field.name not in values:
            continue
        start = field.value
        if field.kind == "select":
            choices = [value for _, value in field.options]
            start = field.value if field.value in choices else (choices[0] if choices else "")
            if values[field.name] in ("", str(Select.NULL)):
                continue
        if values[field.name].strip() != start.strip():
            return True
    return False


def quit_or_ask(app: App) -> None:
    """What ctrl+c does: quit, or ask first when a form on the stack holds typed text."""
    if isinstance(app.screen, QuitConfirm):  # ctrl+c twice: the user means it
        app.exit(0)
        return
    if not any(isinstance(screen, FormModal) and form_has_typed_text(screen)
               for screen in app.screen_stack):
        app.exit(0)
        return

    def answered(quit_now: bool | None) -> None:
        if quit_now:
            app.exit(0)

    app.push_screen(QuitConfirm(t("quit.confirm_form")), answered)
