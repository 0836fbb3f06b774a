"""enter on an intake problem: the whole delivery, as `shopdesk source problems` reports it and more —
source, topic, when it arrived (shop time), the full error, the headers intake kept and the body.

The delivery is the row `services.intake.problems` listed; nothing here reads the store.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, ClassVar
from zoneinfo import ZoneInfo

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from shopdesk.domain.errors import ShopdeskError
from shopdesk.domain.intake.records import Delivery
from shopdesk.tui.i18n import t
from shopdesk.tui.modals.confirm import ConfirmModal
from shopdesk.tui.safe_text import PlainTable, plain

if TYPE_CHECKING:
    from shopdesk.services import Services

BODY_EXCERPT_BYTES = 4096


def received_text(delivery: Delivery, zone: ZoneInfo) -> str:
    """When it arrived, in the shop's zone with the zone named: 2026-11-24 01:03:05 Asia/Shanghai."""
    local = delivery.received_at.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M:%S} {zone.key}"


def body_excerpt(body: bytes, limit: int = BODY_EXCERPT_BYTES) -> tuple[str, str]:
    """(heading, text) of the body: JSON laid out with indents when it parses, else the first
    `limit` bytes as text (bytes that are not UTF-8 show as \ufffd)."""
    if not body:
        return t("delivery.body_empty"), ""
    if len(body) > limit:
        excerpt = body[:limit].decode("utf-8", errors="replace")
        return t("delivery.body_cut", shown=limit, size=len(body)), excerpt
    heading = t("delivery.body", size=len(body))
    try:
        return heading, json.dumps(json.loads(body), ensure_ascii=False, indent=2)
    except ValueError:  # UnicodeDecodeError too
        return heading, body.decode("utf-8", errors="replace")


def delivery_view(delivery: Delivery, zone: ZoneInfo) -> RenderableType:
    facts = PlainTable.grid(padding=(0, 2))
    facts.add_column(no_wrap=True, style="bold")
    facts.add_column(overflow="fold")
    facts.add_row(t("delivery.source"), plain(delivery.source))
    facts.add_row(t("delivery.topic"), plain(delivery.topic or "—"))
    facts.add_row(t("delivery.received"), Text(received_text(delivery, zone)))
    status = t(f"delivery.status.{delivery.status}")
    facts.add_row(t("delivery.status"),
                  Text(delivery.status if status.startswith("delivery.") else status))
    if delivery.order_id is not None:
        facts.add_row(t("delivery.order"), Text(str(delivery.order_id)))
    facts.add_row(t("delivery.key"), plain(delivery.dedupe_key))
    facts.add_row(t("delivery.problem"), plain(delivery.error or "—", style="bold"))
    headers = PlainTable.grid(padding=(0, 1))
    headers.add_column(no_wrap=True, style="dim")
    headers.add_column(overflow="fold")
    for name, value in sorted(delivery.headers.items()):
        headers.add_row(f"{name}:", plain(value))
    facts.add_row(t("delivery.headers"),
                  headers if delivery.headers else Text(t("delivery.no_headers"), style="dim"))
    heading, body = body_excerpt(delivery.body)
    return Group(facts, Text(""), Text(heading, style="bold"), plain(body, overflow="fold"))


class DeliveryScreen(ModalScreen[None]):
    """One quarantined delivery; escape (or q, enter) goes back to the intake problems; `d` (with
    a y/n question) dismisses it as handled: it stays stored and leaves the problems (QA N9)."""

    DEFAULT_CSS = """
    DeliveryScreen {
        align: center middle;
    }
    DeliveryScreen > VerticalScroll {
        width: 100%;
        max-width: 110;
        height: auto;
        max-height: 100%;
        border: round $warning;
        border-title-align: center;
        background: $surface;
        padding: 0 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,enter", "close", "Back", show=False, id="delivery.close"),
        Binding("j", "scroll('down')", show=False, id="delivery.line_down"),
        Binding("k", "scroll('up')", show=False, id="delivery.line_up"),
        Binding("d", "dismiss_problem", show=False, id="delivery.dismiss"),
    ]

    def __init__(self, delivery: Delivery, zone: ZoneInfo, *, services: Services | None = None,
                 operator: str = "") -> None:
        super().__init__()
        self.delivery = delivery
        self.zone = zone
        self.services = services  # None: read only (no `d`)
        self.operator = operator

    def compose(self) -> ComposeResult:
        scroll = VerticalScroll(Static(delivery_view(self.delivery, self.zone), id="delivery-body"))
        scroll.border_title = t("delivery.title", id=self.delivery.id)
        can_dismiss = self.services is not None and self.delivery.status == "quarantined"
        scroll.border_subtitle = t("delivery.hint.dismiss" if can_dismiss else "delivery.hint")
        yield scroll

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_scroll(self, where: str) -> None:
        scroll = self.query_one(VerticalScroll)
        if where == "down":
            scroll.scroll_down()
        else:
            scroll.scroll_up()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_dismiss_problem(self) -> None:
        if self.services is None or self.delivery.status != "quarantined":
            return
        self.run_worker(self._dismiss_problem(), group="dismiss", exclusive=True,
                        exit_on_error=False)

    async def _dismiss_problem(self) -> None:
        assert self.services is not None
        if await confirm_and_dismiss(self, self.services, self.operator, self.delivery):
            self.dismiss(None)


async def confirm_and_dismiss(screen: Screen, services: Services, operator: str,
                              delivery: Delivery) -> bool:
    """`d` on an intake problem (the delivery screen, the Intake problems view): ask y/n, then
    dismiss it through the services; says what happened. Run in a worker (it awaits the question)."""
    question = t("delivery.dismiss.confirm", id=delivery.id)
    if not await screen.app.push_screen_wait(ConfirmModal(question)):
        return False
    try:
        await services.problems.dismiss(services.actor(operator), delivery.id)
    except ShopdeskError as error:
        screen.notify(error.detail, severity="error", markup=False)
        return False
    screen.notify(t("delivery.dismissed", id=delivery.id), markup=False)
    return True
