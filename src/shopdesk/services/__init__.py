"""The use cases: one API for the TUI, the HTTP API and the CLI.

`Services` is built once by the composition root (runtime.py, cli.py) and handed to every front
end. Each area lives in its own module and is reached as an attribute: `services.cases`, …
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

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
        from shopdesk.services.backups import BackupService
        from shopdesk.services.calendar import CalendarService
        from shopdesk.services.activity import ActivityService
        from shopdesk.services.cases import CaseService
        from shopdesk.services.detection import DetectionService
        from shopdesk.services.exports import ExportService
        from shopdesk.services.incidents import IncidentService
        from shopdesk.services.intake import IntakeService
        from shopdesk.services.intake_problems import ProblemService
        from shopdesk.services.operators import OperatorService
        from shopdesk.services.orders import OrderService
        from shopdesk.services.outbound import OutboundService
        from shopdesk.services.reports import ReportService
        from shopdesk.services.shop_settings import ShopSettingsService
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
        self.backups = BackupService(self)
        self.detection = DetectionService(self)
        self.shop = ShopSettingsService(self)  # the shop's settings in the store, noticed live
        self.calendar = CalendarService(self)  # the business calendar as people read it
        self.outbound = OutboundService(self)  # hooks, emails, the outbox
        self.operators = OperatorService(self)  # who works the desk, with which role
        self.activity = ActivityService(self)  # what changed since you looked

    def apply_settings(self, settings: Settings) -> bool:
        """Run with `settings` from now on (the store's shop settings changed); True if they
        differ from those in use. Every module reads `services.settings` and `services.policy`
        when it needs them, so the next read, write or sweep uses the new ones."""
        if settings == self.settings:
            return False
        self.settings = settings
        policy = settings.sla_policy()
        if policy != self.policy:
            self.policy = policy
        self.changes.publish(Change(what="settings"))
        return True

    @classmethod
    async def open(cls, path: str | Path, settings: Settings | None = None, *,
                   clock: Callable[[], datetime] = utc_now) -> Services:
        """Services on the store file at `path` (opened, upgraded if it is older); `aclose()`
        closes it. For a face that owns no store of its own (the TUI opened by a test or a bench)."""
        services = cls(await Store.open(path), settings, clock=clock)
        await services.shop.load()  # the shop's settings are the store's
        return services

    async def aclose(self) -> None:
        """Close the store (what was accepted is written first)."""
        await self.store.close()

    async def data_version(self) -> int | None:
        """A number that changes whenever anyone (another process too) commits to the store, for
        a face that polls for others' writes; None while the store is closing."""
        try:
            return await self.store.data_version()
        except (sqlite3.Error, ValueError):
            return None

    async def settings_changed(self) -> bool:
        """Whether the shop's settings in the store changed since they were last read (from now on
        they are in use); False while the store is closing."""
        try:
            return await self.shop.load()
        except (sqlite3.Error, ValueError):
            return False

    def now(self) -> datetime:
        return self.clock()

    def actor(self, name: str) -> Actor:
        """The actor `name` with the role the store's operators table gives them (a reader when
        `name` is no active operator). Front ends learn `name` from `operators.identify`."""
        return Actor(name=name, role=self.operators.role_of(name))


__all__ = ["Services", "Change", "Changes", "utc_now"]
