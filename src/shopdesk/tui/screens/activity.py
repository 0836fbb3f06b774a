"""`L` the activity: what changed on any case since you last looked — every timeline line written
by someone else or by the desk itself (the sweep's escalations, cases intake or detection opened,
failures to send), whatever its type. enter opens the case; closing marks everything seen.

The lines come from `services.activity`; this screen only lays them out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo

from rich.cells import set_cell_size
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from shopdesk.domain.cases import CaseEvent, case_ref
from shopdesk.domain.plain_text import plain
from shopdesk.tui.i18n import t

if TYPE_CHECKING:
    pass

DETAIL_KEYS = ("reason", "summary", "text", "decision", "note", "error", "title")


def event_label(event: CaseEvent) -> str:
    key = f"event.{event.type}"
    label = t(key)
    return event.type.replace("_", " ") if label == key else label


def event_detail(data: dict[str, Any]) -> str:
    """The words a line carries (a reason, a summary …), or the status it moved to."""
    for name in DETAIL_KEYS:
        value = data.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    moved = data.get("to")
    return str(moved) if isinstance(moved, (str, int)) and moved != "" else ""


def activity_line(event: CaseEvent, zone: ZoneInfo) -> Text:
    at = event.at.astimezone(zone)
    cells = ((f"{at:%m-%d %H:%M}", 11), (case_ref(event.case_id), 8), (event.actor, 10),
             (event_label(event), 14))
    text = " ".join(set_cell_size(plain(value), width) for value, width in cells)
    detail = event_detail(event.data)
    if detail:
        text += " " + plain(detail)
    return Text(text, no_wrap=True, overflow="ellipsis")


def summary(events: list[CaseEvent]) -> str:
    """"6 escalated, 2 opened": the lines counted by type, most first."""
    counts: dict[str, int] = {}
    for event in events:
        label = event_label(event)
        counts[label] = counts.get(label, 0) + 1
    ordered = sorted(counts.items(), key=lambda item: -item[1])
    return t("refused.sep").join(f"{count} {label}" for label, count in ordered)


class ActivityScreen(ModalScreen["str | None"]):
    """Dismissed with the ref of a case to open, or None."""

    DEFAULT_CSS = """
    ActivityScreen {
        align: center middle;
    }
    ActivityScreen > #activity {
        width: 100%;
        max-width: 120;
        height: 100%;
        max-height: 40;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    ActivityScreen #activity-list {
        height: 1fr;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,L", "close", show=False, id="activity_close"),
    ]

    def __init__(self, events: list[CaseEvent], zone: ZoneInfo, *, since_text: str) -> None:
        super().__init__()
        self.events = events
        self.zone = zone
        self.since_text = since_text

    def compose(self) -> ComposeResult:
        with Vertical(id="activity") as box:
            box.border_title = t("activity.title")
            box.border_subtitle = t("activity.subtitle")
            yield Static(self.since_text, id="activity-since")
            options = [Option(activity_line(event, self.zone), id=f"{event.id}")
                       for event in self.events]
            yield OptionList(*options, id="activity-list")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _picked(self, message: OptionList.OptionSelected) -> None:
        index = message.option_index
        self.dismiss(case_ref(self.events[index].case_id))

    def action_close(self) -> None:
        self.dismiss(None)
