"""The review math: percentiles, SLA compliance, department points, carrier rates, urgent on time."""

from __future__ import annotations

import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopdesk.domain import reports


def test_percentile_interpolates_between_closest_ranks() -> None:
    values = [10, 20, 30, 40]
    assert reports.median(values) == 25
    assert reports.percentile(values, 90) == pytest.approx(37)
    assert reports.percentile(values, 0) == 10
    assert reports.percentile(values, 100) == 40
    assert reports.median([5]) == 5
    assert reports.median([]) is None
    with pytest.raises(ValueError):
        reports.percentile(values, 101)


@given(st.lists(st.floats(-1e9, 1e9, allow_nan=False), min_size=2, max_size=50))
def test_percentile_agrees_with_the_statistics_module(values: list[float]) -> None:
    deciles = statistics.quantiles(values, n=10, method="inclusive")
    assert reports.percentile(values, 90) == pytest.approx(deciles[8], rel=1e-9, abs=1e-6)
    assert reports.median(values) == pytest.approx(statistics.median(values), rel=1e-9, abs=1e-6)


def test_duration_figure_in_hours() -> None:
    figure = reports.duration_figure([1800, 3600, 7200])
    assert figure == reports.DurationFigure(cases=3, median_hours=1.0, p90_hours=1.8)
    assert reports.duration_figure([]) == reports.DurationFigure(0, None, None)


def test_sla_compliance_leaves_pending_cases_out() -> None:
    figure = reports.sla_figure(met=2, breached=1, pending=5)
    assert figure.compliance_pct == 66.67
    assert reports.sla_figure(0, 0, 3).compliance_pct is None


def test_department_points_minus_one_responsible_minus_half_joint() -> None:
    points = reports.department_points({"logistics": 2, "warehouse": 1}, {"warehouse": 1, "qc": 3})
    assert [(p.department, p.points) for p in points] == [
        ("logistics", -2.0), ("warehouse", -1.5), ("qc", -1.5),
    ] or [(p.department, p.points) for p in points] == [
        ("logistics", -2.0), ("qc", -1.5), ("warehouse", -1.5),
    ]
    by_name = {p.department: p for p in points}
    assert by_name["qc"] == reports.DepartmentPoints("qc", 0, 3, -1.5)


def test_carrier_scorecard_per_100_shipped_worst_first() -> None:
    scores = reports.carrier_scorecard(
        {"SF": 200, "YTO": 50, "ZTO": 10},
        {"YTO": {"lost": 2, "delayed": 1}, "SF": {"damaged": 1}, "JD": {"lost": 1}},
    )
    by_name = {s.carrier: s for s in scores}
    assert by_name["YTO"].lost_per_100 == 4.0
    assert by_name["YTO"].delayed_per_100 == 2.0
    assert by_name["SF"].damaged_per_100 == 0.5
    assert by_name["ZTO"].lost_per_100 == 0.0
    assert by_name["JD"].shipped_orders == 0 and by_name["JD"].lost_per_100 is None
    assert [s.carrier for s in scores][:2] == ["YTO", "SF"]


def test_urgent_on_time_and_satisfaction() -> None:
    urgent = reports.urgent_figure(on_time=3, late=1, pending=2)
    assert (urgent.urgent_cases, urgent.on_time_pct) == (6, 75.0)
    satisfaction = reports.satisfaction({5: 2, 3: 1}, eligible=6)
    assert satisfaction.mean == 4.33
    assert satisfaction.distribution == {1: 0, 2: 0, 3: 1, 4: 0, 5: 2}
    assert satisfaction.response_rate_pct == 50.0
    assert reports.satisfaction({}, 0).mean is None


def test_counts_merge_missing_keys_and_sort_largest_first() -> None:
    counts = reports.counts([("lost", 2), (None, 1), ("", 2), ("damaged", 5)], none_as="(unset)")
    assert counts == [reports.Count("damaged", 5), reports.Count("(unset)", 3), reports.Count("lost", 2)]


def test_met_column_for_store_times_as_text_or_bytes() -> None:
    now = "2026-11-20T04:00:00+00:00"
    done = ["2026-11-16T01:30:00+00:00", "2026-11-16T07:00:00+00:00", None, None, None]
    due = ["2026-11-16T02:00:00+00:00", "2026-11-16T06:00:00+00:00",
           "2026-11-16T06:00:00+00:00", "2026-11-23T03:00:00+00:00", None]
    statuses = ["closed", "closed", "open", "new", "open"]
    expected = [True, False, False, None, None]  # met, late, overdue and running, running, no clock
    assert reports.met_column(done, due, statuses, now) == expected
    as_bytes = [[v.encode() if v else None for v in column] for column in (done, due, statuses)]
    assert reports.met_column(*as_bytes, now.encode()) == expected
    assert reports.met_column([None], [due[2]], ["void"], now) == [None]  # a void case is not late
