"""The queue's views as one line of tabs with live counts; short labels when the line is narrow,
and one space between tabs when even those do not fit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from shopdesk.tui.i18n import t
from shopdesk.tui.views import View


class ViewTabs(Widget):
    """Tabs: `label count`, the active one highlighted. Click or the screen's keys switch."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "view-tabs--active", "view-tabs--count", "view-tabs--alert",
    }

    DEFAULT_CSS = """
    ViewTabs {
        height: 1;
        width: 1fr;
        background: $panel;
    }
    ViewTabs > .view-tabs--active {
        background: $primary;
        color: $text;
        text-style: bold;
    }
    ViewTabs > .view-tabs--count {
        color: $text-muted;
    }
    ViewTabs > .view-tabs--alert {
        color: $text-error;
        text-style: bold;
    }
    """

    active: reactive[str] = reactive("", layout=False)

    class Switched(Message):
        def __init__(self, view_id: str) -> None:
            super().__init__()
            self.view_id = view_id

    def __init__(self, views: Sequence[View], active: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.views = tuple(views)
        self.counts: dict[str, int | None] = {view.id: None for view in self.views}
        self.set_reactive(ViewTabs.active, active)
        self._spans: list[tuple[int, int, str]] = []

    def set_counts(self, counts: dict[str, int]) -> None:
        self.counts.update(counts)
        self.refresh()

    def _pieces(self, short: bool) -> list[tuple[str, str, str]]:
        pieces = []
        for view in self.views:
            count = self.counts.get(view.id)
            pieces.append((view.id, t(view.short if short else view.label),
                           "…" if count is None else str(count)))
        return pieces

    def render(self) -> Text:
        width = self.size.width
        pieces = self._pieces(short=False)
        if sum(Text(f" {label} {count} ").cell_len for _, label, count in pieces) > width:
            pieces = self._pieces(short=True)
        # Nine tabs with big counts: one space between tabs instead of two, before anything is cut
        pad = " " if sum(Text(f" {label} {count} ").cell_len
                         for _, label, count in pieces) <= width else ""
        text = Text(no_wrap=True, end="")
        self._spans = []
        for view_id, label, count in pieces:
            start = text.cell_len
            is_active = view_id == self.active
            style = self.get_component_rich_style("view-tabs--active") if is_active else ""
            alert = view_id in ("overdue", "intake") and count not in ("0", "…")
            count_style = (
                self.get_component_rich_style("view-tabs--alert") if alert
                else (style or self.get_component_rich_style("view-tabs--count"))
            )
            text.append(f" {label} ", style=style)
            text.append(count, style=count_style if not is_active or alert else style)
            text.append(pad, style=style)
            self._spans.append((start, text.cell_len, view_id))
        text.truncate(width, overflow="ellipsis")
        return text

    def on_click(self, event: events.Click) -> None:
        for start, end, view_id in self._spans:
            if start <= event.x < end:
                self.post_message(self.Switched(view_id))
                return
