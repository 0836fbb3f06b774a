"""How a case's clock reads on the queue: business time left (red when breached, amber under 25 %
left), and age.

The figure is the one `shopdesk cases list` prints: `sla_policy.time_left` on the shop's business
calendar, split by `sla_policy.span_parts` like `format_span`, with the units from the catalog
("-2d7h" in English, "-2天7时" in Chinese). Cells are (text, tone) so the table styles them with its
component classes. Tones: "breached", "warning", "paused", "" (normal).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from shopdesk.domain import sla
from shopdesk.domain.cases import Case
from shopdesk.domain.sla_policy import span_parts, time_left
from shopdesk.tui.i18n import t

CLOCK_DAY = timedelta(days=1)


def short_span(delta: timedelta, day: timedelta) -> str:
    """A compact span in the UI's language: 45m, 3h05m, 2d4h ("-" before it when negative), a day
    being `day` long — the parts and rounding of `sla_policy.format_span`."""
    negative, days, hours, minutes = span_parts(delta, day)
    if days:
        text = t("span.days_hours", days=days, hours=hours) if hours else t("span.days", days=days)
    elif hours:
        text = (t("span.hours_minutes", hours=hours, minutes=minutes) if minutes
                else t("span.hours", hours=hours))
    else:
        text = t("span.minutes", minutes=minutes)
    return ("-" if negative else "") + text


def short_duration(delta: timedelta) -> str:
    """A length of clock time (an age), coarser as it grows so it fits 7 cells in Chinese too:
    45m, 3h05m, 12h, 2d4h, 12d."""
    _negative, days, hours, _minutes = span_parts(abs(delta), CLOCK_DAY)
    if days >= 10:
        return t("span.days", days=days)
    if not days and hours >= 10:
        return t("span.hours", hours=hours)
    return short_span(abs(delta), CLOCK_DAY)


class SlaClock:
    """The SLA-left and age cells for one business calendar."""

    def __init__(self, calendar: sla.BusinessCalendar) -> None:
        self.calendar = calendar
        self.day = sla.day_length(calendar)

    def left(self, case: Case, now: datetime) -> tuple[str, str]:
        """Business time left on the running clock, and its tone."""
        left, tone = time_left(self.calendar, status=case.status, due_at=case.due_at,
                               opened_at=case.reopened_at or case.opened_at, now=now)
        if tone == "paused":
            return t("sla.paused"), "paused"
        if left is None:
            return "—", ""
        if tone == "breached" and not left:
            return t("sla.late"), "breached"
        return short_span(left, self.day), tone


def age(case: Case, now: datetime) -> str:
    return short_duration(max(now - case.opened_at, timedelta(0)))
