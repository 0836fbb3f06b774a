"""ReportsScreen: the review figures as tables and small bar charts, for a period.

Keys: 7 / 3 / 0 switch to the last 7 days, the last 30 days, all time; s, c, d export the summary,
the carrier scorecard and the department points as CSV (into the current directory, or the data
directory when that is not writable); r reloads; escape goes back. Loads in a worker after mount.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from shopdesk.domain.filters import CaseFilter
from shopdesk.domain.reports import Count, Summary
from shopdesk.tui.report_text import bar, number, percent, text
from shopdesk.tui.safe_text import PlainTable, plain_copy
from shopdesk.tui.vocabulary import (
    department_label,
    group_label,
    remedy_label,
    status_label,
)

if TYPE_CHECKING:
    from shopdesk.services import Services

BAR_WIDTH = 16


def _same(key: str) -> str:
    return key


def _header(name: str) -> str:
    return text(f"reports.col.{name}") if name else ""


def _carrier(name: str) -> str:
    return text("reports.no_carrier") if name == "(none)" else name


def _counts_table(title: str, counts: list[Count], label: Callable[[str], str] = _same) -> Table:
    table = PlainTable(title=title, title_justify="left", box=None, expand=False, pad_edge=False,
                  show_header=False)
    table.add_column("", no_wrap=True, max_width=24)
    table.add_column("", justify="right")
    table.add_column("", no_wrap=True)
    top = max((count.count for count in counts), default=0)
    for count in counts:
        table.add_row(label(count.key), str(count.count), Text(bar(count.count, top, BAR_WIDTH), style="cyan"))
    if not counts:
        table.add_row(text("reports.none"), "", "")
    return table


def overview(summary: Summary) -> Table:
    table = PlainTable(title=text("reports.overview"), title_justify="left", box=None, show_header=False,
                  pad_edge=False)
    table.add_column("", no_wrap=True)
    table.add_column("")
    first, resolution = summary.first_response, summary.resolution
    ttfr, ttr = summary.time_to_first_response, summary.time_to_resolution
    table.add_row(text("reports.cases"), str(summary.total))
    table.add_row(
        text("reports.sla_first"),
        f"{percent(first.compliance_pct)}  "
        + text("reports.median_p90", median=number(ttfr.median_hours), p90=number(ttfr.p90_hours)),
    )
    table.add_row(
        text("reports.sla_resolution"),
        f"{percent(resolution.compliance_pct)}  "
        + text("reports.median_p90", median=number(ttr.median_hours), p90=number(ttr.p90_hours)),
    )
    table.add_row(text("reports.urgent"), percent(summary.urgent.on_time_pct))
    satisfaction = summary.satisfaction
    table.add_row(
        text("reports.satisfaction"),
        text("reports.satisfaction.value", mean=number(satisfaction.mean),
             responses=satisfaction.responses, eligible=satisfaction.eligible,
             rate=percent(satisfaction.response_rate_pct)),
    )
    figure = summary.incidents
    table.add_row(
        text("reports.incidents"),
        text("reports.incidents.value", count=figure.incidents,
             hours=number(figure.mean_hours_to_stable), cases=number(figure.cases_per_incident)),
    )
    return table


def carriers_table(summary: Summary) -> Table:
    table = PlainTable(title=text("reports.carriers"), title_justify="left", box=None, pad_edge=False)
    for name, justify in (("carrier", "left"), ("shipped", "right"), ("lost", "right"),
                          ("damaged", "right"), ("delayed", "right"), ("", "left")):
        table.add_column(_header(name), justify=justify, no_wrap=True)
    worst = max(
        (sum(r or 0 for r in (s.lost_per_100, s.damaged_per_100, s.delayed_per_100))
         for s in summary.carriers), default=0,
    )
    for score in summary.carriers:
        total = sum(r or 0 for r in (score.lost_per_100, score.damaged_per_100, score.delayed_per_100))
        table.add_row(_carrier(score.carrier), str(score.shipped_orders), number(score.lost_per_100),
                      number(score.damaged_per_100), number(score.delayed_per_100),
                      Text(bar(total, worst, 10), style="red"))
    if not summary.carriers:
        table.add_row(text("reports.none"), "", "", "", "", "")
    return table


def departments_table(summary: Summary) -> Table:
    table = PlainTable(title=text("reports.departments"), title_justify="left", box=None, pad_edge=False)
    for name, justify in (("department", "left"), ("responsible", "right"), ("joint", "right"),
                          ("points", "right"), ("", "left")):
        table.add_column(_header(name), justify=justify, no_wrap=True)
    worst = max((-d.points for d in summary.departments), default=0)
    for department in summary.departments:
        table.add_row(department_label(department.department), str(department.responsible_cases),
                      str(department.joint_cases), number(department.points),
                      Text(bar(-department.points, worst, 10), style="yellow"))
    if not summary.departments:
        table.add_row(text("reports.none"), "", "", "", "")
    return table


def compensation_table(summary: Summary) -> Table:
    from shopdesk.domain.csvsafe import format_money

    table = PlainTable(title=text("reports.compensation"), title_justify="left", box=None, pad_edge=False)
    for name, justify in (("remedy", "left"), ("count", "right"), ("amount", "right"), ("", "left")):
        table.add_column(_header(name), justify=justify, no_wrap=True)
    for item in summary.compensation:
        table.add_row(remedy_label(item.type), str(item.remedies), format_money(item.amount_minor, item.currency),
                      item.currency)
    if not summary.compensation:
        table.add_row(text("reports.none"), "", "", "")
    return table


class ReportsScreen(Screen[None]):
    """The summaries of a period; keys switch the period and export each summary."""

    # Descriptions are catalog keys, worded in the UI language when the screen is made; back comes
    # first so it stays in sight at 80 columns.
    BINDINGS: ClassVar[list[Binding]] = [
        Binding("escape", "back", "reports.key.back", id="reports.back"),
        Binding("7", "period(7)", "reports.key.week", id="reports.week"),
        Binding("3", "period(30)", "reports.key.month", id="reports.month"),
        Binding("0", "period(0)", "reports.key.all", id="reports.all", show=False),
        Binding("s", "export('summary')", "reports.key.summary", id="reports.export_summary"),
        Binding("c", "export('carriers')", "reports.key.carriers", id="reports.export_carriers"),
        Binding("d", "export('departments')", "reports.key.departments",
                id="reports.export_departments"),
        Binding("r", "refresh", "reports.key.refresh", id="reports.refresh", show=False),
    ]
    DEFAULT_CSS = """
    ReportsScreen #reports-period { height: 1; padding: 0 1; background: $boost; text-style: bold; }
    ReportsScreen #reports-body { padding: 0 1; }
    ReportsScreen #reports-body > Static { margin-bottom: 1; }
    """

    def __init__(self, services: Services, *, days: int = 7) -> None:
        super().__init__()
        for key, bindings in self._bindings.key_to_bindings.items():
            self._bindings.key_to_bindings[key] = [
                replace(binding, description=text(binding.description))
                if binding.description.startswith("reports.") else binding
                for binding in bindings
            ]
        self.services = services
        self.days = days
        self.summary: Summary | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="reports-period")
        with VerticalScroll(id="reports-body"):
            yield Static(text("reports.loading"), id="reports-overview")
            yield Static(id="reports-counts")
            yield Static(id="reports-carriers")
            yield Static(id="reports-departments")
            yield Static(id="reports-compensation")
        yield Footer(compact=True, show_command_palette=False)  # ctrl+p still opens it

    def on_mount(self) -> None:
        self.query_one("#reports-body").focus()
        self.load()

    def period(self):
        if self.days <= 0:
            return None, None
        return self.services.reports.last_days(self.days)

    def period_label(self) -> str:
        start, end = self.period()
        if start is None:
            return f"{text('reports.title')} · {text('reports.period.all')}"
        last_day = (end.date().toordinal() - 1)
        from datetime import date

        return (f"{text('reports.title')} · {text('reports.period.days', days=self.days)} "
                f"({start.date().isoformat()} – {date.fromordinal(last_day).isoformat()})")

    @work(exclusive=True, group="reports", exit_on_error=False)
    async def load(self) -> None:
        self.query_one("#reports-period", Static).update(self.period_label())
        try:
            summary = await self.services.reports.summary(*self.period())
        except Exception as error:  # noqa: BLE001 - shown, never a crash
            self.notify(str(error), severity="error", markup=False)
            return
        self.summary = summary
        self.show(summary)

    def show(self, summary: Summary) -> None:
        summary = plain_copy(summary)  # carriers, departments … as the shops wrote them
        self.query_one("#reports-overview", Static).update(overview(summary))
        counts = Table.grid(padding=(0, 3))
        counts.add_column()
        counts.add_column()
        counts.add_row(_counts_table(text("reports.by_group"), summary.by_group, group_label),
                       _counts_table(text("reports.by_level"), summary.by_level))
        counts.add_row(_counts_table(text("reports.by_status"), summary.by_status, status_label),
                       _counts_table(text("reports.by_carrier"), summary.by_carrier, _carrier))
        self.query_one("#reports-counts", Static).update(Group(counts))
        self.query_one("#reports-carriers", Static).update(carriers_table(summary))
        self.query_one("#reports-departments", Static).update(departments_table(summary))
        self.query_one("#reports-compensation", Static).update(compensation_table(summary))

    def action_period(self, days: int) -> None:
        self.days = days
        self.load()

    def action_refresh(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_export(self, kind: str) -> None:
        from shopdesk.tui.export_view import export_view

        start, end = self.period()
        self.run_worker(
            export_view(self, self.services, CaseFilter(opened_from=start, opened_to=end), kind=kind),
            group="export", exit_on_error=False,
        )
