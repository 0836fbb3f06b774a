"""What the queue and the incidents board share: every registry key bound, and what those keys do
when the screen shows a list of cases (the highlighted one is the case an action works on).

Actions that need a case go to `shopdesk.tui.action_runner.run_action(screen, action_id, case)`
(the case engineer's: it asks with a modal, calls the service and notifies), in a worker so the
modal can be awaited. enter opens `CaseScreen(services, ref)`; R reports; E exports the view.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from textual.screen import Screen

from shopdesk.domain.cases import Case
from shopdesk.domain.errors import ShopdeskError
from shopdesk.domain.filters import CaseFilter
from shopdesk.tui.actions import ACTIONS
from shopdesk.tui.commands import install_registry_bindings
from shopdesk.tui.i18n import t
from shopdesk.tui.messages import CasesChanged

if TYPE_CHECKING:
    from shopdesk.services import Services

log = logging.getLogger(__name__)


def optional_module(name: str) -> Any | None:
    """A module another engineer owns, or None while it does not exist yet."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name and name.startswith(error.name):
            return None
        raise


class DeskScreen(Screen[None]):
    """A screen with the registry's keys. Subclasses say which case is highlighted."""

    def __init__(self, services: Services, *, operator: str, name: str | None = None,
                 id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.services = services
        self.operator = operator
        install_registry_bindings(self)

    # --- what subclasses provide --------------------------------------------------------------

    def highlighted_case(self) -> Case | None:
        return None

    def current_filter(self) -> CaseFilter | None:
        """The filter of what the screen shows (for E export)."""
        return None

    async def reload(self) -> None:
        """Read the store again (called on CasesChanged)."""

    def on_cases_changed(self, message: CasesChanged) -> None:
        self.run_worker(self.reload(), group="reload", exclusive=True, exit_on_error=False)

    # --- case actions -----------------------------------------------------------------------------

    def run_case_action(self, action_id: str) -> None:
        case = self.highlighted_case()
        if case is None:
            self.notify(t("desk.no_case"), severity="warning")
            return
        runner = optional_module("shopdesk.tui.action_runner")
        if runner is None or not hasattr(runner, "run_action"):
            self.notify(t("desk.not_available", what=t(f"action.{action_id}")), severity="warning")
            return
        self.run_worker(
            runner.run_action(self, action_id, case), group="action", exit_on_error=False
        )

    def action_open_case(self) -> None:
        case = self.highlighted_case()
        if case is None:
            self.notify(t("desk.no_case"), severity="warning")
            return
        module = optional_module("shopdesk.tui.screens.case")
        if module is None or not hasattr(module, "CaseScreen"):
            self.notify(t("desk.not_available", what=t("action.open")), severity="warning")
            return
        self.app.push_screen(module.CaseScreen(self.services, case.ref))

    # --- marking rows and linking them to an incident -------------------------------------------

    def marking_table(self):
        """The case table space marks rows in: the focused one, else the first on the screen."""
        from shopdesk.tui.widgets.case_table import CaseTable

        tables = list(self.query(CaseTable))
        focused = [table for table in tables if table.has_focus]
        return (focused or tables or [None])[0]

    def action_mark(self) -> None:
        table = self.marking_table()
        if table is None or table.current is None:
            self.notify(t("desk.no_case"), severity="warning")
            return
        count = table.toggle_mark()
        self.notify(t("incident.marked", count=count), timeout=2)

    def action_link_marked(self) -> None:
        """Link the marked cases, or the highlighted one, to an incident."""
        table = self.marking_table()
        cases = list(table.marked.values()) if table is not None and table.marked else []
        if not cases and self.highlighted_case() is not None:
            cases = [self.highlighted_case()]
        if not cases:
            self.notify(t("desk.no_case"), severity="warning")
            return
        from shopdesk.tui import incident_flows

        self.run_worker(
            incident_flows.link_marked(self, [case.ref for case in cases],
                                       table.clear_marks if table is not None else lambda: None),
            group="action", exit_on_error=False)

    # --- actions without a case -------------------------------------------------------------------

    def action_incidents(self) -> None:
        """The incidents board: opened from the queue (QueueScreen); on the board itself, i does
        nothing."""

    def action_outbox(self) -> None:
        from shopdesk.tui.screens.outbox import OutboxScreen

        self.app.push_screen(OutboxScreen(self.services, operator=self.operator))

    def action_reports(self) -> None:
        module = optional_module("shopdesk.tui.screens.reports")
        if module is None or not hasattr(module, "ReportsScreen"):
            self.notify(t("desk.not_available", what=t("action.reports")), severity="warning")
            return
        self.app.push_screen(module.ReportsScreen(self.services))

    def action_calendar(self) -> None:
        from shopdesk.tui.screens.calendar import CalendarScreen

        self.app.push_screen(CalendarScreen(self.services))

    def action_export(self) -> None:
        case_filter = self.current_filter()
        if case_filter is None:
            self.notify(t("desk.nothing_to_export"), severity="warning")
            return
        module = optional_module("shopdesk.tui.export_view")
        export = getattr(module, "export_view", None) if module is not None else None
        if export is None:
            self.notify(t("desk.not_available", what=t("action.export")), severity="warning")
            return
        sort = getattr(self, "sort", None)  # the rows in the order on screen
        self.run_worker(export(self, self.services, case_filter, sort=sort), group="export",
                        exit_on_error=False)

    def action_activity(self) -> None:
        self.run_worker(self._show_activity(), group="activity", exit_on_error=False)

    async def _show_activity(self) -> None:
        """L: what changed since you last looked; closing it marks it all seen."""
        from zoneinfo import ZoneInfo

        from shopdesk.tui.screens.activity import ActivityScreen

        activity = self.services.activity
        latest = await activity.latest()
        mark = getattr(self.app, "activity_mark", None)
        events = await activity.since(mark or 0, not_by=self.operator)
        since = (t("activity.since", count=len(events)) if events and mark is not None
                 else t("activity.nothing") if not events else t("activity.recent"))
        if not events and mark is not None:  # nothing new: the latest lines, to look back
            events = await activity.since(0, not_by=self.operator)
        screen = ActivityScreen(events, ZoneInfo(self.services.settings.timezone),
                                since_text=since)
        ref = await self.app.push_screen_wait(screen)
        try:
            await activity.mark_seen(self.operator, latest)
        except ShopdeskError as error:  # a store that cannot be written: seen for this session
            log.info("activity mark not stored: %s", error.detail)
        if hasattr(self.app, "activity_mark"):
            self.app.activity_mark = latest
        if ref:
            opener = getattr(self, "open_case_ref", None)
            if opener is not None:
                opener(ref)

    def action_help(self) -> None:
        from shopdesk.tui.screens.help import help_for_case

        self.app.push_screen(help_for_case(self, self.highlighted_case()))

    def action_quit(self) -> None:
        self.app.exit()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_filter(self) -> None:
        pass

    def action_sort(self) -> None:
        pass


def _case_action(action_id: str):
    def action(self: DeskScreen) -> None:
        self.run_case_action(action_id)

    action.__name__ = f"action_{action_id}"
    action.__doc__ = f"Run the registry action {action_id!r} on the highlighted case."
    return action


for _spec in ACTIONS:
    if _spec.needs_case and _spec.id != "open_case":
        setattr(DeskScreen, f"action_{_spec.id}", _case_action(_spec.id))
