"""Data on screen as it is: never read as Rich markup, never a terminal control sequence.

Rich reads a `str` as markup wherever it meets one (a Table cell, a Static, a notification):
"[/]" in a customer name is a closing tag with nothing to close (MarkupError: the app dies),
"[back door]" a style that swallows the words, "[@click=app.quit]" an action. So text from a shop
or typed by an operator goes on screen as a `Text` (`plain`), in a `PlainTable` (its `str` cells
become `Text`), or through `plain_copy` (control characters out of every string of a Struct: a store
written before intake cleaned them may hold some). Strings of shopdesk's own catalog may stay `str`.
"""

from __future__ import annotations

from typing import Any

from rich.style import Style
from rich.table import Table
from rich.text import Text

from shopdesk.domain.plain_text import plain as plain_str
from shopdesk.domain.plain_text import plain_copy

__all__ = ["PlainTable", "plain", "plain_copy", "plain_str"]


def plain(value: object, style: str | Style = "", *, multiline: bool = True, **options: Any) -> Text:
    """`value` as a Text shown literally (no markup), without control characters."""
    shown = "" if value is None else value if isinstance(value, str) else str(value)
    return Text(plain_str(shown, multiline=multiline), style=style, **options)


class PlainTable(Table):
    """A Rich Table whose `str` cells are shown literally (`plain`), not read as markup."""

    def add_row(self, *renderables: Any, **options: Any) -> None:
        super().add_row(
            *(plain(cell) if isinstance(cell, str) else cell for cell in renderables), **options
        )
