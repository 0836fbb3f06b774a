"""The words for the desk's codes in the UI language: statuses, kinds, parties, remedies, channels …

Codes stay codes in the store and the API; the screens show these. A code without a catalog entry
shows as itself with spaces for underscores.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from shopdesk.domain.kinds import KIND_LABELS_ZH
from shopdesk.domain.sla_policy import span_parts
from shopdesk.tui.i18n import language, t


def _word(group: str, code: str | None) -> str:
    if not code:
        return "—"
    key = f"vocab.{group}.{code}"
    text = t(key)
    return code.replace("_", " ") if text == key else text


def kind_label(kind: str) -> str:
    if language() == "zh":
        return KIND_LABELS_ZH.get(kind, kind)
    return kind.replace("_", " ")


def status_label(status: str) -> str:
    return _word("status", status)


def tier_label(tier: str) -> str:
    return _word("tier", tier)


def party_label(party: str | None) -> str:
    return _word("party", party)


def department_label(department: str | None) -> str:
    return _word("department", department)


def group_label(group: str) -> str:
    """A group of kinds (after_sales -> "after-sales", 售后)."""
    return _word("group", group)


def incident_type_label(incident_type: str) -> str:
    return _word("incident_type", incident_type)


def remedy_label(remedy_type: str) -> str:
    return _word("remedy", remedy_type)


def remedy_status_label(status: str) -> str:
    return _word("remedy_status", status)


def channel_label(channel: str) -> str:
    return _word("channel", channel)


def direction_label(direction: str) -> str:
    return _word("direction", direction)


def wait_on_label(on: str) -> str:
    return _word("wait_on", on)


def order_status_label(status: str) -> str:
    """A platform's order status ("paid", "shipped" …); unknown ones show as they came."""
    return _word("order_status", status) if status else ""


def source_label(source: str) -> str:
    return _word("source", source)


def level_label(level: int) -> str:
    return t(f"vocab.level.{level}")


def local_time(moment: datetime | None, zone: ZoneInfo, now: datetime | None = None) -> str:
    """"11-23 14:05" in the shop's zone; the year is added when it is not the current one."""
    if moment is None:
        return "—"
    local = moment.astimezone(zone)
    if now is not None and local.year != now.astimezone(zone).year:
        return local.strftime("%Y-%m-%d %H:%M")
    return local.strftime("%m-%d %H:%M")


def business_span(span: timedelta, day: timedelta) -> str:
    """A length of business time: "45m", "3h 20m", "2d 1h", and "1h", "1d" when the smaller part
    is zero (d = one business day of `day`); the parts of sla_policy.format_span, spelled out."""
    _, days, hours, mins = span_parts(span, day)
    if days:
        if not hours:
            return t("vocab.span_days_only", days=days)
        return t("vocab.span_days", days=days, hours=hours)
    if hours:
        if not mins:
            return t("vocab.span_hours_only", hours=hours)
        return t("vocab.span_hours", hours=hours, minutes=mins)
    return t("vocab.span_minutes", minutes=mins)
