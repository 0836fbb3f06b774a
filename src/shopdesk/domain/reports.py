"""The review numbers (统计分析, 总结与改进) as Structs, and the pure math behind them.

The store counts (store/reports.py); this module turns counts into the figures a shop owner reads:
percentages, median and p90, department points (−1 responsible, −0.5 jointly responsible, per case,
as the seeds score them) and carrier rates per 100 shipped orders. No I/O.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec

RESPONSIBLE_POINTS = -1.0
JOINT_POINTS = -0.5
# Case kinds that count against a carrier in its scorecard.
CARRIER_KINDS: dict[str, str] = {"lost": "lost", "damaged": "damaged", "delivery_delayed": "delayed"}


class Count(msgspec.Struct, frozen=True):
    key: str
    count: int


class SlaFigure(msgspec.Struct, frozen=True):
    """One SLA clock over the cases: met, breached, still running (pending)."""

    met: int
    breached: int
    pending: int
    compliance_pct: float | None  # met / (met + breached); None when nothing is decided yet


class DurationFigure(msgspec.Struct, frozen=True):
    """Wall-clock time from opening to an event, over the cases that reached it."""

    cases: int
    median_hours: float | None
    p90_hours: float | None


class Compensation(msgspec.Struct, frozen=True):
    """Remedies done (paid or given), by type and currency."""

    type: str
    currency: str
    remedies: int
    amount_minor: int


class Satisfaction(msgspec.Struct, frozen=True):
    responses: int
    eligible: int  # resolved cases (the ones a survey can be recorded for)
    mean: float | None
    distribution: dict[int, int]  # score 1..5 -> responses
    response_rate_pct: float | None


class CarrierScore(msgspec.Struct, frozen=True):
    carrier: str
    shipped_orders: int
    lost: int
    damaged: int
    delayed: int
    lost_per_100: float | None
    damaged_per_100: float | None
    delayed_per_100: float | None


class DepartmentPoints(msgspec.Struct, frozen=True):
    department: str
    responsible_cases: int
    joint_cases: int
    points: float


class UrgentFigure(msgspec.Struct, frozen=True):
    """Urgent orders handled on time: both clocks met, over the urgent cases already decided."""

    urgent_cases: int
    on_time: int
    late: int
    pending: int
    on_time_pct: float | None


class IncidentFigure(msgspec.Struct, frozen=True):
    """Incidents started in the period: how many, how long to bring under control, how big."""

    incidents: int = 0
    stable: int = 0  # of those, declared stable (or closed)
    mean_hours_to_stable: float | None = None
    cases_per_incident: float | None = None


def incident_figure(rows: list[tuple[int, datetime, datetime | None]]) -> IncidentFigure:
    """From (linked cases, started, stable) per incident."""
    if not rows:
        return IncidentFigure()
    spans = [(stable - started).total_seconds() / 3600 for _, started, stable in rows
             if stable is not None]
    return IncidentFigure(
        incidents=len(rows), stable=len(spans),
        mean_hours_to_stable=round(sum(spans) / len(spans), 2) if spans else None,
        cases_per_incident=round(sum(cases for cases, _, _ in rows) / len(rows), 2),
    )


class Summary(msgspec.Struct, kw_only=True):
    period_from: datetime | None
    period_to: datetime | None
    total: int  # cases in the period and filter, void ones left out
    by_status: list[Count]  # void ones included
    by_kind: list[Count]
    by_group: list[Count]
    by_level: list[Count]
    by_carrier: list[Count]
    by_party: list[Count]
    by_department: list[Count]
    first_response: SlaFigure
    resolution: SlaFigure
    time_to_first_response: DurationFigure
    time_to_resolution: DurationFigure
    compensation: list[Compensation]
    satisfaction: Satisfaction
    carriers: list[CarrierScore]
    departments: list[DepartmentPoints]
    urgent: UrgentFigure
    incidents: IncidentFigure = IncidentFigure()


def pct(part: float, whole: float) -> float | None:
    """A percentage rounded to 2 places; None (not 0) when there is nothing to divide by."""
    if not whole:
        return None
    return round(100.0 * part / whole, 2)


def per_100(count: int, shipped: int) -> float | None:
    if not shipped:
        return None
    return round(100.0 * count / shipped, 2)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100), interpolating linearly between the closest ranks.

    The method of numpy's default and of `statistics.quantiles(method="inclusive")`: for sorted
    values v[0..n-1] the position is (n-1)*q/100.
    """
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is outside 0..100")
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    fraction = position - low
    return ordered[low] + (ordered[high] - ordered[low]) * fraction


def median(values: Sequence[float]) -> float | None:
    return percentile(values, 50)


def duration_figure(seconds: Sequence[float]) -> DurationFigure:
    def hours(value: float | None) -> float | None:
        return None if value is None else round(value / 3600, 2)

    return DurationFigure(
        cases=len(seconds),
        median_hours=hours(median(seconds)),
        p90_hours=hours(percentile(seconds, 90)),
    )


def sla_figure(met: int, breached: int, pending: int) -> SlaFigure:
    return SlaFigure(
        met=met, breached=breached, pending=pending, compliance_pct=pct(met, met + breached)
    )


def satisfaction(scores: dict[int, int], eligible: int) -> Satisfaction:
    """From responses per score (1..5) and the number of cases that could have answered."""
    distribution = {score: int(scores.get(score, 0)) for score in range(1, 6)}
    responses = sum(distribution.values())
    total = sum(score * count for score, count in distribution.items())
    return Satisfaction(
        responses=responses,
        eligible=eligible,
        mean=round(total / responses, 2) if responses else None,
        distribution=distribution,
        response_rate_pct=pct(responses, eligible),
    )


def department_points(
    responsible: dict[str, int], joint: dict[str, int]
) -> list[DepartmentPoints]:
    """Per department: −1 a case it is responsible for, −0.5 a case it is jointly responsible for.

    Worst (lowest points) first, then by name.
    """
    departments = sorted(set(responsible) | set(joint))
    scores = [
        DepartmentPoints(
            department=department,
            responsible_cases=responsible.get(department, 0),
            joint_cases=joint.get(department, 0),
            points=RESPONSIBLE_POINTS * responsible.get(department, 0)
            + JOINT_POINTS * joint.get(department, 0),
        )
        for department in departments
    ]
    return sorted(scores, key=lambda score: (score.points, score.department))


def carrier_score(carrier: str, shipped: int, lost: int, damaged: int, delayed: int) -> CarrierScore:
    return CarrierScore(
        carrier=carrier,
        shipped_orders=shipped,
        lost=lost,
        damaged=damaged,
        delayed=delayed,
        lost_per_100=per_100(lost, shipped),
        damaged_per_100=per_100(damaged, shipped),
        delayed_per_100=per_100(delayed, shipped),
    )


def carrier_scorecard(
    shipped: dict[str, int], problems: dict[str, dict[str, int]]
) -> list[CarrierScore]:
    """`problems[carrier]` counts orders with a lost / damaged / delayed case.

    Worst first: most problems per 100 shipped orders, then by name.
    """
    carriers = sorted(set(shipped) | set(problems))
    scores = [
        carrier_score(
            carrier,
            shipped.get(carrier, 0),
            problems.get(carrier, {}).get("lost", 0),
            problems.get(carrier, {}).get("damaged", 0),
            problems.get(carrier, {}).get("delayed", 0),
        )
        for carrier in carriers
    ]

    def badness(score: CarrierScore) -> tuple[float, str]:
        rates = [score.lost_per_100, score.damaged_per_100, score.delayed_per_100]
        return (-sum(rate or 0.0 for rate in rates), score.carrier)

    return sorted(scores, key=badness)


def urgent_figure(on_time: int, late: int, pending: int) -> UrgentFigure:
    return UrgentFigure(
        urgent_cases=on_time + late + pending,
        on_time=on_time,
        late=late,
        pending=pending,
        on_time_pct=pct(on_time, on_time + late),
    )


def met_column(
    done: Sequence[Any], due: Sequence[Any], statuses: Sequence[Any], now: Any
) -> list[bool | None]:
    """Was each clock stopped by its due time? For columns of store times (text or UTF-8 bytes,
    which compare in time order): True / False; False too when it is overdue and still running
    (a void case excepted); None while it runs within its time or has no due time."""
    void = b"void" if isinstance(now, bytes) else "void"
    return [
        (stopped <= due_at) if stopped is not None
        else (False if due_at is not None and due_at < now and status != void else None)
        for stopped, due_at, status in zip(done, due, statuses)
    ]


def counts(pairs: Sequence[tuple[str | int | None, int]], *, none_as: str = "") -> list[Count]:
    """(key, count) pairs as Counts, largest first then by key; a missing key becomes `none_as`."""
    merged: dict[str, int] = {}
    for key, count in pairs:
        name = none_as if key is None or key == "" else str(key)
        merged[name] = merged.get(name, 0) + int(count)
    return sorted((Count(key, count) for key, count in merged.items()), key=lambda c: (-c.count, c.key))
