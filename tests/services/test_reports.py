"""The week's figures, computed by hand (see report_world.py for the story of each case)."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_world import NOW, PERIOD, build_week, local

from shopdesk.domain.errors import ValidationError
from shopdesk.domain.filters import CaseFilter
from shopdesk.domain.reports import (
    CarrierScore,
    Count,
    DepartmentPoints,
    DurationFigure,
)
from shopdesk.store import open_store


@pytest.fixture
async def week(tmp_path: Path):
    async with open_store(tmp_path / "shop.db") as store:
        services, _ = await build_week(store)
        yield services


async def test_counts_leave_void_out_except_by_status(week) -> None:
    summary = await week.reports.summary(*PERIOD)
    assert summary.total == 5
    assert {c.key: c.count for c in summary.by_status} == {
        "closed": 2, "resolved": 1, "open": 1, "new": 1, "void": 1,
    }
    assert {c.key: c.count for c in summary.by_group} == {"delivery": 3, "customer": 1, "fulfilment": 1}
    assert {c.key: c.count for c in summary.by_level} == {"L3": 1, "L2": 2, "L1": 2}
    assert summary.by_carrier == [Count("(none)", 2), Count("SF", 2), Count("YTO", 1)]
    assert summary.by_party == [Count("(unset)", 2), Count("carrier", 2), Count("warehouse", 1)]
    assert len(summary.by_kind) == 5


async def test_sla_compliance_and_times(week) -> None:
    summary = await week.reports.summary(*PERIOD)
    first, resolution = summary.first_response, summary.resolution
    assert (first.met, first.breached, first.pending, first.compliance_pct) == (2, 2, 1, 50.0)
    assert (resolution.met, resolution.breached, resolution.pending) == (3, 1, 1)
    assert resolution.compliance_pct == 75.0
    # first responses after 0.5 h, 6 h, 1 h; resolutions after 2 h, 25 h, 25 h
    assert summary.time_to_first_response == DurationFigure(3, 1.0, 5.0)
    assert summary.time_to_resolution == DurationFigure(3, 25.0, 25.0)


async def test_compensation_satisfaction_departments_urgent(week) -> None:
    summary = await week.reports.summary(*PERIOD)
    assert [(c.type, c.currency, c.remedies, c.amount_minor) for c in summary.compensation] == [
        ("coupon", "CNY", 1, 2000), ("refund_partial", "CNY", 1, 5000),
    ]
    satisfaction = summary.satisfaction
    assert (satisfaction.responses, satisfaction.eligible, satisfaction.mean) == (2, 3, 4.0)
    assert satisfaction.response_rate_pct == 66.67
    assert satisfaction.distribution == {1: 0, 2: 0, 3: 1, 4: 0, 5: 1}
    assert summary.departments == [
        DepartmentPoints("logistics", 2, 0, -2.0), DepartmentPoints("warehouse", 1, 1, -1.5),
    ]
    urgent = summary.urgent
    assert (urgent.urgent_cases, urgent.on_time, urgent.late, urgent.on_time_pct) == (2, 1, 1, 50.0)


async def test_carrier_scorecard_counts_orders_shipped_in_the_period(week) -> None:
    scores = await week.reports.carriers(*PERIOD)
    # worst first: SF has 66.66 problems per 100 shipped orders, YTO 50
    assert scores == [
        CarrierScore("SF", 3, 1, 1, 0, 33.33, 33.33, 0.0),
        CarrierScore("YTO", 2, 0, 0, 1, 0.0, 0.0, 50.0),
    ]
    only_sf = await week.reports.carriers(*PERIOD, carrier="SF")
    assert [s.carrier for s in only_sf] == ["SF"]


async def test_a_filter_narrows_the_summary(week) -> None:
    summary = await week.reports.summary(*PERIOD, CaseFilter(urgent=True))
    assert summary.total == 2
    assert summary.first_response.compliance_pct == 50.0
    everything = await week.reports.summary()
    assert everything.total == 6  # last week's case too


async def test_an_empty_period_has_no_percentages(week) -> None:
    summary = await week.reports.summary(local(1, 0), local(2, 0))
    assert summary.total == 0
    assert summary.first_response.compliance_pct is None
    assert summary.time_to_resolution.median_hours is None
    assert summary.satisfaction.mean is None


async def test_bad_periods_are_refused(week) -> None:
    with pytest.raises(ValidationError) as error:
        await week.reports.summary(PERIOD[1], PERIOD[0])
    assert error.value.field == "to"


def test_last_days_in_the_shop_zone(week) -> None:
    start, end = week.reports.last_days(7)
    assert (start, end) == (local(14, 0), local(21, 0))
    assert week.now() == NOW


async def test_reports_never_queue_the_desks_reads(week, monkeypatch) -> None:
    """A summary over a big store takes seconds: it reads on a connection of its own."""

    class Refusing:
        def execute(self, *args, **kwargs):
            raise AssertionError("a report read on the shared reader")

    monkeypatch.setattr(type(week.store), "reader", property(lambda self: Refusing()))
    assert (await week.reports.summary(*PERIOD)).total == 5
    assert len(await week.reports.carriers(*PERIOD)) == 2
    assert len(await week.reports.departments(*PERIOD)) == 2
