"""The footer: the daily keys of the registry (`footer=True`) on one line.

Textual's Footer scrolls sideways when its keys do not fit, which at 80 columns hides `?` help. This
bar keeps help, quit and filter always, then the other daily keys in registry order while they fit;
the rest are in `?` help and the command palette.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.widget import Widget

from shopdesk.tui.actions import ACTIONS, ActionSpec
from shopdesk.tui.commands import key_display
from shopdesk.tui.i18n import t

ALWAYS = ("help", "quit", "filter")
COMPACT_KEYS = {"enter": "⏎"}


class KeyBar(Widget):
    COMPONENT_CLASSES: ClassVar[set[str]] = {"key-bar--key"}

    DEFAULT_CSS = """
    KeyBar {
        height: 1;
        width: 1fr;
        background: $panel;
        color: $text;
    }
    KeyBar > .key-bar--key {
        color: $accent;
        text-style: bold;
    }
    """

    def __init__(self, specs: tuple[ActionSpec, ...] | None = None, *, id: str | None = None,
                 supported: set[str] | None = None) -> None:
        super().__init__(id=id)
        daily = [spec for spec in (specs or ACTIONS) if spec.footer]
        if supported is not None:
            daily = [spec for spec in daily if spec.id in supported]
        self.specs = daily

    def _item(self, spec: ActionSpec) -> Text:
        key = COMPACT_KEYS.get(spec.key, key_display(spec.key))
        item = Text(no_wrap=True, end="")
        item.append(key, style=self.get_component_rich_style("key-bar--key"))
        item.append(" " + t(spec.label))
        return item

    def shown(self, width: int) -> list[ActionSpec]:
        """The specs that fit in `width`, in registry order."""
        items = {spec.id: self._item(spec).cell_len + 1 for spec in self.specs}
        used = sum(items[spec.id] for spec in self.specs if spec.id in ALWAYS) + 1
        chosen = {spec.id for spec in self.specs if spec.id in ALWAYS}
        for spec in self.specs:
            if spec.id in chosen:
                continue
            if used + items[spec.id] <= width:
                chosen.add(spec.id)
                used += items[spec.id]
        return [spec for spec in self.specs if spec.id in chosen]

    def render(self) -> Text:
        line = Text(" ", no_wrap=True, end="")
        for index, spec in enumerate(self.shown(self.size.width)):
            if index:
                line.append(" ")
            line.append_text(self._item(spec))
        line.truncate(self.size.width, overflow="ellipsis")
        return line
