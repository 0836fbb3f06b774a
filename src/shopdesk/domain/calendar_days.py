"""The days of a business calendar that are not ordinary, and why (节假日与调休).

A public calendar (a country's holidays and, for China, its make-up working days 调休) comes in as
data — looked up at the edge (shopdesk.public_holidays) — and is merged here with the shop's own
`holidays` and `extra_workdays`, which add to it or override it. Pure: no clock, no I/O.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import msgspec

from shopdesk.domain import sla
from shopdesk.domain.errors import ValidationError



class DayName(msgspec.Struct, frozen=True):
    """A day's name in English and Chinese."""

    en: str
    zh: str
    en_block: str = ""
    """The festival a swapped or observed day off belongs to ("National Day"); empty: `en`."""
    zh_block: str = ""

    def block(self) -> DayName:
        """The festival this day off is part of (a 调休 day off of National Day is National Day)."""
        return DayName(en=self.en_block or self.en, zh=self.zh_block or self.zh)

    def text(self, lang: str) -> str:
        """The name in `lang`; a swapped day off says whose festival it belongs to."""
        name, block = (self.zh, self.zh_block) if lang == "zh" else (self.en, self.en_block)
        return name if not block or name.startswith(block) else f"{block}: {name}"


class PublicCalendar(msgspec.Struct, frozen=True):
    """What a country's calendar says, for the years it was looked up for."""

    code: str
    """As configured: "CN", "US-CA"."""
    holidays: dict[date, DayName]
    """Days off, in the covered years only."""
    workdays: dict[date, DayName]
    """Weekend days that are worked (China's 调休), in the covered years only."""
    covered_years: frozenset[int]
    """Years the package has the official dates of."""
    looked_up_years: tuple[int, int]
    """First and last year looked up (inclusive)."""

    def covers(self, year: int) -> bool:
        return year in self.covered_years


SHOP_HOLIDAY = DayName(en="the shop's holiday", zh="本店休息日")
"""What a holiday of the shop's own (config `holidays`) is called where a name is needed."""


def check_own_days(holidays: list[date], extra_workdays: list[date]) -> None:
    """The shop's own lists may not name one date twice over."""
    both = sorted(set(holidays) & set(extra_workdays))
    if both:
        raise ValidationError(
            f"{both[0].isoformat()} is in both holidays and extra_workdays; keep it in one of them",
            field="holidays",
        )


def merged_days(
    public: PublicCalendar | None, holidays: list[date], extra_workdays: list[date]
) -> tuple[frozenset[date], frozenset[date]]:
    """(days off, extra working days) of the business calendar: the public calendar's, with the
    shop's own added; a shop's extra workday overrides a public holiday and a shop's holiday a
    public make-up working day."""
    check_own_days(holidays, extra_workdays)
    own_off, own_on = frozenset(holidays), frozenset(extra_workdays)
    if public is None:
        return own_off, own_on
    off = (frozenset(public.holidays) - own_on) | own_off
    on = (frozenset(public.workdays) - own_off) | own_on
    return off, on


class CalendarDay(msgspec.Struct, frozen=True):
    """One day of the business calendar, as `shopdesk calendar` shows it."""

    date: date
    working: bool
    hours: list[str]
    reason: str
    """"holiday", "workday" (a make-up or extra working day), "closed" (no weekly hours),
    "hours" (other hours than the weekday's) or "" (an ordinary day)."""
    name: DayName | None = None
    """The public calendar's name of the day, when it has one."""


def _hours_text(slots: tuple[tuple[int, int], ...]) -> list[str]:
    return [f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}" for a, b in slots]


def day_hours(cal: sla.BusinessCalendar, day: date) -> list[str]:
    """Business hours of `day` as "HH:MM-HH:MM" slots (empty: no business hours)."""
    return _hours_text(sla.slots_of_day(cal, day))


def calendar_days(
    cal: sla.BusinessCalendar,
    public: PublicCalendar | None,
    start: date,
    end: date,
    *,
    every_day: bool = False,
) -> list[CalendarDay]:
    """The days in [start, end] that are not ordinary (a holiday, a make-up or extra working day,
    other hours than the weekday's), or every day with `every_day`."""
    if end < start:
        raise ValidationError("the range ends before it starts", field="to")
    out: list[CalendarDay] = []
    day = start
    while day <= end:
        hours = day_hours(cal, day)
        usual = _hours_text(sla.weekly_slots(cal, day.weekday()))
        name: DayName | None = None
        if day in cal.holidays:
            reason, name = "holiday", public.holidays.get(day) if public else None
        elif day in cal.extra_workdays:
            reason, name = "workday", public.workdays.get(day) if public else None
        elif hours != usual:
            reason = "hours"
        elif not hours:
            reason = "closed"
        else:
            reason = ""
        if every_day or reason in ("holiday", "workday", "hours"):
            out.append(CalendarDay(date=day, working=bool(hours), hours=hours, reason=reason,
                                   name=name))
        day += timedelta(days=1)
    return out


def uncovered_years(public: PublicCalendar | None, start: date, end: date) -> list[int]:
    """Years in [start, end] the public calendar has no official dates for."""
    if public is None:
        return []
    return [year for year in range(start.year, end.year + 1) if not public.covers(year)]


def holiday_pushing(
    cal: sla.BusinessCalendar, public: PublicCalendar | None, start: datetime, due: datetime
) -> DayName | None:
    """The holiday (the longest run of public days off, named) that falls between a clock's start
    and its due time on a day that would have had business hours: "due 10-09 18:00 — after
    National Day". None when no holiday lies between them."""
    zone = sla.zone_of(cal)
    first, last = start.astimezone(zone).date(), due.astimezone(zone).date()
    counts: dict[DayName, int] = {}
    order: list[DayName] = []
    day = first
    while day <= last:
        if day in cal.holidays and sla.weekly_slots(cal, day.weekday()):
            named = public.holidays.get(day) if public else None
            name = named.block() if named else SHOP_HOLIDAY
            if name not in counts:
                order.append(name)
            counts[name] = counts.get(name, 0) + 1
        day += timedelta(days=1)
    if not order:
        return None
    return max(order, key=lambda name: counts[name])
