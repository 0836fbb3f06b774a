"""The business calendar as people read it: the days that are not ordinary and why, the years
the country calendar does not cover yet, and which holiday pushed a due time. The queue, the case
screen, the API, reports, exports and the sweep all count on `services.policy.calendar`, the one
calendar of the store's settings."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import msgspec

from shopdesk.domain.calendar_days import (
    CalendarDay,
    DayName,
    calendar_days,
    holiday_pushing,
    uncovered_years,
)

if TYPE_CHECKING:
    from shopdesk.services import Services

_WHY = {"holiday": "calendar.why.holiday", "workday": "calendar.why.workday",
        "closed": "calendar.why.closed", "hours": "calendar.why.hours"}


class DayView(msgspec.Struct, frozen=True):
    """`shopdesk calendar --json`: one object per day."""

    date: date
    working: bool
    hours: list[str]
    why: str


class CalendarService:
    def __init__(self, services: Services) -> None:
        self._services = services

    @property
    def code(self) -> str | None:
        return self._services.settings.calendar or None

    async def days(self, start: date, end: date, *, every_day: bool = False) -> list[CalendarDay]:
        await self._services.shop.ensure_loaded()
        return calendar_days(self._services.policy.calendar,
                             self._services.settings.public_calendar(), start, end,
                             every_day=every_day)

    def uncovered(self, start: date, end: date) -> list[int]:
        """Years in the range the country calendar has no official dates for yet."""
        return uncovered_years(self._services.settings.public_calendar(), start, end)

    def today(self) -> date:
        from zoneinfo import ZoneInfo

        return self._services.now().astimezone(ZoneInfo(self._services.settings.timezone)).date()

    def pushed_by(self, start: datetime, due: datetime | None) -> DayName | None:
        """The holiday between a clock's start and its due time, if one pushed it later."""
        if due is None:
            return None
        return holiday_pushing(self._services.policy.calendar,
                               self._services.settings.public_calendar(), start, due)


def why(day: CalendarDay, lang: str) -> str:
    """Why a day is not ordinary, in `lang`: the holiday's name, "make-up working day (调休)" …"""
    from shopdesk.tui.i18n import CATALOGS

    words = CATALOGS.get(lang, CATALOGS["en"])
    if day.name is not None and day.reason == "holiday":
        return day.name.text(lang)
    if day.name is not None and day.reason == "workday":
        return words["calendar.why.make_up"]
    key = _WHY.get(day.reason)
    return words[key] if key else ""


def day_view(day: CalendarDay, lang: str) -> DayView:
    return DayView(date=day.date, working=day.working, hours=day.hours, why=why(day, lang))
