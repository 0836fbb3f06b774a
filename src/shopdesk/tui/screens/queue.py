"""The queue: views as tabs with live counts, the paged case table, `/` filter, `s` sort, `g` go to
any case (closed ones too).

`/` narrows the current view only; when it finds nothing here, the table and the status line say
how many other cases match (other views, resolved, closed) and `g` goes to them. In the intake
problems view, enter shows the delivery, `d` dismisses it, and the case keys say they work on cases.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.command import Hit, Hits, Provider
from textual.content import Content
from textual.widgets import Input, Static

from shopdesk.domain import money
from shopdesk.domain.cases import Case, case_ref, parse_case_ref
from shopdesk.domain.errors import NotFoundError, ShopdeskError
from shopdesk.domain.filters import CaseFilter
from shopdesk.domain.intake.records import Delivery
from shopdesk.tui.actions import ACTIONS_BY_ID, case_keys
from shopdesk.tui.i18n import t
from shopdesk.tui.modals.goto import GotoModal
from shopdesk.tui.screens.delivery import DeliveryScreen, confirm_and_dismiss
from shopdesk.tui.screens.desk import DeskScreen, optional_module
from shopdesk.tui.views import (
    DEFAULT_VIEW,
    INTAKE_VIEW,
    SORT_CYCLE,
    VIEW_IDS,
    VIEWS,
    view_key,
    IntakeProblems,
    view_filter,
    with_query,
)
from shopdesk.tui.vocabulary import local_time, remedy_label, status_label, tier_label
from shopdesk.tui.widgets.case_table import CasePages, CaseTable, Column, PagedTable
from shopdesk.tui.widgets.key_bar import KeyBar
from shopdesk.tui.widgets.sla_badge import short_duration
from shopdesk.tui.widgets.top_bar import TopBar
from shopdesk.tui.widgets.view_tabs import ViewTabs

if TYPE_CHECKING:
    from shopdesk.services import Services


def _problem_cell(*names: str):
    def cell(problem: Any, now) -> tuple[str, str]:
        for name in names:
            value = problem.get(name) if isinstance(problem, dict) else getattr(problem, name, None)
            if value not in (None, ""):
                if hasattr(value, "tzinfo"):
                    return short_duration(now - value), ""
                return str(value), ""
        return "", ""

    return cell


INTAKE_COLUMNS: tuple[Column, ...] = (
    Column("id", "col.delivery", 7, 0, _problem_cell("id")),
    Column("received", "col.received", 6, 1, _problem_cell("received_at"), justify="right"),
    Column("source", "col.source", 12, 2, _problem_cell("source_name", "source"), grow=6),
    Column("topic", "col.topic", 14, 3, _problem_cell("topic"), grow=6),
    Column("error", "col.error", 20, 1, _problem_cell("error", "reason"), grow=80),
)


class IntakePages:
    """A RowSource over the intake problems adapter."""

    def __init__(self, problems: IntakeProblems) -> None:
        self.problems = problems

    async def count(self) -> int:
        return await self.problems.count()

    async def rows(self, offset: int, limit: int) -> list:
        return await self.problems.list(limit=limit, offset=offset)


ELSEWHERE_COUNTED = 100  # "100+ elsewhere" beyond this
APPROVERS: frozenset[str] = frozenset({"supervisor", "owner"})  # roles told what awaits them
ESCALATED_WATCHED = 500  # escalated cases of one tier looked at for new ones
APPROVAL_ALERTS_LISTED = 5
APPROVAL_ALERT_SECONDS = 10.0


class CaseRefProvider(Provider):
    """ctrl+p: typing a case ref (C-000036, c-36, 36) offers "Go to C-000036", in any status."""

    async def search(self, query: str) -> Hits:
        ref = parse_case_ref(query)
        screen = self.screen
        if ref is None or not isinstance(screen, QueueScreen):
            return
        try:
            case = await screen.services.cases.get(ref)
        except NotFoundError:
            return
        title = t("goto.palette", ref=case.ref)
        who = case.customer.name or case.order_number or case.title
        yield Hit(1.0, Content(title), partial(screen.open_case_ref, case.ref), text=title,
                  help=t("goto.palette_help", status=status_label(case.status), who=who))


class QueueScreen(DeskScreen):
    """Where operators live all day."""

    COMMANDS: ClassVar[set] = {CaseRefProvider}

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right", "next_view", "Next view", show=False, id="next_view"),
        Binding("left", "previous_view", "Previous view", show=False, id="previous_view"),
        *[
            Binding(view_key(number), f"show_view('{view.id}')", show=False, id=f"view_{view.id}")
            for number, view in enumerate(VIEWS, start=1)
        ],
    ]

    def __init__(self, services: Services, *, operator: str, api_note: str | None = None) -> None:
        super().__init__(services, operator=operator, id="queue")
        self.api_note = api_note
        self.backup_note: str | None = None  # "backup 12-08 03:00": the last backup of the store
        self.view_id = DEFAULT_VIEW
        self.sort = SORT_CYCLE[0]
        self.query_text = ""
        self.intake = IntakeProblems(services)
        self.pages = CasePages(services, self._case_filter(), self.sort)
        self.elsewhere = 0  # cases outside the view that the filter text matches (none here)
        self._case_keys: list | None = None  # the footer's keys in a case view
        # what awaited this supervisor/owner at the last look (None: not looked yet)
        self._pending_remedy_ids: set[int] | None = None
        self._escalated_refs: set[str] | None = None
        self.approval_alerts: list[str] = []  # texts of the toasts raised (for tests)
        self.outbox_failed: int | None = None  # failed outbox messages at the last look

    # --- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield TopBar(self.services.settings.shop_name, self._top_rest(), id="topbar")
        yield ViewTabs(VIEWS, self.view_id, id="tabs")
        yield Input(placeholder=t("queue.filter_placeholder"), id="filter", classes="-hidden")
        yield CaseTable(source=self.pages, now=self.services.now, empty_text=t("queue.empty"),
                        id="cases")
        yield PagedTable(INTAKE_COLUMNS, source=IntakePages(self.intake), now=self.services.now,
                         empty_text=t("queue.no_problems"), id="intake", classes="-hidden")
        yield Static("", id="status")
        yield KeyBar()

    def _top_rest(self) -> list[str]:
        """What the top line says after the shop name: who you are and where the API is."""
        actor = self.services.actor(self.operator)
        parts = [t("queue.operator", name=actor.name, role=t(f"role.{actor.role}"))]
        if self.api_note:
            parts.append(self.api_note)
        if self.backup_note:
            parts.append(self.backup_note)
        return parts

    async def refresh_backup_note(self) -> None:
        """The last backup's time in the top line (none shown while no backup was ever made)."""
        last = await self.services.backups.last()
        note = None if last is None else t("queue.last_backup", when=local_time(
            last.at, ZoneInfo(self.services.settings.timezone), self.services.now()))
        if note != self.backup_note:
            self.backup_note = note
            self.query_one("#topbar", TopBar).set_rest(self._top_rest())

    def set_api_note(self, note: str | None) -> None:
        self.api_note = note
        self.query_one("#topbar", TopBar).set_rest(self._top_rest())

    def action_incidents(self) -> None:
        from shopdesk.tui.screens.incidents import IncidentsScreen

        self.app.push_screen(IncidentsScreen(self.services, operator=self.operator))

    async def on_mount(self) -> None:
        self.query_one("#cases", CaseTable).focus()
        self.run_worker(self.first_load(), group="reload", exclusive=True, exit_on_error=False)

    @property
    def first_paint_done(self) -> bool:
        """The first rows have arrived (the bench's "first paint")."""
        return self.query_one("#cases", CaseTable).loads > 0

    async def first_load(self) -> None:
        await self.query_one("#cases", CaseTable).reload(keep_cursor=False)
        self._update_status()
        await self.refresh_counts()
        await self.watch_approvals()
        settled = getattr(self.app, "startup_settled", None)
        if settled is not None:
            self.app.call_after_refresh(settled)

    # --- data ----------------------------------------------------------------------------------

    def _case_filter(self) -> CaseFilter:
        case_filter = view_filter(self.view_id, self.services, self.operator)
        if case_filter is None:  # the intake view: the queue table keeps its last case filter
            case_filter = view_filter(DEFAULT_VIEW, self.services, self.operator)
        return with_query(case_filter, self.query_text)

    @property
    def table(self) -> PagedTable:
        if self.view_id == INTAKE_VIEW:
            return self.query_one("#intake", PagedTable)
        return self.query_one("#cases", CaseTable)

    async def refresh_counts(self) -> None:
        counts: dict[str, int] = {}
        for view_id in VIEW_IDS:
            if view_id == INTAKE_VIEW:
                counts[view_id] = await self.intake.count()
            else:
                counts[view_id] = await self.services.cases.count(
                    view_filter(view_id, self.services, self.operator)
                )
        self.query_one(ViewTabs).set_counts(counts)
        await self.refresh_backup_note()
        await self._count_outbox_failures()

    async def _count_outbox_failures(self) -> None:
        """The status line counts the outbox's failed messages; a new failure is told once."""
        failed = await self.services.outbound.failed_count()
        if self.outbox_failed is not None and failed > self.outbox_failed:
            self.notify(t("alert.outbox_failed", count=failed), severity="warning")
        if failed != self.outbox_failed:
            self.outbox_failed = failed
            self._update_status()

    async def reload(self) -> None:
        """Live refresh: rows (cursor stays on its case), then the tab counts."""
        self.pages.case_filter = self._case_filter()
        await self.table.reload(keep_cursor=True)
        await self._count_elsewhere()
        self._update_status()
        await self.refresh_counts()
        await self.watch_approvals()

    async def watch_approvals(self) -> None:
        """Supervisors and owners: a toast (and the bell, if configured) for each remedy that came
        to await approval and each case escalated to their tier since the last look (QA N2)."""
        role = self.services.actor(self.operator).role
        if role not in APPROVERS:
            return
        pending = await self.services.cases.pending_remedies()
        escalated = await self.services.cases.list(
            CaseFilter(statuses=["escalated"], tier=role), sort="newest", limit=ESCALATED_WATCHED
        )
        seen_remedies, seen_refs = self._pending_remedy_ids, self._escalated_refs
        self._pending_remedy_ids = {remedy.id for remedy in pending}
        self._escalated_refs = {case.ref for case in escalated}
        if seen_remedies is None or seen_refs is None:  # the first look: what is there already
            return
        texts = [
            t("alert.remedy_proposed", ref=case_ref(remedy.case_id), id=remedy.id,
              type=remedy_label(remedy.type),
              amount=money.format_minor(remedy.amount_minor, remedy.currency)
              if remedy.amount_minor else "", who=remedy.proposed_by).replace("  ", " ")
            for remedy in pending if remedy.id not in seen_remedies
        ]
        texts += [
            t("alert.escalated", ref=case.ref, tier=tier_label(case.tier),
              who=case.customer.name or case.order_number or case.title)
            for case in reversed(escalated) if case.ref not in seen_refs
        ]
        if not texts:
            return
        self.approval_alerts.extend(texts)
        lines = texts[:APPROVAL_ALERTS_LISTED]
        if len(texts) > APPROVAL_ALERTS_LISTED:
            lines.append(t("alert.more_approvals", count=len(texts) - APPROVAL_ALERTS_LISTED))
        self.notify("\n".join(lines), title=t("alert.approvals.title"), severity="warning",
                    timeout=APPROVAL_ALERT_SECONDS, markup=False)  # names as typed
        if self.services.settings.bell:
            self.app.bell()

    async def _reload_view(self) -> None:
        self.pages.case_filter = self._case_filter()
        self.pages.sort = self.sort
        await self.table.reload(keep_cursor=False)
        await self._count_elsewhere()
        self._update_status()

    async def _count_elsewhere(self) -> None:
        """When the filter empties a case view: how many cases `g` would find with the same text."""
        query = self.query_text.strip()
        elsewhere = 0
        if query and self.view_id != INTAKE_VIEW and self.table.total == 0:
            try:
                elsewhere = len(await self.services.cases.find(query, limit=ELSEWHERE_COUNTED))
            except ShopdeskError:
                elsewhere = 0
        self.elsewhere = elsewhere
        cases = self.query_one("#cases", CaseTable)
        empty_text = (t("queue.empty_elsewhere", count=self._elsewhere_text(), text=query)
                      if elsewhere else t("queue.empty"))
        if cases.empty_text != empty_text:
            cases.empty_text = empty_text
            cases.refresh()

    def _elsewhere_text(self) -> str:
        return f"{self.elsewhere}+" if self.elsewhere >= ELSEWHERE_COUNTED else str(self.elsewhere)

    def _start_reload_view(self) -> None:
        self.run_worker(self._reload_view(), group="view", exclusive=True, exit_on_error=False)

    def highlighted_case(self) -> Case | None:
        if self.view_id == INTAKE_VIEW:
            return None
        row = self.query_one("#cases", CaseTable).current
        return row if isinstance(row, Case) else None

    def current_filter(self) -> CaseFilter | None:
        if self.view_id == INTAKE_VIEW or self.table.total == 0:
            return None
        return self._case_filter()

    # --- enter, case keys, g ---------------------------------------------------------------------

    def action_open_case(self) -> None:
        if self.view_id != INTAKE_VIEW:
            super().action_open_case()
            return
        delivery = self.table.current
        if not isinstance(delivery, Delivery):
            self.notify(t("queue.no_problems"))
            return
        self.app.push_screen(DeliveryScreen(delivery, ZoneInfo(self.services.settings.timezone),
                                            services=self.services, operator=self.operator))

    def action_dismiss_problem(self) -> None:
        """`d` in Intake problems: mark the highlighted delivery handled (y/n first)."""
        if self.view_id != INTAKE_VIEW:
            self.notify(t("queue.dismiss_only"), severity="warning")
            return
        delivery = self.table.current
        if not isinstance(delivery, Delivery):
            self.notify(t("queue.no_problems"))
            return
        self.run_worker(confirm_and_dismiss(self, self.services, self.operator, delivery),
                        group="dismiss", exclusive=True, exit_on_error=False)

    def run_case_action(self, action_id: str) -> None:
        if self.view_id == INTAKE_VIEW:
            self.notify(t("queue.problem_only", what=t(f"action.{action_id}")))
            return
        super().run_case_action(action_id)

    def action_new_case(self) -> None:
        """`N`: open a case by hand (a phoned-in complaint); the new case opens at once."""
        from shopdesk.tui.modals.new_case import new_case_modal

        self.app.push_screen(new_case_modal(self.services, self.operator), self._opened_by_hand)

    def _opened_by_hand(self, case: Case | None) -> None:
        if case is None:
            return
        self.notify(t("done.new_case", ref=case.ref), markup=False)
        self.open_case_ref(case.ref)

    def action_goto(self) -> None:
        """`g`: ask for a ref, order number, phone or tracking number; open the case it names. When
        the filter found nothing here but elsewhere, start with the filter's text, already looked up."""
        text = self.query_text.strip() if self.elsewhere and self.view_id != INTAKE_VIEW else ""
        self.app.push_screen(GotoModal(self.services, text, look_up_now=bool(text)),
                             self._went_to)

    def _went_to(self, ref: str | None) -> None:
        if ref:
            self.open_case_ref(ref)

    def open_case_ref(self, ref: str) -> None:
        module = optional_module("shopdesk.tui.screens.case")
        if module is None or not hasattr(module, "CaseScreen"):
            self.notify(t("desk.not_available", what=t("action.open")), severity="warning")
            return
        self.app.push_screen(module.CaseScreen(self.services, ref))

    def _show_keys_of_view(self) -> None:
        """In intake problems the footer drops the keys that work on a case."""
        bar = self.query_one(KeyBar)
        if self._case_keys is None:
            self._case_keys = list(bar.specs)
        intake = self.view_id == INTAKE_VIEW
        bar.specs = [spec for spec in self._case_keys
                     if not (intake and spec.needs_case and spec.id != "open_case")]
        if intake:  # d dismisses a problem: shown after enter
            bar.specs.insert(1, ACTIONS_BY_ID["dismiss_problem"])
        bar.refresh()
        self._follow_case()

    # --- status line -----------------------------------------------------------------------------

    def _update_status(self) -> None:
        table = self.table
        position = f"{table.cursor + 1}/{table.total}" if table.total else "0/0"
        parts = [position]
        elsewhere = bool(self.query_text and self.elsewhere and table.total == 0)
        if self.view_id != INTAKE_VIEW and not elsewhere:  # nothing here: no order to speak of
            parts.append(t("queue.sorted", sort=t(f"sort.{self.sort}")))
        if self.query_text:
            parts.append(t("queue.filtered", text=self.query_text))
        if elsewhere:
            parts.append(t("queue.elsewhere", count=self._elsewhere_text()))
        if self.outbox_failed:
            parts.append(t("queue.outbox_failed", count=self.outbox_failed))
        # fixed size: no layout pass (a Static's update() re-lays the whole screen by default);
        # Text, not markup: the filter is whatever the operator typed
        self.query_one("#status", Static).update(Text(" · ".join(parts)), layout=False)

    @on(PagedTable.Highlighted)
    def _on_highlighted(self, message: PagedTable.Highlighted) -> None:
        self._update_status()
        self._follow_case()

    def _follow_case(self) -> None:
        """The footer shows the keys allowed on the highlighted case for this operator's role."""
        bar = self.query_one(KeyBar)
        if self.view_id == INTAKE_VIEW:
            bar.follow_case(None)
            return
        case = self.highlighted_case()
        if case is None:
            bar.follow_case(set())
            return
        role = self.services.actor(self.operator).role
        bar.follow_case({spec.id for spec in case_keys(case.status, case.tier, role)})

    @on(PagedTable.Selected)
    def _on_selected(self, message: PagedTable.Selected) -> None:
        self.action_open_case()

    # --- views, filter, sort -----------------------------------------------------------------------

    def action_show_view(self, view_id: str) -> None:
        if view_id == self.view_id:
            return
        self.view_id = view_id
        self.query_one(ViewTabs).active = view_id
        intake = view_id == INTAKE_VIEW
        self.query_one("#cases").set_class(intake, "-hidden")
        self.query_one("#intake").set_class(not intake, "-hidden")
        self._show_keys_of_view()
        if not self.query_one("#filter", Input).has_focus:
            self.table.focus()
        self._start_reload_view()

    def action_next_view(self) -> None:
        index = VIEW_IDS.index(self.view_id)
        self.action_show_view(VIEW_IDS[(index + 1) % len(VIEW_IDS)])

    def action_previous_view(self) -> None:
        index = VIEW_IDS.index(self.view_id)
        self.action_show_view(VIEW_IDS[(index - 1) % len(VIEW_IDS)])

    @on(ViewTabs.Switched)
    def _on_tab_clicked(self, message: ViewTabs.Switched) -> None:
        self.action_show_view(message.view_id)

    def action_filter(self) -> None:
        field = self.query_one("#filter", Input)
        field.remove_class("-hidden")
        field.focus()

    @on(Input.Changed, "#filter")
    def _on_filter_typed(self, message: Input.Changed) -> None:
        if message.value == self.query_text:
            return
        self.query_text = message.value
        self._start_reload_view()

    @on(Input.Submitted, "#filter")
    def _on_filter_done(self, message: Input.Submitted) -> None:
        if not self.query_text:
            message.input.add_class("-hidden")
        self.table.focus()

    def action_back(self) -> None:
        field = self.query_one("#filter", Input)
        if field.has_focus or self.query_text:
            field.value = ""
            self.query_text = ""
            field.add_class("-hidden")
            self.table.focus()
            self._start_reload_view()

    def action_sort(self) -> None:
        if self.view_id == INTAKE_VIEW:
            return
        self.sort = SORT_CYCLE[(SORT_CYCLE.index(self.sort) + 1) % len(SORT_CYCLE)]
        self._start_reload_view()
