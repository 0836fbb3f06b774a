"""`O`: the outbox — what shopdesk sends (hook events, customer emails), failed ones first, with
how many tries and the receiver's last answer; `r` sends a failed one again, `x` cancels a pending
or failed one, enter opens the case it is about. The queue's status line counts the failed ones.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Static

from shopdesk.domain.errors import ShopdeskError
from shopdesk.domain.outbound import OutboxMessage
from shopdesk.tui.i18n import t
from shopdesk.tui.messages import CasesChanged
from shopdesk.tui.widgets.case_table import Column, PagedTable
from shopdesk.tui.widgets.sla_badge import short_duration

if TYPE_CHECKING:
    from shopdesk.services import Services

LISTED = 500  # the newest messages shown (failed ones always first)


def _status(message: OutboxMessage, now: datetime) -> tuple[str, str]:
    tone = {"failed": "breached", "pending": "warning", "sending": "warning"}.get(
        message.status, "dim")
    return t(f"outbox.status.{message.status}"), tone


OUTBOX_COLUMNS: tuple[Column, ...] = (
    Column("id", "outbox.col.id", 5, 0, lambda m, now: (str(m.id), "")),
    Column("status", "outbox.col.status", 9, 0, _status),
    Column("tries", "outbox.col.tries", 5, 3, lambda m, now: (str(m.attempts), ""),
           justify="right"),
    Column("event", "outbox.col.event", 16, 1, lambda m, now: (m.event, "")),
    Column("to", "outbox.col.to", 12, 2, lambda m, now: (m.target, ""), grow=8),
    Column("case", "outbox.col.case", 8, 2, lambda m, now: (m.case_ref or "—", "")),
    Column("age", "col.received", 6, 4, lambda m, now: (short_duration(now - m.created_at), ""),
           justify="right"),
    Column("answer", "outbox.col.answer", 16, 1,
           lambda m, now: (m.last_error.replace("\n", " "), ""), grow=80),
)


class OutboxPages:
    """Failed messages first, then the rest, newest first (paged in memory)."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def _all(self) -> list[OutboxMessage]:
        messages = await self.services.outbound.list(limit=LISTED)
        return sorted(messages, key=lambda m: (m.status != "failed", -m.id))

    async def count(self) -> int:
        return len(await self.services.outbound.list(limit=LISTED))

    async def rows(self, offset: int, limit: int) -> list[OutboxMessage]:
        return (await self._all())[offset: offset + limit]


class OutboxScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "retry", show=False, id="outbox.retry"),
        Binding("x", "cancel_message", show=False, id="outbox.cancel"),
        Binding("enter", "open_case", show=False, id="outbox.open"),
        Binding("escape,q", "back", show=False, id="outbox.back"),
    ]

    def __init__(self, services: Services, *, operator: str) -> None:
        super().__init__(id="outbox")
        self.services = services
        self.operator = operator

    def compose(self) -> ComposeResult:
        yield Static(Text(f"shopdesk · {t('outbox.title')}"), id="topbar")
        yield PagedTable(OUTBOX_COLUMNS, source=OutboxPages(self.services), now=self.services.now,
                         empty_text=t("outbox.empty"), id="outbox-list",
                         row_signature=lambda m: (m.id, m.status, m.attempts, m.last_error))
        yield Static(Text(t("outbox.hint")), id="status")

    async def on_mount(self) -> None:
        self.query_one("#outbox-list", PagedTable).focus()
        self.run_worker(self.reload(), group="reload", exclusive=True, exit_on_error=False)

    async def reload(self) -> None:
        await self.query_one("#outbox-list", PagedTable).reload(keep_cursor=True)

    def on_cases_changed(self, message: CasesChanged) -> None:
        self.run_worker(self.reload(), group="reload", exclusive=True, exit_on_error=False)

    def _current(self) -> OutboxMessage | None:
        row = self.query_one("#outbox-list", PagedTable).current
        if not isinstance(row, OutboxMessage):
            self.notify(t("outbox.nothing"), severity="warning")
            return None
        return row

    def action_retry(self) -> None:
        message = self._current()
        if message is not None:
            self.run_worker(self._act("retry", message), group="act", exit_on_error=False)

    def action_cancel_message(self) -> None:
        message = self._current()
        if message is not None:
            self.run_worker(self._act("cancel", message), group="act", exit_on_error=False)

    async def _act(self, what: str, message: OutboxMessage) -> None:
        outbound = self.services.outbound
        actor = self.services.actor(self.operator)
        try:
            if what == "retry":
                await outbound.retry(actor, message.id)
                self.notify(t("outbox.retried", id=message.id))
            else:
                await outbound.cancel(actor, message.id)
                self.notify(t("outbox.cancelled", id=message.id))
        except ShopdeskError as error:
            self.notify(error.detail, severity="error", markup=False)
        await self.reload()

    @on(PagedTable.Selected)
    def _on_selected(self, message: PagedTable.Selected) -> None:
        self.action_open_case()

    def action_open_case(self) -> None:
        message = self._current()
        if message is None:
            return
        if not message.case_ref:
            self.notify(t("outbox.no_case"), severity="warning")
            return
        from shopdesk.tui.screens.case import CaseScreen

        self.app.push_screen(CaseScreen(self.services, message.case_ref))

    def action_back(self) -> None:
        self.app.pop_screen()
