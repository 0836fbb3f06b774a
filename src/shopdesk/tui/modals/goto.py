"""`g` go to a case: whatever the caller gives — a case ref (C-000036, c-36, 36), an order number,
a phone or a tracking number — finds the case in any status, closed ones included.

The modal asks `services.cases.find` itself (in a worker) and is dismissed with the ref of the case
to open: at once when one case matches, after a pick from the list when several do. Nothing found
or a refusal is a notification, and what was typed stays in the field.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar
from zoneinfo import ZoneInfo

from rich.cells import set_cell_size
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from shopdesk.domain.errors import ShopdeskError
from shopdesk.domain.plain_text import plain
from shopdesk.tui.i18n import t
from shopdesk.tui.vocabulary import kind_label, status_label

if TYPE_CHECKING:
    from shopdesk.domain.cases import Case
    from shopdesk.services import Services

MATCHES_SHOWN = 50


def match_line(case: Case, zone: ZoneInfo) -> Text:
    """One row of the pick list: ref, status, customer, order, kind, the day it was opened."""
    opened = case.opened_at.astimezone(zone)
    cells = (
        (case.ref, 8),
        (status_label(case.status), 8),
        (case.customer.name or case.customer.phone or case.customer.email or "—", 14),
        (case.order_number or "—", 9),
        (kind_label(case.kind), 12),
        (f"{opened:%Y-%m-%d}", 10),
    )
    return Text(" ".join(set_cell_size(plain(text), width) for text, width in cells).rstrip(),
                no_wrap=True, overflow="ellipsis")


class GotoModal(ModalScreen["str | None"]):
    """Dismissed with the ref of the case to open, or None (escape)."""

    DEFAULT_CSS = """
    GotoModal {
        align: center middle;
    }
    GotoModal > #goto {
        width: 78;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: round $accent;
        border-title-style: bold;
        background: $panel;
        padding: 0 1;
    }
    GotoModal #goto-hint {
        color: $text-muted;
    }
    GotoModal #goto-matches {
        height: auto;
        max-height: 12;
    }
    GotoModal .-hidden {
        display: none;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Back", show=False, id="goto.cancel"),
    ]

    def __init__(self, services: Services, text: str = "", *, look_up_now: bool = False) -> None:
        super().__init__()
        self.services = services
        self.text = text
        self.look_up_now = look_up_now
        self.matches: list[Case] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="goto") as box:
            box.border_title = t("goto.title")
            yield Input(value=self.text, placeholder=t("goto.placeholder"), id="goto-input")
            yield Static(t("goto.hint"), id="goto-hint")
            yield OptionList(id="goto-matches", classes="-hidden")

    def on_mount(self) -> None:
        self.query_one("#goto-input", Input).focus()
        if self.look_up_now and self.text.strip():
            self.run_worker(self.look_up(self.text), group="goto", exclusive=True,
                            exit_on_error=False)

    # --- looking up ------------------------------------------------------------------------------

    @on(Input.Submitted, "#goto-input")
    def _on_submitted(self, message: Input.Submitted) -> None:
        message.stop()
        text = self.query_one("#goto-input", Input).value  # the widget's value, not an event's
        self.run_worker(self.look_up(text), group="goto", exclusive=True, exit_on_error=False)

    async def look_up(self, text: str) -> None:
        try:
            cases = await self.services.cases.find(text, limit=MATCHES_SHOWN)
        except ShopdeskError as error:
            self.notify(str(error), severity="error", markup=False)
            return
        if not cases:
            self._show_matches([])
            self.notify(t("goto.none", text=text.strip()), severity="warning", markup=False)
            return
        if len(cases) == 1:
            self.dismiss(cases[0].ref)
            return
        self._show_matches(cases)

    def _show_matches(self, cases: list[Case]) -> None:
        self.matches = cases
        matches = self.query_one("#goto-matches", OptionList)
        hint = self.query_one("#goto-hint", Static)
        matches.clear_options()
        matches.set_class(not cases, "-hidden")
        if not cases:
            hint.update(t("goto.hint"))
            return
        zone = ZoneInfo(self.services.settings.timezone)
        matches.add_options([Option(match_line(case, zone), id=case.ref) for case in cases])
        key = "goto.many_more" if len(cases) >= MATCHES_SHOWN else "goto.many"
        hint.update(t(key, count=len(cases)))
        matches.highlighted = 0
        matches.focus()

    @on(OptionList.OptionSelected, "#goto-matches")
    def _on_picked(self, message: OptionList.OptionSelected) -> None:
        message.stop()
        if message.option.id:
            self.dismiss(message.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
