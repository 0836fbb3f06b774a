"""Which SLA targets apply to a case, and its due times (DESIGN §2 SLA).

Targets come per level ("L1".."L3"), optionally per kind (a kind's own entry wins over its level's),
and for urgent orders, whose targets tighten the level's (the earlier due time of the two wins).
A target of "eod" means the end of the business day the clock starts in (urgent: 当天评估).
Waiting pauses both clocks: closed pauses push the due times later; while a pause is open the
running clock has no due time. A reopened case gets a new resolution clock from the reopen (its
first response was made in its first life); the first response clock stays as it ended.

Due times are stored with each case (the queue sorts on them); `fingerprint` names the policy and
the rules they were derived with, so a store whose active cases were computed with another calendar
or other targets can be recomputed as a whole.
"""

from __future__ import annotations

import functools
import hashlib
import re
from datetime import datetime, timedelta

import msgspec

from shopdesk.domain import sla
from shopdesk.domain.errors import ValidationError
from shopdesk.domain.workflow import is_active

_DURATION = re.compile(r"^\s*(\d+)\s*(m|min|h|d)\s*$")
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days"}


class Dues(msgspec.Struct, frozen=True):
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    due_at: datetime | None  # the running clock's due time; None while paused or when done


class SlaPolicy(msgspec.Struct, frozen=True):
    calendar: sla.BusinessCalendar
    # key ("L1".."L3", a kind, "urgent") -> (first response, resolution) as text: "4h", "3d", "eod"
    targets: dict[str, tuple[str, str]]


# How due times are derived from a policy; raise it when compute_dues changes, so stores recompute
# their active cases' stored dues once (2: a reopen starts a new resolution clock).
DUES_RULES = 2


def fingerprint(policy: SlaPolicy) -> str:
    """A short name for everything a stored due time depends on besides the case itself: the
    calendar (zone, hours, holidays, extra workdays), the targets and DUES_RULES."""
    calendar = policy.calendar
    content = {
        "rules": DUES_RULES,
        "tz": calendar.tz,
        "weekly": sorted((int(day), sorted(slots)) for day, slots in calendar.weekly.items()),
        "holidays": sorted(day.isoformat() for day in calendar.holidays),
        "extra_workdays": sorted(day.isoformat() for day in calendar.extra_workdays),
        "extra_day_hours": sorted(calendar.extra_day_hours),
        "business_day_minutes": calendar.business_day_minutes,
        "targets": sorted((key, list(pair)) for key, pair in policy.targets.items()),
    }
    return hashlib.sha256(msgspec.json.encode(content)).hexdigest()[:16]


def parse_duration(text: str, field: str = "sla") -> sla.Target:
    return _parse_duration(text, field)


@functools.lru_cache(maxsize=256)
def _parse_duration(text: str, field: str) -> sla.Target:
    match = _DURATION.match(text)
    if not match:
        raise ValidationError(f"{field}: {text!r} is not a duration like 30m, 4h or 2d", field=field)
    return sla.Target(amount=int(match.group(1)), unit=_UNITS[match.group(2)])


def _duration(policy: SlaPolicy, spec: str, start: datetime) -> timedelta:
    if spec == "eod":
        return sla.business_time_between(
            policy.calendar, start, sla.end_of_business_day(policy.calendar, start)
        )
    return sla.target_duration(policy.calendar, parse_duration(spec))


def targets(
    policy: SlaPolicy, *, level: int, kind: str, urgent: bool, opened_at: datetime,
    resolution_from: datetime | None = None,
) -> tuple[timedelta, timedelta]:
    """(first response, resolution) targets in business time for a case; "eod" counts from where
    each clock starts (the resolution clock at `resolution_from`, a reopen, when given)."""
    resolution_start = resolution_from or opened_at
    first_spec, resolution_spec = policy.targets.get(kind) or policy.targets[f"L{level}"]
    first = _duration(policy, first_spec, opened_at)
    resolution = _duration(policy, resolution_spec, resolution_start)
    if urgent and "urgent" in policy.targets:
        urgent_first, urgent_resolution = policy.targets["urgent"]
        first = min(first, _duration(policy, urgent_first, opened_at))
        resolution = min(resolution, _duration(policy, urgent_resolution, resolution_start))
    return first, resolution


def owner_due(
    policy: SlaPolicy, *, level: int, kind: str, urgent: bool, opened_at: datetime,
    resolution_due_at: datetime, reopened_at: datetime | None = None,
) -> datetime:
    """When a case still unresolved goes up to the owner: its resolution target again, counted in
    business time from the resolution due time (the sweep's second tier; the first breach went
    to a supervisor)."""
    _, resolution = targets(policy, level=level, kind=kind, urgent=urgent, opened_at=opened_at,
                            resolution_from=reopened_at)
    return sla.add_business_time(policy.calendar, resolution_due_at, resolution)


def compute_dues(
    policy: SlaPolicy,
    *,
    level: int,
    kind: str,
    urgent: bool,
    status: str,
    opened_at: datetime,
    first_response_at: datetime | None,
    pauses: list[sla.Pause],
    reopened_at: datetime | None = None,
) -> Dues:
    """The stored due times: each clock's, and the running one's. After a reopen the resolution
    clock runs from `reopened_at` (pauses before it do not count) and is the running one."""
    first, resolution = targets(policy, level=level, kind=kind, urgent=urgent, opened_at=opened_at,
                                resolution_from=reopened_at)
    first_due = sla.due_after_pauses(policy.calendar, opened_at, first, pauses)
    resolution_due = sla.due_after_pauses(
        policy.calendar, reopened_at or opened_at, resolution, pauses
    )
    is_paused = any(pause.end is None for pause in pauses)
    running: datetime | None
    if not is_active(status) or is_paused:
        running = None
    elif first_response_at is None and reopened_at is None:
        running = min(first_due, resolution_due)
    else:
        running = resolution_due
    return Dues(first_response_due_at=first_due, resolution_due_at=resolution_due, due_at=running)


def clocks(
    policy: SlaPolicy,
    *,
    level: int,
    kind: str,
    urgent: bool,
    opened_at: datetime,
    first_response_at: datetime | None,
    resolved_at: datetime | None,
    pauses: list[sla.Pause],
    now: datetime,
    reopened_at: datetime | None = None,
) -> tuple[sla.ClockState, sla.ClockState]:
    """Each clock on its own: first response and resolution, as the case screen shows them — the
    same clocks compute_dues stores the due times of (a reopen restarts the resolution clock and
    ends a first response clock still running)."""
    first, resolution = targets(policy, level=level, kind=kind, urgent=urgent, opened_at=opened_at,
                                resolution_from=reopened_at)
    return (
        sla.clock_state(
            policy.calendar, started_at=opened_at, target=first, pauses=pauses, now=now,
            stopped_at=first_response_at or reopened_at,
        ),
        sla.clock_state(
            policy.calendar, started_at=reopened_at or opened_at, target=resolution,
            pauses=pauses, now=now, stopped_at=resolved_at,
        ),
    )


class ClockFacts(msgspec.Struct, frozen=True):
    """What a case's stored due times depend on besides the policy (for recomputing many)."""

    id: int
    version: int
    level: int
    kind: str
    urgent: bool
    status: str
    opened_at: datetime
    first_response_at: datetime | None
    reopened_at: datetime | None
    stored: tuple[datetime | None, datetime | None, datetime | None] = (None, None, None)
    """The due times stored now: (first response, resolution, running)."""


def dues_of_many(
    policy: SlaPolicy, cases: list[ClockFacts], pauses: dict[int, list[sla.Pause]]
) -> list[tuple[ClockFacts, Dues]]:
    """compute_dues for each case whose due times it changes (a batch of a recompute after a
    policy change: a declared holiday moves only the due times around it)."""
    out = []
    for case in cases:
        dues = compute_dues(
            policy, level=case.level, kind=case.kind, urgent=case.urgent, status=case.status,
            opened_at=case.opened_at, first_response_at=case.first_response_at,
            pauses=pauses.get(case.id, []), reopened_at=case.reopened_at,
        )
        if (dues.first_response_due_at, dues.resolution_due_at, dues.due_at) != case.stored:
            out.append((case, dues))
    return out


WARNING_SHARE = 0.25  # under a quarter of the allowed business time left: amber


def time_left(
    calendar: sla.BusinessCalendar,
    *,
    status: str,
    due_at: datetime | None,
    opened_at: datetime,
    now: datetime,
) -> tuple[timedelta | None, str]:
    """Business time left on a case's running clock (negative: overdue by that much), and its tone:
    "breached", "warning" (under 25 % of the allowed time left), "paused", "done" or "" (normal).
    The CLI, the TUI and the API all show this one figure."""
    if not is_active(status):
        return None, "done"
    if status == "waiting" or due_at is None:
        return None, "paused"
    if due_at <= now:
        return -sla.business_time_between(calendar, due_at, now), "breached"
    left = sla.business_time_between(calendar, now, due_at)
    allowed = sla.business_time_between(calendar, opened_at, due_at)
    if allowed > timedelta() and left / allowed < WARNING_SHARE:
        return left, "warning"
    return left, ""


def span_parts(delta: timedelta, day: timedelta) -> tuple[bool, int, int, int]:
    """(negative, days, hours, minutes) of a span, a day being `day` long (whole minutes)."""
    minutes = int(abs(delta).total_seconds() // 60)
    day_minutes = max(1, int(day.total_seconds() // 60))
    days, minutes = divmod(minutes, day_minutes)
    hours, minutes = divmod(minutes, 60)
    return delta < timedelta(), days, hours, minutes


def format_span(delta: timedelta, day: timedelta) -> str:
    """A business-time span: 45m, 3h20m, 2d4h (a day is the calendar's business day), with a
    leading minus when negative. (The TUI spells the same parts through its catalog.)"""
    negative, days, hours, minutes = span_parts(delta, day)
    sign = "-" if negative else ""
    if days:
        text = f"{days}d{hours}h" if hours else f"{days}d"
    elif hours:
        text = f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"
    else:
        text = f"{minutes}m"
    return sign + text
