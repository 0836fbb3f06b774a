"""SLA clocks counted in a shop's business hours (处理时限).

A `BusinessCalendar` names a time zone, weekly hours (several slots a day, e.g. a lunch break),
holidays and extra working days (China's make-up workdays, 调休). Every function here is pure: the
caller passes `now`; nothing reads the clock.

Conventions:

- All datetimes passed in must be timezone-aware; every datetime returned is UTC-aware.
- Slots are wall-clock times on each local date of the calendar's zone, so business hours follow
  DST changes (zoneinfo). Business time is real elapsed time: a slot that spans a DST jump is an
  hour shorter or longer. A slot boundary that falls in a DST gap maps the way zoneinfo maps
  `fold=0` (as if the clock had not moved yet); slots are then clipped so they never overlap.
- A slot is half-open, `[start, end)`: `is_business_time` is False exactly at the end.
- **Due instants may sit exactly at a slot end.** `add_business_time` returns the moment the
  amount has elapsed, so one hour from 17:00 with a slot ending at 18:00 is 18:00 on the same day,
  not 09:00 on the next business day. Every due time is therefore inside a slot or at a slot end.
- Work is done day by day (per-day slots are cached), never minute by minute. A search that finds
  no business time for `MAX_EMPTY_DAYS` consecutive days raises `ValidationError`.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec

from shopdesk.domain.errors import ValidationError

__all__ = [
    "MAX_EMPTY_DAYS",
    "BusinessCalendar",
    "ClockState",
    "Pause",
    "Target",
    "add_business_time",
    "slots_of_day",
    "weekly_slots",
    "zone_of",
    "business_time_between",
    "clock_state",
    "day_length",
    "end_of_business_day",
    "fraction_left",
    "is_business_time",
    "next_business_moment",
    "target_duration",
    "validate_calendar",
]

MAX_EMPTY_DAYS = 3 * 366
"""Consecutive days without business hours after which a search gives up."""

_STANDARD_SLOTS = ("09:00-12:00", "13:00-18:00")
_SLOT_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_ONE_DAY = timedelta(days=1)
_ZERO = timedelta(0)
_TINY = timedelta(microseconds=1)


def _default_weekly() -> dict[int, list[str]]:
    return {weekday: list(_STANDARD_SLOTS) for weekday in range(5)}


def _default_extra_day_hours() -> list[str]:
    return list(_STANDARD_SLOTS)


class BusinessCalendar(msgspec.Struct, frozen=True):
    """When the shop works. `weekly` maps weekday (0=Mon..6=Sun) to "HH:MM-HH:MM" slots."""

    tz: str = "Asia/Shanghai"
    weekly: dict[int, list[str]] = msgspec.field(default_factory=_default_weekly)
    holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    extra_day_hours: list[str] = msgspec.field(default_factory=_default_extra_day_hours)
    business_day_minutes: int | None = None

    def __hash__(self) -> int:
        # `weekly` and the slot lists are not hashable; hash the normalised content instead.
        return hash(_calendar_key(self))


# --- compiling a calendar -------------------------------------------------------------------


Slots = tuple[tuple[int, int], ...]
"""Parsed slots of one day: (start minute, end minute) pairs, sorted, end may be 1440."""


def _calendar_key(cal: BusinessCalendar) -> tuple:
    try:
        weekly = tuple(
            sorted((weekday, tuple(slots)) for weekday, slots in dict(cal.weekly).items())
        )
        key = (
            cal.tz,
            weekly,
            frozenset(cal.holidays),
            frozenset(cal.extra_workdays),
            tuple(cal.extra_day_hours),
            cal.business_day_minutes,
        )
        hash(key)
    except TypeError as exc:
        raise ValidationError(f"malformed business calendar: {exc}", field="calendar") from exc
    return key


class _Compiled:
    """A validated calendar in the shape the algorithms use; hashable by its content key."""

    __slots__ = ("_hash", "day_length", "extra_slots", "extra_workdays", "holidays", "key", "weekly",
                 "zone")

    def __init__(self, key: tuple) -> None:
        tz, weekly, holidays, extra_workdays, extra_day_hours, business_day_minutes = key
        self.key = key
        self._hash = hash(key)  # per-day lookups hash the calendar: once, not every time
        self.zone = _parse_zone(tz)
        parsed: dict[int, Slots] = {}
        for weekday, slots in weekly:
            if not isinstance(weekday, int) or isinstance(weekday, bool) or not 0 <= weekday <= 6:
                raise ValidationError(
                    f"weekday must be 0 (Monday) to 6 (Sunday), not {weekday!r}", field="weekly"
                )
            parsed[weekday] = _parse_slots(slots, f"weekly[{weekday}]")
        self.weekly = tuple(parsed.get(weekday, ()) for weekday in range(7))
        self.extra_slots = _parse_slots(extra_day_hours, "extra_day_hours")
        self.holidays = holidays
        self.extra_workdays = extra_workdays
        both = holidays & extra_workdays
        if both:
            first = min(both).isoformat()
            raise ValidationError(
                f"{first} is both a holiday and an extra workday", field="extra_workdays"
            )
        if extra_workdays and not self.extra_slots:
            raise ValidationError(
                "extra workdays need extra_day_hours", field="extra_day_hours"
            )
        if not any(self.weekly):
            raise ValidationError("the calendar has no weekly business hours", field="weekly")
        if business_day_minutes is None:
            minutes = max(sum(end - start for start, end in slots) for slots in self.weekly)
        else:
            if (
                not isinstance(business_day_minutes, int)
                or isinstance(business_day_minutes, bool)
                or business_day_minutes <= 0
            ):
                raise ValidationError(
                    "business_day_minutes must be a positive number of minutes",
                    field="business_day_minutes",
                )
            minutes = business_day_minutes
        self.day_length = timedelta(minutes=minutes)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return other is self or (isinstance(other, _Compiled) and other.key == self.key)

    def slots_on(self, day: date) -> Slots:
        if day in self.holidays:
            return ()
        if day in self.extra_workdays:
            return self.extra_slots
        return self.weekly[day.weekday()]


def _parse_zone(tz: object) -> ZoneInfo:
    if not isinstance(tz, str) or not tz:
        raise ValidationError(f"unknown time zone {tz!r}", field="tz")
    try:
        return ZoneInfo(tz)
    except (KeyError, ValueError, OSError) as exc:
        raise ValidationError(f"unknown time zone {tz!r}", field="tz") from exc


def _parse_slots(slots: object, field: str) -> Slots:
    if isinstance(slots, str) or not isinstance(slots, (list, tuple)):
        raise ValidationError('slots must be a list of "HH:MM-HH:MM" strings', field=field)
    parsed: list[tuple[int, int]] = []
    for text in slots:
        match = _SLOT_RE.match(text) if isinstance(text, str) else None
        if match is None:
            raise ValidationError(f'slot {text!r} is not "HH:MM-HH:MM"', field=field)
        sh, sm, eh, em = (int(part) for part in match.groups())
        if sh > 23 or sm > 59 or em > 59 or eh > 24 or (eh == 24 and em != 0):
            raise ValidationError(f"slot {text!r} has an impossible time", field=field)
        start, end = sh * 60 + sm, eh * 60 + em
        if end <= start:
            raise ValidationError(
                f"slot {text!r} ends before it starts (a slot cannot cross midnight; "
                'use "…-24:00" and "00:00-…" on the next day)',
                field=field,
            )
        parsed.append((start, end))
    parsed.sort()
    merged: list[tuple[int, int]] = []
    for start, end in parsed:
        if merged and start < merged[-1][1]:
            raise ValidationError(f"slots overlap: {slots!r}", field=field)
        if merged and start == merged[-1][1]:
            merged[-1] = (merged[-1][0], end)  # touching slots are one slot
        else:
            merged.append((start, end))
    return tuple(merged)


@functools.lru_cache(maxsize=256)
def _compile_key(key: tuple) -> _Compiled:
    return _Compiled(key)


_BY_IDENTITY: dict[int, tuple[BusinessCalendar, _Compiled]] = {}


def _compile(cal: BusinessCalendar) -> _Compiled:
    # A calendar is frozen: the one object compiles to the same result every time, so the content
    # key (which hashes every holiday) is built once per calendar object, not once per call.
    known = _BY_IDENTITY.get(id(cal))
    if known is not None and known[0] is cal:
        return known[1]
    compiled = _compile_key(_calendar_key(cal))
    if len(_BY_IDENTITY) > 64:
        _BY_IDENTITY.clear()
    _BY_IDENTITY[id(cal)] = (cal, compiled)
    return compiled


# --- per-day intervals ----------------------------------------------------------------------


Interval = tuple[datetime, datetime]


def _wall_to_utc(zone: ZoneInfo, day: date, minute: int) -> datetime:
    if minute >= 1440:
        day, minute = day + _ONE_DAY, minute - 1440
    local = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=zone)
    return local.astimezone(UTC)


@functools.lru_cache(maxsize=16384)
def _day(comp: _Compiled, day: date) -> tuple[datetime, tuple[Interval, ...]]:
    """(local midnight in UTC, the day's business intervals in UTC, sorted and disjoint)."""
    lo = _wall_to_utc(comp.zone, day, 0)
    slots = comp.slots_on(day)
    if not slots:
        return lo, ()
    hi = _wall_to_utc(comp.zone, day, 1440)
    out: list[Interval] = []
    floor = lo
    for start_minute, end_minute in slots:
        start = max(_wall_to_utc(comp.zone, day, start_minute), floor)
        end = min(_wall_to_utc(comp.zone, day, end_minute), hi)
        if end > start:
            out.append((start, end))
            floor = end
    return lo, tuple(out)


def _aware(t: datetime, field: str) -> datetime:
    if not isinstance(t, datetime) or t.tzinfo is None or t.utcoffset() is None:
        raise ValidationError("a timezone-aware datetime is required", field=field)
    return t.astimezone(UTC)


def _intervals(comp: _Compiled, t: datetime, until: datetime | None = None):
    """Business intervals ending after `t`, in time order.

    Stops before a day that starts at or after `until`; raises after `MAX_EMPTY_DAYS` empty days.
    """
    day = t.astimezone(comp.zone).date() - _ONE_DAY
    empty_days = 0
    while True:
        lo, intervals = _day(comp, day)
        if until is not None and lo >= until:
            return
        if intervals:
            empty_days = 0
            for interval in intervals:
                if interval[1] > t:
                    yield interval
        else:
            empty_days += 1
            if empty_days > MAX_EMPTY_DAYS:
                raise ValidationError(
                    f"no business hours within {MAX_EMPTY_DAYS} days of {t.isoformat()}",
                    field="calendar",
                )
        day += _ONE_DAY


# --- public functions -----------------------------------------------------------------------


def validate_calendar(cal: BusinessCalendar) -> None:
    """Raise `ValidationError` if the calendar cannot be used; return None if it can."""
    _compile(cal)


def slots_of_day(cal: BusinessCalendar, day: date) -> tuple[tuple[int, int], ...]:
    """Business hours of a local date as (start minute, end minute) pairs; empty: none."""
    return _compile(cal).slots_on(day)


def weekly_slots(cal: BusinessCalendar, weekday: int) -> tuple[tuple[int, int], ...]:
    """The weekly business hours of a weekday (0=Mon), holidays aside."""
    return _compile(cal).weekly[weekday]


def zone_of(cal: BusinessCalendar) -> ZoneInfo:
    return _compile(cal).zone


def day_length(cal: BusinessCalendar) -> timedelta:
    """One business day: `business_day_minutes`, else the longest weekday's business time."""
    return _compile(cal).day_length


def is_business_time(cal: BusinessCalendar, t: datetime) -> bool:
    """True if `t` lies inside a slot, `[start, end)`."""
    t = _aware(t, "t")
    for start, _end in _intervals(_compile(cal), t):
        return start <= t
    return False  # pragma: no cover - _intervals raises rather than ending


def next_business_moment(cal: BusinessCalendar, t: datetime) -> datetime:
    """`t` itself if it is business time, else the start of the next slot."""
    t = _aware(t, "t")
    for start, _end in _intervals(_compile(cal), t):
        return max(start, t)
    raise AssertionError("unreachable")  # pragma: no cover


def add_business_time(cal: BusinessCalendar, start: datetime, amount: timedelta) -> datetime:
    """The moment when `amount` of business time has elapsed after `start`.

    The result is inside a slot or exactly at a slot end (a due time of 18:00 when the slot ends at
    18:00). `amount == 0` gives `next_business_moment(start)`. A negative amount is refused.
    """
    start = _aware(start, "start")
    if amount < _ZERO:
        raise ValidationError("business time to add cannot be negative", field="amount")
    comp = _compile(cal)
    if amount == _ZERO:
        return next_business_moment(cal, start)
    remaining = amount
    # _intervals(comp, start) written out: this is the hot loop of every due time.
    day = start.astimezone(comp.zone).date() - _ONE_DAY
    empty_days = 0
    while True:
        intervals = _day(comp, day)[1]
        if intervals:
            empty_days = 0
            for slot_start, slot_end in intervals:
                if slot_end <= start:
                    continue
                begin = slot_start if slot_start > start else start
                available = slot_end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        else:
            empty_days += 1
            if empty_days > MAX_EMPTY_DAYS:
                raise ValidationError(
                    f"no business hours within {MAX_EMPTY_DAYS} days of {start.isoformat()}",
                    field="calendar",
                )
        day += _ONE_DAY


def business_time_between(cal: BusinessCalendar, a: datetime, b: datetime) -> timedelta:
    """Business time in `[a, b)`; zero if `b <= a`."""
    a = _aware(a, "a")
    b = _aware(b, "b")
    comp = _compile(cal)
    if b <= a:
        return _ZERO
    total = _ZERO
    for slot_start, slot_end in _intervals(comp, a, until=b):
        if slot_start >= b:
            break
        total += min(slot_end, b) - max(slot_start, a)
    return total


def end_of_business_day(cal: BusinessCalendar, t: datetime) -> datetime:
    """End of the last slot of `t`'s business day; of the next business day if that has passed.

    The day is `t`'s local date. If that date has no business hours, or `t` is at or after its last
    slot end, the answer is the last slot end of the next date that has business hours.
    """
    t = _aware(t, "t")
    comp = _compile(cal)
    day = t.astimezone(comp.zone).date()
    _lo, intervals = _day(comp, day)
    if intervals and t < intervals[-1][1]:
        return intervals[-1][1]
    for _ in range(MAX_EMPTY_DAYS + 1):
        day += _ONE_DAY
        _lo, intervals = _day(comp, day)
        if intervals:
            return intervals[-1][1]
    raise ValidationError(
        f"no business hours within {MAX_EMPTY_DAYS} days of {t.isoformat()}", field="calendar"
    )


class Target(msgspec.Struct, frozen=True):
    """An SLA target as configured: `amount` of "minutes", "hours" or business "days"."""

    amount: int
    unit: str


_UNIT_MINUTES = {"minutes": 1, "hours": 60}


def target_duration(cal: BusinessCalendar, target: Target) -> timedelta:
    """The business time a target stands for; a "day" is `day_length(cal)`."""
    if not isinstance(target.amount, int) or isinstance(target.amount, bool) or target.amount < 0:
        raise ValidationError("a target amount must be a whole number, 0 or more", field="amount")
    if target.unit == "days":
        return target.amount * day_length(cal)
    if target.unit in _UNIT_MINUTES:
        return timedelta(minutes=target.amount * _UNIT_MINUTES[target.unit])
    raise ValidationError(
        f'unknown target unit {target.unit!r}: use "minutes", "hours" or "days"', field="unit"
    )


class Pause(msgspec.Struct, frozen=True):
    """A span when the clock stood still (case waiting on someone); `end=None`: still paused."""

    start: datetime
    end: datetime | None = None


class ClockState(msgspec.Struct, frozen=True):
    """One SLA clock at one instant."""

    due_at: datetime | None
    """When the target is reached; None while paused (the due time is not known yet)."""
    remaining: timedelta
    """Business time left; negative once breached; frozen while paused."""
    elapsed: timedelta
    """Business time counted so far, pauses excluded."""
    target: timedelta
    breached: bool
    paused: bool
    stopped: bool
    """The clock was met: first response made or case resolved."""


def _merged_pauses(
    pauses: list[Pause], lo: datetime, hi: datetime
) -> list[tuple[datetime, datetime]]:
    """Pauses clipped to `[lo, hi]` (open ones run to `hi`), sorted, overlaps merged."""
    spans: list[tuple[datetime, datetime]] = []
    for pause in pauses:
        start = max(_aware(pause.start, "pause.start"), lo)
        end = hi if pause.end is None else min(_aware(pause.end, "pause.end"), hi)
        if end > start:
            spans.append((start, end))
    spans.sort()
    merged: list[tuple[datetime, datetime]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _due_with_pauses(
    cal: BusinessCalendar,
    started_at: datetime,
    target: timedelta,
    spans: list[tuple[datetime, datetime]],
) -> datetime:
    """The instant the counted (unpaused) business time reaches `target`."""
    position = started_at
    remaining = target
    for pause_start, pause_end in spans:
        if pause_start > position:
            counted = business_time_between(cal, position, pause_start)
            if counted >= remaining:
                return add_business_time(cal, position, remaining)
            remaining -= counted
        position = max(position, pause_end)
    return add_business_time(cal, position, remaining)


def clock_state(
    cal: BusinessCalendar,
    *,
    started_at: datetime,
    target: timedelta,
    pauses: list[Pause],
    now: datetime,
    stopped_at: datetime | None = None,
) -> ClockState:
    """Where an SLA clock stands at `now` (or where it stopped, at `stopped_at`).

    - elapsed: business time from `started_at` to `stopped_at or now`, minus business time
      inside pauses (pauses are clipped to that span; overlapping pauses count once).
    - paused: not stopped and `now` is inside a pause (an open pause, or a closed one not yet over).
    - due_at: None while paused; otherwise the instant the counted business time reaches the
      target. When every pause lies before that instant this equals
      `add_business_time(started_at, target + business time paused)`; a pause taken after the
      target was already missed does not move the due time later.
    - breached: the clock end (`stopped_at or now`) is after `due_at`, or elapsed exceeds the
      target. A due time may sit at a slot end (18:00): at 18:30 that clock is breached although
      no business time has passed since, so `remaining` is then 0 and `breached` True.
    - remaining: target - elapsed.
    """
    started_at = _aware(started_at, "started_at")
    now = _aware(now, "now")
    if target < _ZERO:
        raise ValidationError("an SLA target cannot be negative", field="target")
    stopped = stopped_at is not None
    end = _aware(stopped_at, "stopped_at") if stopped_at is not None else now
    end = max(end, started_at)
    spans = _merged_pauses(pauses, started_at, end)
    paused_time = sum(
        (business_time_between(cal, start, stop) for start, stop in spans), _ZERO
    )
    elapsed = business_time_between(cal, started_at, end) - paused_time
    paused = not stopped and _open_at(pauses, now)
    due_at = None if paused else _due_with_pauses(cal, started_at, target, spans)
    breached = elapsed > target or (due_at is not None and end > due_at)
    return ClockState(
        due_at=due_at,
        remaining=target - elapsed,
        elapsed=elapsed,
        target=target,
        breached=breached,
        paused=paused,
        stopped=stopped,
    )


def _open_at(pauses: list[Pause], now: datetime) -> bool:
    """True if some pause covers `now`: started at or before it and not ended by it."""
    for pause in pauses:
        start = _aware(pause.start, "pause.start")
        if start <= now and (pause.end is None or _aware(pause.end, "pause.end") > now):
            return True
    return False


def fraction_left(state: ClockState) -> float:
    """remaining / target, at most 1.0 and negative once overdue (amber under 0.25).

    A zero target has nothing left: 0.0, or -1.0 once breached.
    """
    if state.target <= _ZERO:
        return -1.0 if state.breached else 0.0
    return min(1.0, state.remaining / state.target)


def due_after_pauses(
    cal: BusinessCalendar, started_at: datetime, target: timedelta, pauses: list[Pause]
) -> datetime:
    """When a clock started at `started_at` reaches `target` of counted business time, the closed
    pauses excluded (an open pause is ignored: the caller knows the clock is paused). A pause taken
    after the target was already missed does not move the due time."""
    if not pauses:
        return add_business_time(cal, started_at, target)
    started_at = _aware(started_at, "started_at")
    closed = [pause for pause in pauses if pause.end is not None]
    until = max([_aware(pause.end, "pause.end") for pause in closed], default=started_at)
    spans = _merged_pauses(closed, started_at, max(until, started_at))
    return _due_with_pauses(cal, started_at, target, spans)
