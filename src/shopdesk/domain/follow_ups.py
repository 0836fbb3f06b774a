"""When to follow up with the customer (沟通与反馈: the next contact's time).

A duration ("30m", "2h", "1d") counts business time from now, like the SLA: "2h" typed at 01:03
on a working night is 11:00 in the morning, not 03:03, and "1d" is one business day. An explicit
time ("10:00", "11-24 10:00", "2026-11-24 10:00") is the shop's wall clock, kept as given.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from shopdesk.domain import sla
from shopdesk.domain.errors import ValidationError

_DURATION = re.compile(r"\+?\s*(\d{1,6})\s*(m|h|d)")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}
# (format, the year is today's, the date is today's)
_EXPLICIT = (("%Y-%m-%d %H:%M", False, False), ("%m-%d %H:%M", True, False), ("%H:%M", True, True))


def follow_up_at(text: str, now: datetime, calendar: sla.BusinessCalendar) -> datetime | None:
    """"" -> None; a duration -> now plus that much business time; an explicit time -> that
    moment in the shop's zone. Anything else is a ValidationError naming `next_follow_up_at`."""
    text = text.strip()
    if not text:
        return None
    duration = _DURATION.fullmatch(text)
    if duration:
        target = sla.Target(amount=int(duration.group(1)), unit=_UNITS[duration.group(2)])
        return sla.add_business_time(calendar, now, sla.target_duration(calendar, target))
    zone = ZoneInfo(calendar.tz)
    local_now = now.astimezone(zone)
    for pattern, fill_year, fill_date in _EXPLICIT:
        try:
            parsed = datetime.strptime(text, pattern)
        except ValueError:
            continue
        if fill_date:
            parsed = parsed.replace(year=local_now.year, month=local_now.month, day=local_now.day)
        elif fill_year:
            parsed = parsed.replace(year=local_now.year)
        return parsed.replace(tzinfo=zone)
    raise ValidationError(
        f"{text!r} is not a time: use 30m, 2h, 1d (business time), HH:MM, MM-DD HH:MM or "
        "YYYY-MM-DD HH:MM",
        field="next_follow_up_at",
        code="not_a_time",
        params={"text": text},
    )
