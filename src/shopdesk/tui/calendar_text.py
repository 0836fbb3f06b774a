"""Why a day of the business calendar is not ordinary, in English or Chinese: the TUI's calendar
view and `shopdesk calendar` say it in the same words."""

from __future__ import annotations

from datetime import date

import msgspec

from shopdesk.domain.calendar_days import CalendarDay
from shopdesk.tui.i18n import CATALOGS

_WHY = {"holiday": "calendar.why.holiday", "workday": "calendar.why.workday",
        "closed": "calendar.why.closed", "hours": "calendar.why.hours"}


class DayView(msgspec.Struct, frozen=True):
    """`shopdesk calendar --json`: one object per day."""

    date: date
    working: bool
    hours: list[str]
    why: str


def why(day: CalendarDay, lang: str) -> str:
    """The holiday's name, "make-up working day (调休)", "no business hours (weekly)" …"""
    words = CATALOGS.get(lang, CATALOGS["en"])
    if day.name is not None and day.reason == "holiday":
        return day.name.text(lang)
    if day.name is not None and day.reason == "workday":
        return words["calendar.why.make_up"]
    key = _WHY.get(day.reason)
    return words[key] if key else ""


def day_view(day: CalendarDay, lang: str) -> DayView:
    return DayView(date=day.date, working=day.working, hours=day.hours, why=why(day, lang))
