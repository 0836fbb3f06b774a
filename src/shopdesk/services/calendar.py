"""The business calendar as people read it: the days that are not ordinary and why, the years
the country calendar does not cover yet, and which holiday pushed a due time. The queue, the case
screen, the API, reports, exports and the sweep all count on `services.policy.calendar`, the one
calendar of the store's settings."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from shopdesk.domain.calendar_days import (
    CalendarDay,
    DayName,
    calendar_days,
    holiday_pushing,
    uncovered_years,
)

if TYPE_CHECKING:
    from shopdesk.services import Services

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

