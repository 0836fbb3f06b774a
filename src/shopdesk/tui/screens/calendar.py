"""`C`: the business calendar by month — holidays (H), make-up and extra working days (W), days
without business hours (·) — and the month's named days below, as `shopdesk calendar` lists them.

Keys: ← / → (or [ / ]) the previous / next month, t this month, escape back. Loads in a worker.
"""

from __future__ import annotations

import calendar as month_math
from datetime import date, timedelta
from typing import TYPE_CHECKING, ClassVar

from rich.console import Group
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from shopdesk.domain.errors import ShopdeskError
from shopdesk.tui.calendar_text import why
from shopdesk.tui.i18n import language, t
from shopdesk.tui.messages import CasesChanged

if TYPE_CHECKING:
    from shopdesk.domain.calendar_days import CalendarDay
    from shopdesk.services import Services

WEEKDAYS = {"en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
            "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日")}


def month_grid(days: list[CalendarDay], first: date, lang: str) -> Text:
    """The month as a 7-column grid: each day with its mark (H, W, ·)."""
    by_date = {day.date: day for day in days}
    out = Text()
    out.append("  ".join(f"{name:>4}" if lang == "en" else f"{name:>2}"
                         for name in WEEKDAYS[lang]) + "\n", style="bold")
    for week in month_math.Calendar().monthdatescalendar(first.year, first.month):
        for index, day in enumerate(week):
            if index:
                out.append("  ")
            if day.month != first.month:
                out.append("    ")
                continue
            entry = by_date.get(day)
            mark, style = " ", ""
            if entry is not None and entry.reason == "holiday":
                mark, style = "H", "bold red"
            elif entry is not None and entry.reason == "workday":
                mark, style = "W", "bold green"
            elif entry is not None and not entry.working:
                mark, style = "·", "dim"
            out.append(f"{day.day:>3}{mark}", style=style)
        out.append("\n")
    return out


def named_days(days: list[CalendarDay], lang: str) -> Text:
    out = Text()
    for day in days:
        if day.reason not in ("holiday", "workday", "hours"):
            continue
        hours = " ".join(day.hours) if day.hours else t("calendar.closed")
        style = "red" if day.reason == "holiday" else "green" if day.reason == "workday" else ""
        out.append(f"{day.date:%m-%d} {WEEKDAYS[lang][day.date.weekday()]}  ", style=style)
        out.append(f"{why(day, lang)}  ({hours})\n")
    return out


class CalendarScreen(Screen[None]):
    BINDINGS: ClassVar = [
        Binding("left,left_square_bracket", "month(-1)", "‹", id="calendar_previous"),
        Binding("right,right_square_bracket", "month(1)", "›", id="calendar_next"),
        Binding("t", "this_month", "today", id="calendar_today", show=False),
        Binding("escape", "back", "back", id="calendar_back"),
    ]

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        today = services.calendar.today()
        self.first = today.replace(day=1)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="calendar-body"):
            yield Static(id="calendar-month")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    def on_cases_changed(self, message: CasesChanged) -> None:
        self.load()  # a settings change (a new calendar) reaches this view too

    def action_month(self, step: int) -> None:
        month = self.first.month - 1 + step
        self.first = date(self.first.year + month // 12, month % 12 + 1, 1)
        self.load()

    def action_this_month(self) -> None:
        self.first = self.services.calendar.today().replace(day=1)
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()

    @work(exclusive=True, group="calendar", exit_on_error=False)
    async def load(self) -> None:
        first = self.first
        last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        lang = language()
        try:
            days = await self.services.calendar.days(first, last, every_day=True)
        except ShopdeskError as error:
            self.notify(error.detail, severity="error", markup=False)
            return
        code = self.services.calendar.code or "—"
        parts = [Text(t("calendar.title", month=f"{first:%Y-%m}", code=code), style="bold"),
                 Text(""), month_grid(days, first, lang), Text(t("calendar.legend"), style="dim")]
        if self.services.calendar.code is None:
            parts.append(Text(t("calendar.none"), style="yellow"))
        for year in self.services.calendar.uncovered(first, last):
            parts.append(Text(t("calendar.uncovered", code=code, year=year), style="yellow"))
        parts += [Text(""), named_days(days, lang), Text(t("calendar.keys"), style="dim")]
        self.query_one("#calendar-month", Static).update(Group(*parts))
