"""Key bindings and the command palette, both built from the one action registry (tui/actions.py).

A screen calls `install_registry_bindings(self)` in its `__init__` (after the language is set, so
the footer's labels are in the UI language) and implements `action_<id>` for the actions it
supports; the palette offers exactly those, with the same labels and help lines as `?` help.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import partial

from textual.binding import Binding, BindingsMap
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.dom import DOMNode

from shopdesk.tui.actions import ACTIONS, ActionSpec
from shopdesk.tui.i18n import t

KEY_DISPLAY: dict[str, str] = {
    "question_mark": "?",
    "slash": "/",
    "escape": "esc",
    "enter": "enter",
    "space": "space",
}


def key_display(key: str) -> str:
    return KEY_DISPLAY.get(key, key)


def registry_bindings(specs: Iterable[ActionSpec] = ACTIONS) -> list[Binding]:
    """One Binding per action: key -> action_<id>, footer label from the catalog, id = action id."""
    return [
        Binding(
            spec.key,
            spec.id,
            t(spec.label),
            show=spec.footer,
            key_display=key_display(spec.key),
            id=spec.id,
        )
        for spec in specs
    ]


def install_registry_bindings(node: DOMNode, specs: Iterable[ActionSpec] = ACTIONS) -> None:
    """Add the registry's bindings to a screen's own (call in __init__, after super().__init__)."""
    node._bindings = BindingsMap.merge([node._bindings, BindingsMap(registry_bindings(specs))])


def supported_actions(screen: object) -> Iterator[ActionSpec]:
    """The registry's actions a screen implements (it has `action_<id>`)."""
    for spec in ACTIONS:
        if callable(getattr(screen, f"action_{spec.id}", None)):
            yield spec


class RegistryProvider(Provider):
    """The command palette's entries: every action the current screen supports."""

    def _entries(self) -> Iterator[tuple[ActionSpec, str, str]]:
        for spec in supported_actions(self.screen):
            if spec.id == "help" or spec.id == "back":
                continue
            title = f"{t(spec.label)} ({key_display(spec.key)})"  # no brackets: markup
            yield spec, title, t(spec.help)

    def _command(self, spec: ActionSpec):
        return partial(self.screen.run_action, spec.id)

    async def discover(self) -> Hits:
        for spec, title, help_text in self._entries():
            # Content, not a str: a str is read as markup, and "[/]" would be a closing tag
            yield DiscoveryHit(Content(title), self._command(spec), text=title, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for spec, title, help_text in self._entries():
            score = max(matcher.match(title), matcher.match(help_text) * 0.8)
            if score > 0:
                yield Hit(score, matcher.highlight(title), self._command(spec), text=title,
                          help=help_text)
