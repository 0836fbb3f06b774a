"""One incident (enter on the incident board): its facts and figures, response team, timeline and
review above, its linked cases below.

T adds to the team, L links cases by filter (with a live count), B acts on every linked case,
S declares it stable, C closes it with its review, W writes the review as Markdown and CSV. The
case keys work on the highlighted linked case; enter opens it; escape goes back to the board.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import msgspec
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from shopdesk.domain import incidents as rules
from shopdesk.domain.cases import Case
from shopdesk.domain.filters import CaseFilter
from shopdesk.tui import incident_flows
from shopdesk.tui.commands import supported_actions
from shopdesk.tui.i18n import t
from shopdesk.tui.safe_text import plain
from shopdesk.tui.screens.desk import DeskScreen
from shopdesk.tui.vocabulary import incident_type_label
from shopdesk.tui.widgets.case_table import CasePages, CaseTable, PagedTable
from shopdesk.tui.widgets.key_bar import KeyBar

if TYPE_CHECKING:
    from shopdesk.domain.cases import Incident
    from shopdesk.services import Services


class IncidentScreen(DeskScreen):
    DEFAULT_CSS = """
    IncidentScreen #incident-info {
        height: 45%;
        padding: 0 1;
    }
    """

    def __init__(self, services: Services, incident_id: int, *, operator: str) -> None:
        super().__init__(services, operator=operator, id="incident")
        self.incident_id = incident_id
        self.incident: Incident | None = None
        self.case_pages = CasePages(services, CaseFilter(incident_id=incident_id))

    def compose(self) -> ComposeResult:
        yield Static("", id="topbar")
        with VerticalScroll(id="incident-info"):
            yield Static("", id="incident-text")
        yield CaseTable(source=self.case_pages, now=self.services.now,
                        empty_text=t("incidents.no_cases"), id="incident-cases")
        yield KeyBar(supported={spec.id for spec in supported_actions(self)} - {"filter", "sort"})

    async def on_mount(self) -> None:
        self.query_one("#incident-cases", CaseTable).focus()
        self.run_worker(self.reload(), group="reload", exclusive=True, exit_on_error=False)

    async def reload(self) -> None:
        review = await self.services.incidents.review(self.incident_id)
        self.incident = review.incident
        self.query_one("#topbar", Static).update(
            plain(f"shopdesk · {review.incident.ref} {review.incident.title}", multiline=False))
        self.query_one("#incident-text", Static).update(self.describe(review))
        await self.query_one("#incident-cases", CaseTable).reload(keep_cursor=True)

    def describe(self, review) -> Text:
        incident, impact = review.incident, review.impact
        zone = ZoneInfo(self.services.settings.timezone)
        lines = [
            t("incident.facts", type=incident_type_label(incident.type), level=incident.level,
              status=t(f"incidents.status.{incident.status}"), owner=incident.owner or "—"),
            t("incident.figures", cases=impact.cases, orders=impact.orders,
              contacted=impact.customers_contacted,
              compensation=rules.compensation_text(impact.compensation),
              stable=rules.span_text(rules.time_to_stable(incident))),
        ]
        if incident.description:
            lines.append(incident.description)
        if incident.case_filter is not None and incident.status == "active":
            lines.append(t("incident.follows", filter=rules.filter_text(
                msgspec.to_builtins(incident.case_filter))))
        lines += ["", t("incident.team")]
        lines += [f"  {member.operator}  {member.role}  {member.phone}".rstrip()
                  for member in review.team] or ["  " + t("incident.no_team")]
        if incident.review_cause or incident.review_changes:
            lines += ["", t("incident.review"), f"  {incident.review_cause}",
                      f"  {incident.review_impact}", f"  {incident.review_changes}"]
        lines += ["", t("incident.timeline")]
        lines += [f"  {event.at.astimezone(zone):%m-%d %H:%M} {event.actor}: "
                  f"{rules.event_text(event)}" for event in review.timeline]
        lines += ["", t("incident.keys")]
        return plain("\n".join(lines), multiline=True)

    def highlighted_case(self) -> Case | None:
        row = self.query_one("#incident-cases", CaseTable).current
        return row if isinstance(row, Case) else None

    def current_filter(self) -> CaseFilter | None:
        return self.case_pages.case_filter

    def on_paged_table_selected(self, message: PagedTable.Selected) -> None:
        self.action_open_case()

    def _flow(self, flow) -> None:
        if self.incident is None:
            return
        self.run_worker(flow(self, self.incident), group="action", exit_on_error=False)

    def action_link_marked(self) -> None:
        """On an incident: link cases by filter (marked cases are linked from a queue view)."""
        self._flow(incident_flows.link_filter)

    def action_incident_team(self) -> None:
        self._flow(incident_flows.team)

    def action_incident_bulk(self) -> None:
        self._flow(incident_flows.bulk)

    def action_incident_stable(self) -> None:
        self._flow(incident_flows.stable)

    def action_incident_close(self) -> None:
        self._flow(incident_flows.close)

    def action_incident_review(self) -> None:
        self._flow(incident_flows.write_review)
