"""The use cases: one API for the TUI, the HTTP API and the CLI.

`Services` is built once by the composition root (runtime.py, cli.py) and handed to every front
end. Each area lives in its own module and is reached as an attribute: `services.cases`, …
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from shopdesk.config import Settings
from shopdesk.domain.cases import Actor
from shopdesk.services.changes import Change, Changes
from shopdesk.store import Store


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class Services:
    def __init__(
        self,
        store: Store,
        settings: Settings | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        from shopdesk.services.activity import ActivityService
        from shopdesk.services.cases import CaseService
        from shopdesk.services.exports import ExportService
        from shopdesk.services.incidents import IncidentService
        from shopdesk.services.intake import IntakeService
        from shopdesk.services.intake_problems import ProblemService
        from shopdesk.services.operators import OperatorService
        from shopdesk.services.orders import OrderService
        from shopdesk.services.reports import ReportService
        from shopdesk.services.sources import SourceService
        from shopdesk.services.tokens import TokenService

        self.store = store
        self.settings = settings or Settings()
        self.clock = clock
        self.changes = Changes()
        self.policy = self.settings.sla_policy()
        self.cases = CaseService(self)
        self.incidents = IncidentService(self)
        self.orders = OrderService(self)
        self.reports = ReportService(self)
        self.exports = ExportService(self)
        self.sources = SourceService(self)
        self.tokens = TokenService(self)
        self.intake = IntakeService(self)
        self.problems = ProblemService(self)  # intake problems: quarantined, not dismissed
        self.operators = OperatorService(self)  # who works the desk, with which role
        self.activity = ActivityService(self)  # what changed since you looked

    def now(self) -> datetime:
        return self.clock()

    def actor(self, name: str) -> Actor:
        """The actor `name` with the role the store's operators table gives them (a reader when
        `name` is no active operator). Front ends learn `name` from `operators.identify`."""
        return Actor(name=name, role=self.operators.role_of(name))


__all__ = ["Services", "Change", "Changes", "utc_now"]
