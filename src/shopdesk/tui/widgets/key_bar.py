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
        candidates = list(specs or ACTIONS)
        if supported is not None:
            candidates = [spec for spec in candidates if spec.id in supported]
        self._all = candidates
        self.specs = [spec for spec in candidates if spec.footer]
        self.case_allowed: set[str] | None = None  # the case keys allowed now (None: the daily)

    def follow_case(self, allowed: set[str] | None) -> None:
        """Show the case keys in `allowed` (tui/actions.case_keys: this case, this role), every
        one of them, instead of the daily ones; None: back to the daily keys."""
        if allowed != self.case_allowed:
            self.case_allowed = allowed
            self.refresh()

    def candidates(self) -> list[ActionSpec]:
        if self.case_allowed is None:
            return self.specs
        return [spec for spec in self._all
                if spec.id in self.case_allowed
                or (spec in self.specs and (not spec.needs_case or spec.id == "open_case"))]

    def _item(self, spec: ActionSpec, labelled: bool = True) -> Text:
        key = COMPACT_KEYS.get(spec.key, key_display(spec.key))
        item = Text(no_wrap=True, end="")
        item.append(key, style=self.get_component_rich_style("key-bar--key"))
        if labelled:
            item.append(" " + t(spec.label))
        return item

    def layout_for(self, width: int) -> list[tuple[ActionSpec, bool]]:
        """(spec, labelled) in registry order. Following a case, every key allowed is shown: bare
        keys first, then labels added in order while they fit (`?` says what a bare key does).
        Otherwise help, quit and filter always, then the daily keys while they fit."""
        specs = self.candidates()
        if self.case_allowed is None:
            return [(spec, True) for spec in self.shown(width)]
        labelled = {spec.id for spec in specs if spec.id in ALWAYS}
        used = 1 + sum(self._item(spec, spec.id in labelled).cell_len + 1 for spec in specs)
        for spec in specs:
            if spec.id in labelled:
                continue
            extra = self._item(spec).cell_len - self._item(spec, False).cell_len
            if used + extra <= width:
                labelled.add(spec.id)
                used += extra
        return [(spec, spec.id in labelled) for spec in specs]

    def shown(self, width: int) -> list[ActionSpec]:
        """The specs that fit in `width`, in registry order."""
        specs = self.candidates()
        if self.case_allowed is not None:
            return specs
        items = {spec.id: self._item(spec).cell_len + 1 for spec in specs}
        used = sum(items[spec.id] for spec in specs if spec.id in ALWAYS) + 1
        chosen = {spec.id for spec in specs if spec.id in ALWAYS}
        for spec in specs:
            if spec.id in chosen:
                continue
            if used + items[spec.id] <= width:
                chosen.add(spec.id)
                used += items[spec.id]
        return [spec for spec in specs if spec.id in chosen]

    def render(self) -> Text:
        line = Text(" ", no_wrap=True, end="")
        for index, (spec, labelled) in enumerate(self.layout_for(self.size.width)):
            if index:
                line.append(" ")
            line.append_text(self._item(spec, labelled))
        line.truncate(self.size.width, overflow="ellipsis")
        return line
