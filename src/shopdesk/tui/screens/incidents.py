"""`i`: the board of declared incidents (紧急状态) and the cases linked to the highlighted one.

The same registry keys work here: case actions apply to the highlighted linked case, enter opens
it, E exports the incident's cases, escape goes back to the queue.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import Static

from shopdesk.domain.cases import Case, Incident
from shopdesk.domain.filters import CaseFilter
from shopdesk.tui.commands import supported_actions
from shopdesk.tui.i18n import t
from shopdesk.tui.safe_text import plain
from shopdesk.tui.screens.desk import DeskScreen
from shopdesk.tui.vocabulary import incident_type_label
from shopdesk.tui.widgets.case_table import CasePages, CaseTable, Column, PagedTable
from shopdesk.tui.widgets.key_bar import KeyBar
from shopdesk.tui.widgets.sla_badge import short_duration

if TYPE_CHECKING:
    from shopdesk.services import Services


def _status(incident: Incident, now: datetime) -> tuple[str, str]:
    tone = {"active": "breached", "stable": "bold"}.get(incident.status, "dim")
    return t(f"incidents.status.{incident.status}"), tone


INCIDENT_COLUMNS: tuple[Column, ...] = (
    Column("ref", "incidents.col.ref", 6, 0, lambda i, now: (i.ref, "")),
    Column("level", "incidents.col.level", 2, 2, lambda i, now: (f"L{i.level}", "")),
    Column("status", "incidents.col.status", 7, 1, _status),
    Column("type", "incidents.col.type", 14, 4, lambda i, now: (incident_type_label(i.type), "")),
    Column("started", "incidents.col.started", 7, 5,
           lambda i, now: (short_duration(now - i.started_at), ""), justify="right"),
    Column("title", "incidents.col.title", 16, 1, lambda i, now: (i.title, ""), grow=60),
)


class IncidentPages:
    """All incidents, active first (a shop declares few: paged in memory)."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def _all(self) -> list[Incident]:
        incidents = await self.services.incidents.list()
        return sorted(incidents, key=lambda i: (i.status != "active", -i.started_at.timestamp()))

    async def count(self) -> int:
        return len(await self.services.incidents.list())

    async def rows(self, offset: int, limit: int) -> list[Incident]:
        return (await self._all())[offset: offset + limit]


class IncidentsScreen(DeskScreen):
    def __init__(self, services: Services, *, operator: str) -> None:
        super().__init__(services, operator=operator, id="incidents")
        self.case_pages = CasePages(services, CaseFilter(incident_id=-1))
        self.incident: Incident | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text(f"shopdesk · {t('incidents.title')}"), id="topbar")
        yield PagedTable(INCIDENT_COLUMNS, source=IncidentPages(self.services),
                         now=self.services.now, empty_text=t("incidents.none"), id="incident-list")
        yield Static(t("incidents.board_hint"), id="incident-detail")
        yield CaseTable(source=self.case_pages, now=self.services.now,
                        empty_text=t("incidents.no_cases"), id="incident-cases")
        yield KeyBar(supported={spec.id for spec in supported_actions(self)} - {"filter", "sort"})

    async def on_mount(self) -> None:
        self.query_one("#incident-list", PagedTable).focus()
        self.run_worker(self.reload(), group="reload", exclusive=True, exit_on_error=False)

    async def reload(self) -> None:
        await self.query_one("#incident-list", PagedTable).reload(keep_cursor=True)
        await self._load_cases(keep_cursor=True)

    async def _load_cases(self, *, keep_cursor: bool) -> None:
        incident = self.query_one("#incident-list", PagedTable).current
        self.incident = incident
        self.case_pages.case_filter = CaseFilter(incident_id=incident.id if incident else -1)
        table = self.query_one("#incident-cases", CaseTable)
        await table.reload(keep_cursor=keep_cursor)
        detail = self.query_one("#incident-detail", Static)
        if incident is None:
            detail.update(t("incidents.board_hint"))
        else:
            text = t("incidents.cases_of", ref=incident.ref, title=incident.title,
                     count=table.total)
            detail.update(plain(f"{text}\n{t('incidents.board_hint')}"))  # a title as typed

    @on(PagedTable.Highlighted, "#incident-list")
    def _on_incident(self, message: PagedTable.Highlighted) -> None:
        if message.row is not self.incident:
            self.run_worker(self._load_cases(keep_cursor=False), group="cases", exclusive=True,
                            exit_on_error=False)

    @on(PagedTable.Selected, "#incident-list")
    def _on_incident_selected(self, message: PagedTable.Selected) -> None:
        self.open_incident()

    def open_incident(self) -> None:
        from shopdesk.tui.screens.incident import IncidentScreen

        incident = self.query_one("#incident-list", PagedTable).current
        if incident is not None:
            self.app.push_screen(IncidentScreen(self.services, incident.id,
                                                operator=self.operator))

    def action_open_case(self) -> None:
        """enter: on the incident list, the incident's screen; on its cases, the case."""
        if self.query_one("#incident-list", PagedTable).has_focus:
            self.open_incident()
        else:
            super().action_open_case()

    def action_declare(self) -> None:
        from shopdesk.tui import incident_flows

        self.run_worker(incident_flows.declare(self), group="action", exit_on_error=False)

    @on(PagedTable.Selected, "#incident-cases")
    def _on_selected(self, message: PagedTable.Selected) -> None:
        self.action_open_case()

    def highlighted_case(self) -> Case | None:
        row = self.query_one("#incident-cases", CaseTable).current
        return row if isinstance(row, Case) else None

    def current_filter(self) -> CaseFilter | None:
        return self.case_pages.case_filter if self.incident is not None else None
