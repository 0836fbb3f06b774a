"""`?` help: every key of the action registry, then the navigation keys, from the same sources
as the footer and the command palette."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from shopdesk.tui.actions import ACTIONS
from shopdesk.tui.commands import key_display
from shopdesk.tui.i18n import t
from shopdesk.tui.views import VIEWS

NAVIGATION: tuple[tuple[str, str], ...] = (
    ("↑ ↓ j k", "help.nav.move"),
    ("PgUp PgDn", "help.nav.page"),
    ("Home End", "help.nav.ends"),
    (f"← → 1-{min(len(VIEWS), 9)}{' 0' if len(VIEWS) > 9 else ''}", "help.nav.views"),
    ("ctrl+p", "help.nav.palette"),
    ("ctrl+c", "help.nav.quit"),
)


def help_table(allowed: set[str] | None = None, now: str = "") -> Table:
    """Every key. Given the case keys `allowed` now (tui/actions.case_keys), the others are dim
    and marked, and `now` (which case, which role) heads the table."""
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True, style="bold")
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")  # Chinese has no spaces to wrap at
    if now:
        table.add_row(Text(now, style="italic"), "", "")
    for spec in ACTIONS:
        if allowed is not None and spec.needs_case and spec.id != "open_case" \
                and spec.id not in allowed:
            table.add_row(Text(key_display(spec.key), style="dim"), Text(t(spec.label), style="dim"),
                          Text(f"{t(spec.help)} {t('help.not_now')}", style="dim"))
            continue
        table.add_row(key_display(spec.key), t(spec.label), t(spec.help))
    table.add_row("", "", "")
    table.add_row(Text(t("help.navigation"), style="bold"), "", "")
    for keys, help_key in NAVIGATION:
        table.add_row(keys, "", t(help_key))
    return table


class HelpScreen(ModalScreen[None]):
    """All keys; any of escape, q or ? closes it."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen > VerticalScroll {
        width: 100%;
        max-width: 100;
        height: 100%;
        max-height: 60;
        border: round $primary;
        border-title-align: center;
        background: $surface;
        padding: 0 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss_help", show=False, id="help_close"),
    ]

    def __init__(self, allowed: set[str] | None = None, now: str = "") -> None:
        super().__init__()
        self.allowed = allowed
        self.now = now

    def compose(self) -> ComposeResult:
        scroll = VerticalScroll(Static(help_table(self.allowed, self.now), id="help-keys"))
        scroll.border_title = t("help.title")
        scroll.border_subtitle = t("help.subtitle")
        yield scroll

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_dismiss_help(self) -> None:
        self.dismiss(None)


def help_for_case(screen, case) -> HelpScreen:
    """Help that marks which case keys work on `case` for the screen's operator."""
    from shopdesk.tui.action_runner import actor_of, services_of
    from shopdesk.tui.actions import case_keys
    from shopdesk.tui.vocabulary import status_label

    if case is None:
        return HelpScreen()
    actor = actor_of(screen, services_of(screen))
    allowed = {spec.id for spec in case_keys(case.status, case.tier, actor.role)}
    now = t("help.now", ref=case.ref, status=status_label(case.status), name=actor.name,
            role=t(f"role.{actor.role}"))
    return HelpScreen(allowed, now)
