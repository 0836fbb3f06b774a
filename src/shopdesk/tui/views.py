"""The queue's views (its tabs): what each one asks the services for.

Every view is a CaseFilter ("Approvals": active cases with a remedy awaiting approval), except
"Intake problems", which lists the quarantined webhook deliveries nobody dismissed yet
(`services.problems`, see `IntakeProblems`). The filter typed with `/` narrows the view (`q`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from shopdesk.domain.filters import CaseFilter
from shopdesk.domain.workflow import ACTIVE_STATUSES, STATUSES

if TYPE_CHECKING:
    from shopdesk.services import Services

ACTIVE: list[str] = [status for status in STATUSES if status in ACTIVE_STATUSES]

# The sorts `s` cycles through (services.cases.list's `sort`), in order.
SORT_CYCLE: tuple[str, ...] = ("queue", "due", "newest", "oldest", "updated")


@dataclass(frozen=True)
class View:
    id: str
    label: str  # catalog key of the tab label
    short: str  # catalog key of the narrow tab label


VIEWS: tuple[View, ...] = (
    View("mine", "view.mine", "view.mine.short"),
    View("urgent", "view.urgent", "view.urgent.short"),
    View("overdue", "view.overdue", "view.overdue.short"),
    View("escalated", "view.escalated", "view.escalated.short"),
    View("waiting", "view.waiting", "view.waiting.short"),
    View("open", "view.open", "view.open.short"),
    View("resolved_today", "view.resolved_today", "view.resolved_today.short"),
    View("intake", "view.intake", "view.intake.short"),
    View("approvals", "view.approvals", "view.approvals.short"),
    View("detected", "view.detected", "view.detected.short"),
)
VIEW_IDS: tuple[str, ...] = tuple(view.id for view in VIEWS)


def view_key(number: int) -> str:
    """The key of the view at `number` (1-based): 1..9, then 0 for the tenth."""
    return str(number % 10)
DEFAULT_VIEW = "open"
INTAKE_VIEW = "intake"


def start_of_day(now: datetime, timezone: str) -> datetime:
    """Midnight of `now`'s day in the shop's time zone, as an aware datetime."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    return datetime.combine(local.date(), time(0), tzinfo=zone)


def view_filter(view_id: str, services: Services, operator: str) -> CaseFilter | None:
    """The CaseFilter of a case view; None for the intake problems view."""
    if view_id == "mine":
        return CaseFilter(statuses=list(ACTIVE), assignee=operator)
    if view_id == "urgent":
        return CaseFilter(statuses=list(ACTIVE), urgent=True)
    if view_id == "overdue":
        return CaseFilter(statuses=list(ACTIVE), overdue=True)
    if view_id == "escalated":
        return CaseFilter(statuses=["escalated"])
    if view_id == "waiting":
        return CaseFilter(statuses=["waiting"])
    if view_id == "open":
        return CaseFilter(statuses=list(ACTIVE))
    if view_id == "resolved_today":
        today = start_of_day(services.now(), services.settings.timezone)
        return CaseFilter(resolved_from=today, resolved_to=today + timedelta(days=1))
    if view_id == "approvals":  # remedies proposed above an operator's limit (DESIGN §1)
        return CaseFilter(statuses=list(ACTIVE), awaiting_approval=True)
    if view_id == "detected":  # opened by the detection rules, still being worked
        return CaseFilter(statuses=list(ACTIVE), source="detection")
    if view_id == INTAKE_VIEW:
        return None
    raise KeyError(view_id)


def with_query(case_filter: CaseFilter, query: str) -> CaseFilter:
    """The view's filter narrowed by what was typed after `/` (tui/filter_text.py)."""
    from shopdesk.tui.filter_text import with_text

    return with_text(case_filter, query.strip())


class IntakeProblems:
    """The intake problems view's rows: quarantined deliveries not dismissed (`services.problems`)."""

    def __init__(self, services: Services) -> None:
        self._services = services

    async def count(self) -> int:
        return await self._services.problems.count()

    async def list(self, *, limit: int, offset: int = 0) -> list:
        return list(await self._services.problems.list(limit=limit, offset=offset))
