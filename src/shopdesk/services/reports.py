"""ReportService: the review numbers over a period and a filter (统计分析, 总结与改进).

Each report reads on a connection of its own: over a big store a summary takes seconds, and the
desk's reads must not queue behind it.

The period selects cases by opening time (and, for the carrier scorecard, orders by shipping time),
as instants; `last_days` gives the usual "last 7 / 30 days" in the shop's time zone.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import msgspec

from shopdesk.domain import reports
from shopdesk.domain.errors import ValidationError
from shopdesk.domain.filters import CaseFilter
from shopdesk.domain.kinds import GROUP_OF_KIND
from shopdesk.store import incidents as incident_rows
from shopdesk.store import reports as report_rows

if TYPE_CHECKING:
    import aiosqlite

    from shopdesk.services import Services


def _check_period(period_from: datetime | None, period_to: datetime | None) -> None:
    for name, value in (("from", period_from), ("to", period_to)):
        if value is not None and value.tzinfo is None:
            raise ValidationError(f"the period's {name} needs a time zone", field=name)
    if period_from is not None and period_to is not None and period_to <= period_from:
        raise ValidationError("the period ends before it starts", field="to")


class ReportService:
    def __init__(self, services: Services) -> None:
        self._services = services

    def last_days(self, days: int) -> tuple[datetime, datetime]:
        """From the shop's midnight `days - 1` days ago to its next midnight (today included)."""
        if days < 1:
            raise ValidationError("a period is at least one day", field="days")
        zone = ZoneInfo(self._services.settings.timezone)
        today = self._services.now().astimezone(zone).date()
        start = datetime.combine(today - timedelta(days=days - 1), time(), tzinfo=zone)
        end = datetime.combine(today + timedelta(days=1), time(), tzinfo=zone)
        return start, end

    def _cohort(
        self, period_from: datetime | None, period_to: datetime | None, case_filter: CaseFilter | None
    ) -> CaseFilter:
        _check_period(period_from, period_to)
        case_filter = case_filter or CaseFilter()
        changes = {}
        if period_from is not None:
            changes["opened_from"] = period_from
        if period_to is not None:
            changes["opened_to"] = period_to
        return msgspec.structs.replace(case_filter, **changes) if changes else case_filter

    async def summary(
        self,
        period_from: datetime | None = None,
        period_to: datetime | None = None,
        case_filter: CaseFilter | None = None,
    ) -> reports.Summary:
        """Every figure of the review for cases opened in [period_from, period_to) and the filter."""
        await self._services.cases.ensure_due_times()  # SLA figures on the config's due times
        cohort = self._cohort(period_from, period_to, case_filter)
        async with report_rows.report_connection(self._services.store) as conn:
            return await self._summary(conn, period_from, period_to, cohort)

    async def _summary(
        self,
        conn: aiosqlite.Connection,
        period_from: datetime | None,
        period_to: datetime | None,
        cohort: CaseFilter,
    ) -> reports.Summary:
        now = self._services.now()
        by: dict[str, list[tuple]] = {}
        for dimension in report_rows.COUNT_COLUMNS:
            by[dimension] = await report_rows.count_by(conn, cohort, now, dimension)
        groups = [(GROUP_OF_KIND.get(kind, "other"), count) for kind, count in by["kind"]]
        first, resolution = await report_rows.sla_counts(conn, cohort, now)
        scores, eligible = await report_rows.survey_scores(conn, cohort, now)
        responsible, joint = await report_rows.department_counts(conn, cohort, now)
        return reports.Summary(
            period_from=period_from,
            period_to=period_to,
            total=sum(count for _, count in by["kind"]),
            by_status=reports.counts(by["status"]),
            by_kind=reports.counts(by["kind"]),
            by_group=reports.counts(groups),
            by_level=reports.counts([(f"L{level}", count) for level, count in by["level"]]),
            by_carrier=reports.counts(by["carrier"], none_as="(none)"),
            by_party=reports.counts(by["party"], none_as="(unset)"),
            by_department=reports.counts(by["department"], none_as="(unset)"),
            first_response=reports.sla_figure(*first),
            resolution=reports.sla_figure(*resolution),
            time_to_first_response=reports.duration_figure(
                await report_rows.durations(conn, cohort, now, "first_response")
            ),
            time_to_resolution=reports.duration_figure(
                await report_rows.durations(conn, cohort, now, "resolution")
            ),
            compensation=[
                reports.Compensation(type=t, currency=c, remedies=n, amount_minor=a)
                for t, c, n, a in await report_rows.compensation(conn, cohort, now)
            ],
            satisfaction=reports.satisfaction(scores, eligible),
            carriers=await self._carriers(conn, period_from, period_to, cohort.carrier),
            departments=reports.department_points(responsible, joint),
            urgent=reports.urgent_figure(*await report_rows.urgent_counts(conn, cohort, now)),
            incidents=reports.incident_figure(
                await incident_rows.figures(conn, period_from, period_to)),
        )

    async def carriers(
        self,
        period_from: datetime | None = None,
        period_to: datetime | None = None,
        carrier: str | None = None,
    ) -> list[reports.CarrierScore]:
        """Lost, damaged and delayed orders per 100 orders shipped in the period, worst first."""
        _check_period(period_from, period_to)
        async with report_rows.report_connection(self._services.store) as conn:
            return await self._carriers(conn, period_from, period_to, carrier)

    async def _carriers(
        self,
        conn: aiosqlite.Connection,
        period_from: datetime | None,
        period_to: datetime | None,
        carrier: str | None,
    ) -> list[reports.CarrierScore]:
        shipped, problems = await report_rows.carrier_counts(conn, period_from, period_to, carrier)
        renamed = {
            name: {reports.CARRIER_KINDS[kind]: count for kind, count in kinds.items()}
            for name, kinds in problems.items()
        }
        return reports.carrier_scorecard(
            {name or "(none)": n for name, n in shipped.items()},
            {name or "(none)": kinds for name, kinds in renamed.items()},
        )

    async def departments(
        self,
        period_from: datetime | None = None,
        period_to: datetime | None = None,
        case_filter: CaseFilter | None = None,
    ) -> list[reports.DepartmentPoints]:
        """Responsibility points per department (−1 responsible, −0.5 joint), worst first."""
        cohort = self._cohort(period_from, period_to, case_filter)
        async with report_rows.report_connection(self._services.store) as conn:
            responsible, joint = await report_rows.department_counts(
                conn, cohort, self._services.now()
            )
        return reports.department_points(responsible, joint)
