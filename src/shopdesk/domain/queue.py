"""Queue ordering (DESIGN §2): overdue first, then urgent, then level (L3 first), then due time."""

from __future__ import annotations

from datetime import datetime

from shopdesk.domain.cases import Case
from shopdesk.domain.workflow import is_active

_FAR_FUTURE = datetime.max.replace(tzinfo=None)


def is_overdue(case: Case, now: datetime) -> bool:
    """An active case whose running clock's due time has passed. Waiting cases are paused."""
    return (
        is_active(case.status)
        and case.status != "waiting"
        and case.due_at is not None
        and case.due_at < now
    )


def queue_key(case: Case, now: datetime) -> tuple:
    due = case.due_at.replace(tzinfo=None) if case.due_at is not None else _FAR_FUTURE
    return (not is_overdue(case, now), not case.urgent, -case.level, due, case.id)


def queue_order(cases: list[Case], now: datetime) -> list[Case]:
    return sorted(cases, key=lambda case: queue_key(case, now))
