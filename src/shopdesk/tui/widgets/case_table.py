"""The queue table: paged from SQL, renders only the visible lines.

Textual's DataTable keeps every row in memory (11 s to load 100k rows); this widget keeps a window
of a few screens of rows fetched with limit/offset from a `RowSource`, draws lines with the Line
API, and fetches again when the cursor leaves the window. Columns drop by priority as it narrows.
The cursor follows its row (by key) when a reload moves rows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Protocol

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from shopdesk.domain.cases import Case
from shopdesk.domain.kinds import KIND_LABELS_ZH
from shopdesk.domain.plain_text import plain as plain_str
from shopdesk.domain.sla import BusinessCalendar
from shopdesk.tui.i18n import language, t
from shopdesk.tui.widgets.sla_badge import SlaClock, age


class RowSource(Protocol):
    """Where a table's rows come from: a count and a page."""

    async def count(self) -> int: ...

    async def rows(self, offset: int, limit: int) -> Sequence[Any]: ...


@dataclass(frozen=True)
class Column:
    key: str
    title: str  # catalog key
    width: int
    priority: int  # lower stays longer as the table narrows
    cell: Callable[[Any, datetime], tuple[str, str]]  # (text, tone)
    grow: int = 0  # extra cells it may take when there is room
    justify: str = "left"
    zh_width: int = 0  # its width in Chinese, when that needs more (units like 天/时/分)

    def width_in(self, lang: str) -> int:
        return max(self.width, self.zh_width) if lang == "zh" else self.width


def _kind_label(kind: str) -> str:
    if language() == "zh":
        return KIND_LABELS_ZH.get(kind, kind)
    return kind.replace("_", " ")


def _urgent(case: Case, now: datetime) -> tuple[str, str]:
    return ("!", "urgent") if case.urgent else ("", "")


def _level(case: Case, now: datetime) -> tuple[str, str]:
    return f"L{case.level}", "bold" if case.level == 3 else ""


def _status(case: Case, now: datetime) -> tuple[str, str]:
    status = t(f"vocab.status.{case.status}")
    if case.cleared_at is not None and case.status not in ("closed", "void"):
        status = f"{status} ✓"  # its detection rule no longer holds (case screen: "cleared")
    return status, "escalated" if case.status == "escalated" else ""


def case_columns(clock: SlaClock) -> tuple[Column, ...]:
    """The queue's columns; SLA left is business time on `clock`'s calendar."""
    return (
        Column("ref", "col.ref", 8, 0, lambda c, now: (c.ref, "")),
        Column("sla", "col.sla", 7, 1, clock.left, justify="right", zh_width=9),
        Column("level", "col.level", 2, 3, _level),
        Column("urgent", "col.urgent", 1, 2, _urgent),
        Column("kind", "col.kind", 12, 5, lambda c, now: (_kind_label(c.kind), ""), grow=6),
        Column("order", "col.order", 10, 7, lambda c, now: (c.order_number, ""), grow=4),
        Column(
            "customer", "col.customer", 10, 6,
            lambda c, now: (c.customer.name or c.customer.phone or c.customer.email, ""), grow=14,
        ),
        Column("carrier", "col.carrier", 8, 9, lambda c, now: (c.carrier, ""), grow=4),
        Column("assignee", "col.assignee", 8, 8, lambda c, now: (c.assignee or "—", ""), grow=4),
        Column("status", "col.status", 9, 4, _status),
        Column("age", "col.age", 6, 10, lambda c, now: (age(c, now), ""), justify="right",
               zh_width=8),
    )


def fit_columns(columns: Sequence[Column], width: int, lang: str | None = None
                ) -> list[tuple[Column, int]]:
    """The columns that fit in `width` (by priority, 1 cell between), in their own order, with
    the room left shared among the columns that may grow. Widths are those of `lang` (default:
    the UI's language)."""
    lang = lang or language()
    chosen: set[str] = set()
    used = 0
    for column in sorted(columns, key=lambda c: c.priority):
        need = column.width_in(lang) + (1 if chosen else 0)
        if used + need > width:
            continue
        chosen.add(column.key)
        used += need
    spare = width - used
    widths: dict[str, int] = {c.key: c.width_in(lang) for c in columns if c.key in chosen}
    growing = [c for c in sorted(columns, key=lambda c: c.priority) if c.key in chosen and c.grow]
    total_grow = sum(c.grow for c in growing)
    if total_grow and spare > 0:
        share = min(1.0, spare / total_grow)  # room shared in proportion to what each may take
        for column in growing:
            extra = min(column.grow, int(column.grow * share))
            widths[column.key] += extra
            spare -= extra
        for column in growing:  # what rounding left, by priority
            extra = min(column.grow - (widths[column.key] - column.width_in(lang)), spare)
            widths[column.key] += extra
            spare -= extra
    return [(column, widths[column.key]) for column in columns if column.key in chosen]


class PagedTable(Widget, can_focus=True):
    """A keyboard-driven table over a RowSource, drawing only what is visible."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "paged-table--header",
        "paged-table--cursor",
        "paged-table--breached",
        "paged-table--warning",
        "paged-table--urgent",
        "paged-table--escalated",
        "paged-table--dim",
    }

    DEFAULT_CSS = """
    PagedTable {
        height: 1fr;
        width: 1fr;
    }
    PagedTable > .paged-table--header {
        text-style: bold;
        background: $panel;
        color: $text;
    }
    PagedTable > .paged-table--cursor {
        background: $block-cursor-blurred-background;
        color: $block-cursor-blurred-foreground;
    }
    PagedTable:focus > .paged-table--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: bold;
    }
    PagedTable > .paged-table--breached {
        color: $text-error;
        text-style: bold;
    }
    PagedTable > .paged-table--warning {
        color: $text-warning;
    }
    PagedTable > .paged-table--urgent {
        background: $error;
        color: $text;
        text-style: bold;
    }
    PagedTable > .paged-table--escalated {
        color: $text-warning;
    }
    PagedTable > .paged-table--dim {
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False, id="cursor_up"),
        Binding("down,j", "cursor_down", "Down", show=False, id="cursor_down"),
        Binding("pageup", "page_up", "Page up", show=False, id="page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="page_down"),
        Binding("home", "first", "First", show=False, id="first"),  # g: go to a case
        Binding("end,G", "last", "Last", show=False, id="last"),
    ]

    class Highlighted(Message):
        """The cursor moved to another row (or the row under it changed)."""

        def __init__(self, table: PagedTable, row: Any | None) -> None:
            super().__init__()
            self.table = table
            self.row = row

        @property
        def control(self) -> PagedTable:
            return self.table

    class Selected(Message):
        """A row was double-clicked."""

        def __init__(self, table: PagedTable, row: Any) -> None:
            super().__init__()
            self.table = table
            self.row = row

        @property
        def control(self) -> PagedTable:
            return self.table

    def __init__(
        self,
        columns: Sequence[Column],
        *,
        source: RowSource | None = None,
        row_key: Callable[[Any], Any] = lambda row: getattr(row, "id", row),
        row_signature: Callable[[Any], Any] | None = None,
        now: Callable[[], datetime] | None = None,
        empty_text: str = "",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.columns = tuple(columns)
        self.source = source
        self.row_key = row_key
        self._now = now or datetime.now
        self.empty_text = empty_text
        self.total = 0
        self.cursor = 0
        self.top = 0
        self.loaded = False
        self.loads = 0  # how many times rows arrived (tests and the bench wait on it)
        self._window_start = 0
        self._window: list[Any] = []
        self._reloads = 0  # numbers the reloads (and fetches) so a late answer is dropped
        self._fetches = 0
        self._layout: tuple[int, str, list[tuple[Column, int]]] | None = None
        self._highlighted_key: Any = None
        self.row_signature = row_signature or (lambda row: (row_key(row), getattr(row, "version", 0)))
        self._strips: dict[tuple, Strip] = {}
        self.marked: dict[Any, Any] = {}  # row key -> row, marked with space (in order)

    def get_content_height(self, container, viewport, width: int) -> int:
        """With `height: auto`: the header and every row (at least one line for the empty text)."""
        return 1 + max(1, self.total)

    # --- data --------------------------------------------------------------------------------

    @property
    def page(self) -> int:
        """Rows visible at once."""
        return max(1, self.size.height - 1)

    @property
    def current(self) -> Any | None:
        """The row under the cursor, if it is loaded."""
        return self.row_at(self.cursor)

    def row_at(self, index: int) -> Any | None:
        position = index - self._window_start
        if 0 <= position < len(self._window):
            return self._window[position]
        return None

    def _window_bounds(self) -> tuple[int, int]:
        page = max(self.page, 10)
        start = max(0, self.top - page)
        return start, page * 4

    async def reload(self, *, keep_cursor: bool = True) -> None:
        """Fetch again. With keep_cursor the cursor follows its row if it moved.

        Rows first, so they paint as soon as they are read; a short result is its own count, a
        full window is counted after (the count is the slower query on a big view).
        """
        if self.source is None:
            return
        self._reloads += 1
        self._fetches += 1  # a window fetch in flight would bring back older rows
        reload_number = self._reloads
        if not keep_cursor:
            self.cursor = self.top = 0
        start, limit = self._window_bounds()
        rows = list(await self.source.rows(start, limit))
        if reload_number != self._reloads:
            return  # a newer reload superseded this one
        if len(rows) < limit and (rows or start == 0):
            self._apply(start, rows, start + len(rows), follow=keep_cursor)
        else:
            floor = start + len(rows)
            self._apply(start, rows, max(self.total, floor) if keep_cursor else floor,
                        follow=keep_cursor)
            total = await self.source.count()
            if reload_number != self._reloads:
                return
            self.total = total
            self._clamp()
            self.refresh()
            self._announce()
        if not self._covers_view():
            await self._fetch()

    def _apply(self, start: int, rows: list[Any], total: int, *, follow: bool) -> None:
        # The row the cursor is on now (a key may have moved it while the rows were read).
        current = self.current if follow else None
        key = self.row_key(current) if current is not None else None
        if total != self.total and self.styles.height is not None and self.styles.height.is_auto:
            self.refresh(layout=True)
        self.total = total
        self._window_start, self._window = start, rows
        self.loaded = True
        self.loads += 1
        if key is not None:
            for position, row in enumerate(rows):
                if self.row_key(row) == key:
                    self.cursor = start + position  # the view stays; the cursor follows
                    break
        self._clamp()
        self.refresh()
        self._announce()

    async def _fetch(self) -> None:
        if self.source is None:
            return
        self._fetches += 1
        fetch_number = self._fetches
        start, limit = self._window_bounds()
        rows = list(await self.source.rows(start, limit))
        if fetch_number != self._fetches:
            return
        self._window_start, self._window = start, rows
        self.loads += 1
        self.refresh()
        self._announce()

    def _covers_view(self) -> bool:
        first = self.top
        last = min(self.total, self.top + self.page)
        window_end = self._window_start + len(self._window)
        return self._window_start <= first and (last <= window_end or window_end >= self.total)

    def _near_window_end(self) -> bool:
        window_end = self._window_start + len(self._window)
        return window_end < self.total and self.top + 2 * self.page > window_end

    def _clamp(self) -> None:
        self.cursor = max(0, min(self.cursor, self.total - 1)) if self.total else 0
        page = self.page
        if self.cursor < self.top:
            self.top = self.cursor
        elif self.cursor >= self.top + page:
            self.top = self.cursor - page + 1
        self.top = max(0, min(self.top, max(0, self.total - page)))

    def _announce(self) -> None:
        row = self.current
        key = self.row_key(row) if row is not None else None
        if key != self._highlighted_key or row is not None:
            self._highlighted_key = key
            self.post_message(self.Highlighted(self, row))

    def move_to(self, index: int) -> None:
        """Put the cursor on row `index` (clamped), scrolling and fetching as needed."""
        self.cursor = index
        self._clamp()
        if not self._covers_view() or self._near_window_end() or (
            self._window_start > 0 and self.top - self._window_start < self.page
        ):
            self.run_worker(self._fetch(), group="fetch", exclusive=True, exit_on_error=False)
        self.refresh()
        self._announce()

    # --- keys and mouse ---------------------------------------------------------------------

    def action_cursor_up(self) -> None:
        self.move_to(self.cursor - 1)

    def action_cursor_down(self) -> None:
        self.move_to(self.cursor + 1)

    def action_page_up(self) -> None:
        self.top = max(0, self.top - self.page)
        self.move_to(self.cursor - self.page)

    def action_page_down(self) -> None:
        self.top = self.top + self.page
        self.move_to(self.cursor + self.page)

    def action_first(self) -> None:
        self.move_to(0)

    def action_last(self) -> None:
        self.move_to(self.total - 1)

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1 and self.total:
            self.move_to(self.top + event.y - 1)
            if event.chain >= 2 and self.current is not None:
                self.post_message(self.Selected(self, self.current))

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self.move_to(self.cursor + 3)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self.move_to(self.cursor - 3)

    def on_resize(self, event: events.Resize) -> None:
        self._layout = None
        if not self.loaded:
            return
        self._clamp()
        if not self._covers_view():
            self.run_worker(self._fetch(), group="fetch", exclusive=True, exit_on_error=False)

    # --- drawing -----------------------------------------------------------------------------

    def fitted_columns(self) -> list[tuple[Column, int]]:
        width = self.size.width
        if self._layout is None or self._layout[:2] != (width, language()):
            self._layout = (width, language(), fit_columns(self.columns, width, language()))
        return self._layout[2]

    def visible_column_keys(self) -> list[str]:
        return [column.key for column, _ in self.fitted_columns()]

    def _tone_style(self, tone: str) -> Style:
        if not tone:
            return Style()
        if tone == "bold":
            return Style(bold=True)
        if tone == "paused":
            tone = "dim"
        return self.get_component_rich_style(f"paged-table--{tone}", partial=True)

    def _line(self, cells: list[tuple[str, str]], base: Style) -> Strip:
        width = self.size.width
        line = Text(style=base, no_wrap=True, end="")
        for index, ((column, column_width), (value, tone)) in enumerate(
            zip(self.fitted_columns(), cells, strict=True)
        ):
            if index:
                line.append(" ")
            # one line, no control characters (a store may hold some from before intake cleaned them)
            cell = Text(plain_str(value), style=self._tone_style(tone), no_wrap=True, end="")
            cell.truncate(column_width, overflow="ellipsis")
            if column.justify == "right":
                cell.pad_left(column_width - cell.cell_len)
            else:
                cell.pad_right(column_width - cell.cell_len)
            line.append_text(cell)
        line.truncate(width, overflow="ellipsis", pad=True)
        segments = list(line.render(self.app.console))
        return Strip(segments, width).simplify()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y == 0:
            header = self.get_component_rich_style("paged-table--header")
            titles = [(t(column.title), "") for column, _ in self.fitted_columns()]
            return self._line(titles, header)
        index = self.top + y - 1
        if index >= self.total:
            if y == 1 and self.loaded and self.total == 0 and self.empty_text:
                dim = self.get_component_rich_style("paged-table--dim")
                text = Text(" " + self.empty_text, style=dim, no_wrap=True, end="")
                text.truncate(width, overflow="ellipsis", pad=True)
                return Strip(list(text.render(self.app.console)), width)
            return Strip([Segment(" " * width, self.rich_style)], width)
        row = self.row_at(index)
        is_cursor = index == self.cursor
        base = self.get_component_rich_style("paged-table--cursor") if is_cursor else self.rich_style
        if row is None:
            text = Text(" …", style=base, no_wrap=True, end="")
            text.truncate(width, pad=True)
            return Strip(list(text.render(self.app.console)), width)
        now = self._now()
        # A row's line is drawn once per minute (SLA left and age move by the minute) unless the
        # row, the cursor, the focus, the width or the language changes: a refresh that changes
        # nothing costs a dict lookup per line.
        marked = self.row_key(row) in self.marked
        cache_key = (self.row_signature(row), is_cursor, self.has_focus, width, language(),
                     now.replace(second=0, microsecond=0), marked)
        strip = self._strips.get(cache_key)
        if strip is None:
            if len(self._strips) > 1000:
                self._strips.clear()
            cells = [column.cell(row, now) for column, _ in self.fitted_columns()]
            if marked:  # a marked row (space) is underlined in bold, its cells whole
                base = base + Style(bold=True, underline=True)
            strip = self._strips[cache_key] = self._line(cells, base)
        return strip

    def toggle_mark(self) -> int:
        """Mark or unmark the row under the cursor and move down; how many are marked."""
        row = self.current
        if row is not None:
            key = self.row_key(row)
            if self.marked.pop(key, None) is None:
                self.marked[key] = row
            self.move_to(self.cursor + 1)
            self.refresh()
        return len(self.marked)

    def clear_marks(self) -> None:
        self.marked.clear()
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()


class CaseTable(PagedTable):
    """The queue of cases. SLA left is business time on `calendar`, by default the calendar of
    the services its CasePages read (the one `shopdesk cases list` counts with)."""

    def __init__(self, *, source: RowSource | None = None, now=None, empty_text: str = "",
                 calendar: BusinessCalendar | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        calendar = calendar or getattr(source, "calendar", None)
        if calendar is None:
            raise ValueError("CaseTable needs a business calendar (or CasePages to take it from)")
        super().__init__(case_columns(SlaClock(calendar)), source=source,
                         row_key=lambda case: case.id, row_signature=case_signature, now=now,
                         empty_text=empty_text, id=id, classes=classes)


def case_signature(case: Case) -> tuple:
    """What a case's line shows, short of the clock: its version and the order's fields."""
    return (case.id, case.version, case.order_number, case.carrier)


class CasePages:
    """A RowSource over services.cases with a filter and a sort."""

    def __init__(self, services, case_filter, sort: str = "queue") -> None:
        self.services = services
        self.case_filter = case_filter
        self.sort = sort

    @property
    def calendar(self) -> BusinessCalendar:
        """The shop's business calendar, which SLA clocks count in."""
        return self.services.policy.calendar

    async def count(self) -> int:
        return await self.services.cases.count(self.case_filter)

    async def rows(self, offset: int, limit: int) -> list[Case]:
        return await self.services.cases.list(
            self.case_filter, limit=limit, offset=offset, sort=self.sort
        )


Loader = Callable[[int, int], Awaitable[Sequence[Any]]]
