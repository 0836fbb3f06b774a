"""'Something changed' fan-out: plain callbacks, no Textual import.

Services publish after their transaction commits; the TUI subscribes and posts itself a message,
so a burst of changes becomes one refresh on its side.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import msgspec

log = logging.getLogger(__name__)


class Change(msgspec.Struct, frozen=True, kw_only=True):
    what: str  # case_opened | case_changed | order | incident | delivery | source | token | settings
    ref: str = ""
    level: int = 0
    urgent: bool = False
    actor: str = ""


Listener = Callable[[Change], None]


class Changes:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Add a listener; returns the function that removes it."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def publish(self, change: Change) -> None:
        for listener in list(self._listeners):
            try:
                listener(change)
            except Exception:  # a broken listener must not undo a committed write
                log.exception("change listener failed for %s", change)
