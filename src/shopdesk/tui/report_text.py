"""The reports screen's and the export helper's words (from the one catalog, shopdesk.tui.i18n),
figures as text, and the small unicode bar charts."""

from __future__ import annotations

from shopdesk.tui.i18n import t


def text(key: str, **values: object) -> str:
    """A string of the reports screen or the export helper, from the app's one catalog."""
    return t(key, **values)


_EIGHTHS = " ▏▎▍▌▋▊▉█"


def bar(value: float, maximum: float, width: int = 20) -> str:
    """A horizontal bar of `width` cells for value/maximum, in eighths of a cell."""
    if maximum <= 0 or value <= 0:
        return ""
    eighths = round(min(value / maximum, 1.0) * width * 8)
    full, rest = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[rest] if rest else "")


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value:g}%"


def number(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"
