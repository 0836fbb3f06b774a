"""An app showing the reports screen alone, for the tests of that screen."""

from __future__ import annotations

from textual.app import App

from shopdesk.tui.screens.reports import ReportsScreen


class ReportsHost(App[None]):
    def __init__(self, services) -> None:
        super().__init__()
        self.services = services

    def on_mount(self) -> None:
        self.push_screen(ReportsScreen(self.services))
