"""The case screen: everything about one case, and every action on it by key.

The header (ref, urgent marker, level, status, tier, assignee, both SLA clocks) stays in view; the
body scrolls by keyboard: order and customer, facts, responsibility, remedies, survey, incidents
and the timeline, newest first. Wide terminals get two columns of bordered panels, narrow ones one
column of headed sections; empty sections collapse away.

Nothing is read in compose: the detail loads in a worker after mount and again whenever the
case changes (a service change for this ref, or the app's `CasesChanged` when the case's version
moved), and every 30 s for the clocks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from shopdesk.domain.cases import Case, CaseDetail
from shopdesk.domain.errors import ShopdeskError
from shopdesk.domain.sla import day_length
from shopdesk.services.changes import Change
from shopdesk.tui.action_runner import FLOWS, actor_of, run_action
from shopdesk.tui.actions import ACTIONS, ACTIONS_BY_ID, ActionSpec, case_keys
from shopdesk.tui.commands import install_registry_bindings
from shopdesk.tui.i18n import language, t
from shopdesk.tui.messages import CasesChanged
from shopdesk.tui.safe_text import plain
from shopdesk.tui.widgets.case_panels import Presenter
from shopdesk.tui.widgets.key_bar import KeyBar

if TYPE_CHECKING:
    from shopdesk.services import Services

NARROW_BELOW = 100
"""Terminal width under which the panels stack in one column."""

CASE_ACTIONS: tuple[ActionSpec, ...] = tuple(
    spec for spec in ACTIONS if spec.needs_case and spec.id in FLOWS
)
"""Every registry action that works on a case (all but open, which is the queue's)."""


SCREEN_ACTIONS: tuple[ActionSpec, ...] = (
    *CASE_ACTIONS,
    *(ACTIONS_BY_ID[action_id] for action_id in ("incidents", "help", "back", "quit")),
)
"""The keys of this screen: the case actions, the incidents board, help, escape back, quit."""


class CaseScreen(Screen[None]):
    DEFAULT_CSS = """
    CaseScreen {
        layout: vertical;
    }
    CaseScreen #case-head {
        height: auto;
        padding: 0 1;
        background: $boost;
    }
    CaseScreen #case-body {
        height: 1fr;
        padding: 0 1;
    }
    CaseScreen #case-body:focus {
        background-tint: $foreground 0%;
    }
    CaseScreen #case-columns {
        height: auto;
    }
    CaseScreen .case-column {
        width: 1fr;
        height: auto;
    }
    CaseScreen .panel {
        height: auto;
        border: round $primary-darken-2;
        border-title-color: $text-accent;
        padding: 0 1;
    }
    CaseScreen .panel.-empty {
        display: none;
    }
    CaseScreen.-narrow #case-columns {
        layout: vertical;
    }
    CaseScreen.-narrow .panel {
        border: none;
        border-top: solid $primary-darken-2;
        padding: 0;
    }
    CaseScreen #case-message {
        padding: 1 2;
    }
    """

    # The navigation keys `?` help lists, besides the arrows, pgup/pgdn and home/end of the body.
    BINDINGS = [
        Binding("j", "scroll('down')", show=False, id="case.line_down"),
        Binding("k", "scroll('up')", show=False, id="case.line_up"),
        Binding("space", "scroll('page_down')", show=False, id="case.page_down"),
        Binding("g", "scroll('home')", show=False, id="case.top"),
        Binding("G", "scroll('end')", show=False, id="case.bottom"),
    ]

    @dataclass
    class Reload(Message):
        """The case (or something shown on it) changed; a burst becomes one reload."""

        ref: str

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, CaseScreen.Reload)

    def __init__(self, services: Services, ref: str) -> None:
        super().__init__()
        install_registry_bindings(self, SCREEN_ACTIONS)
        self.services = services
        self.ref = ref.strip().upper()
        self.case: Case | None = None
        self.detail: CaseDetail | None = None
        self._unsubscribe: Callable[[], None] | None = None

    # --- building -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="case-head"):
            yield Static(t("case.loading", ref=self.ref), id="case-header")
            yield Static("", id="case-clocks")
        with VerticalScroll(id="case-body"):
            with Horizontal(id="case-columns"):
                with Vertical(classes="case-column", id="case-left"):
                    yield self._panel("order", "case.panel_order")
                    yield self._panel("responsibility", "case.panel_responsibility")
                with Vertical(classes="case-column", id="case-right"):
                    yield self._panel("facts", "case.panel_facts")
                    yield self._panel("remedies", "case.panel_remedies")
                    yield self._panel("survey", "case.panel_survey")
                    yield self._panel("incidents", "case.panel_incidents")
            yield self._panel("timeline", "case.panel_timeline")
        back = replace(ACTIONS_BY_ID["back"], footer=True)  # first: the way out of this screen
        yield KeyBar((back, *SCREEN_ACTIONS), supported={spec.id for spec in SCREEN_ACTIONS})

    @staticmethod
    def _panel(name: str, title_key: str) -> Static:
        panel = Static("", id=f"panel-{name}", classes="panel -empty")
        panel.border_title = t(title_key)
        return panel

    def on_mount(self) -> None:
        self.title = self.ref
        self._unsubscribe = self.services.changes.subscribe(self._changed)
        self.set_interval(30, self.load, name="clock-tick")
        self.query_one("#case-body").focus()
        self.load()

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def on_resize(self) -> None:
        narrow = self.size.width < NARROW_BELOW
        if narrow != self.has_class("-narrow") and self.case is not None:
            self.load()  # the panels fold rows differently
        self.set_class(narrow, "-narrow")

    # --- live -------------------------------------------------------------------------------------

    def _changed(self, change: Change) -> None:
        """Service callback (any task): only this case, or an incident it may belong to."""
        if change.ref == self.ref or change.what == "incident":
            self.post_message(self.Reload(self.ref))

    @on(Reload)
    def _reload(self) -> None:
        self.load()

    def on_cases_changed(self, message: CasesChanged) -> None:
        """The app's `CasesChanged`: reload when it names this case or an incident; when it names
        nothing (another process wrote, a burst of intake), reload only if the case's version moved.
        """
        if self.ref in message.refs or "incident" in message.whats:
            self.load()
        elif not message.refs:
            self.check()

    @work(exclusive=True, group="case-check", exit_on_error=False)
    async def check(self) -> None:
        """One row read: has the case changed since it was shown?"""
        try:
            current = await self.services.cases.get(self.ref)
        except ShopdeskError:
            return
        if self.case is None or current.version != self.case.version:
            self.load()

    # --- loading ----------------------------------------------------------------------------------

    @work(exclusive=True, group="case-load", exit_on_error=False)
    async def load(self) -> None:
        try:
            detail = await self.services.cases.detail(self.ref)
            clocks = await self.services.cases.clocks(detail.case)
        except ShopdeskError as error:
            self.query_one("#case-header", Static).update(plain(error.detail))
            self.notify(error.detail, severity="error", markup=False)
            return
        settings = self.services.settings
        case = detail.case
        calendar = self.services.calendar
        starts = (case.opened_at, case.reopened_at or case.opened_at)
        pushed = tuple(
            None if clock is None or (name := calendar.pushed_by(start, clock.due_at)) is None
            else name.text(language())
            for clock, start in zip(clocks, starts, strict=True)
        )
        presenter = Presenter(
            detail, clocks, zone=ZoneInfo(settings.timezone), now=self.services.now(),
            business_day=day_length(self.services.policy.calendar),
            compact=self.size.width < NARROW_BELOW, pushed_by=pushed,
        )
        self.detail = detail
        self.case = detail.case
        self._show(presenter)
        role = actor_of(self, self.services).role
        self.query_one(KeyBar).follow_case(
            {spec.id for spec in case_keys(self.case.status, self.case.tier, role)})

    def _show(self, presenter: Presenter) -> None:
        self.query_one("#case-header", Static).update(presenter.header())
        self.query_one("#case-clocks", Static).update(presenter.clocks_table())
        panels = {
            "order": presenter.order_panel(),
            "facts": presenter.facts_panel(),
            "responsibility": presenter.responsibility_panel(),
            "remedies": presenter.remedies_panel(),
            "survey": presenter.survey_panel(),
            "incidents": presenter.incidents_panel(),
            "timeline": presenter.timeline(),
        }
        for name, renderable in panels.items():
            panel = self.query_one(f"#panel-{name}", Static)
            panel.set_class(renderable is None, "-empty")
            panel.update(renderable if renderable is not None else "")

    # --- actions ----------------------------------------------------------------------------------

    async def run_case_action(self, action_id: str) -> None:
        await run_action(self, action_id, self.case)

    def action_scroll(self, where: str) -> None:
        body = self.query_one("#case-body", VerticalScroll)
        {
            "down": body.scroll_down, "up": body.scroll_up, "page_down": body.scroll_page_down,
            "home": body.scroll_home, "end": body.scroll_end,
        }[where](animate=False)

    def action_back(self) -> None:
        self.dismiss(None)

    def action_incidents(self) -> None:
        """The incidents board: back to it when it is below in the stack, else on top."""
        from shopdesk.tui.screens.incidents import IncidentsScreen

        if any(isinstance(screen, IncidentsScreen) for screen in self.app.screen_stack):
            while not isinstance(self.app.screen, IncidentsScreen):
                self.app.pop_screen()
            return
        operator = getattr(self.app, "operator", None) or actor_of(self, self.services).name
        self.app.push_screen(IncidentsScreen(self.services, operator=operator))

    def action_help(self) -> None:
        from shopdesk.tui.screens.help import help_for_case

        self.app.push_screen(help_for_case(self, self.case))

    def action_quit(self) -> None:
        self.app.exit()


def _action_method(action_id: str):
    async def action(self: CaseScreen) -> None:
        await self.run_case_action(action_id)

    action.__name__ = f"action_{action_id}"
    action.__doc__ = f"Run the registry action {action_id!r} on this case."
    return action


for _spec in CASE_ACTIONS:
    setattr(CaseScreen, f"action_{_spec.id}", _action_method(_spec.id))
