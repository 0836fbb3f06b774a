"""How a case's clock reads on the queue: time left (red when breached, amber under 25 %), age.

Plain functions returning (text, tone) so the table can style them with its component classes.
Tones: "breached", "warning", "paused", "" (normal).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from shopdesk.domain.cases import Case
from shopdesk.domain.workflow import is_active
from shopdesk.tui.i18n import t

WARNING_SHARE = 0.25


def short_duration(delta: timedelta) -> str:
    """A compact duration: 45m, 3h05, 2d4h, 120d."""
    minutes = int(abs(delta).total_seconds() // 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes:02d}"
    days, hours = divmod(hours, 24)
    if days < 10:
        return f"{days}d{hours}h"
    return f"{days}d"


def sla_left(case: Case, now: datetime) -> tuple[str, str]:
    """Time left on the running clock, and its tone."""
    if not is_active(case.status):
        return "—", ""
    if case.status == "waiting" or case.due_at is None:
        return t("sla.paused"), "paused"
    left = case.due_at - now
    if left <= timedelta(0):
        return "-" + short_duration(left), "breached"
    allowed = case.due_at - case.opened_at
    if allowed > timedelta(0) and left / allowed < WARNING_SHARE:
        return short_duration(left), "warning"
    return short_duration(left), ""


def age(case: Case, now: datetime) -> str:
    return short_duration(max(now - case.opened_at, timedelta(0)))
