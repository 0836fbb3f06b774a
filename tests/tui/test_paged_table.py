"""The paged table on its own: columns by priority, the cursor following its row, and a key pressed
while a reload is reading is not undone by it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

from textual.app import App, ComposeResult

from shopdesk.config import Settings
from shopdesk.tui.widgets.case_table import (
    Column,
    PagedTable,
    case_columns,
    fit_columns,
)
from shopdesk.tui.widgets.sla_badge import SlaClock

CASE_COLUMNS = case_columns(SlaClock(Settings().business_calendar()))


@dataclass
class Row:
    id: int
    name: str
    version: int = 1


class Source:
    def __init__(self, rows: list[Row]) -> None:
        self.rows_now = rows
        self.gate = asyncio.Event()
        self.gate.set()
        self.reads = 0

    async def count(self) -> int:
        return len(self.rows_now)

    async def rows(self, offset: int, limit: int) -> list[Row]:
        snapshot = list(self.rows_now)  # what the store held when the read began
        self.reads += 1
        await self.gate.wait()
        return snapshot[offset: offset + limit]


COLUMNS = (
    Column("id", "col.ref", 4, 0, lambda row, now: (str(row.id), "")),
    Column("name", "col.customer", 10, 1, lambda row, now: (row.name, ""), grow=20),
)


class TableApp(App):
    def __init__(self, source: Source) -> None:
        super().__init__()
        self.source = source

    def compose(self) -> ComposeResult:
        yield PagedTable(COLUMNS, source=self.source, now=lambda: datetime.now(UTC))

    async def on_mount(self) -> None:
        table = self.query_one(PagedTable)
        table.focus()
        await table.reload(keep_cursor=False)


def test_columns_drop_by_priority_and_share_the_room():
    narrow = [column.key for column, _ in fit_columns(CASE_COLUMNS, 60)]
    assert narrow[:2] == ["ref", "sla"] and "age" not in narrow and "carrier" not in narrow
    wide = fit_columns(CASE_COLUMNS, 200)
    assert [column.key for column, _ in wide] == [column.key for column in CASE_COLUMNS]
    for width in (40, 60, 80, 100, 120, 200):
        fitted = fit_columns(CASE_COLUMNS, width)
        assert sum(w for _, w in fitted) + len(fitted) - 1 <= width


async def test_a_key_pressed_during_a_reload_is_kept():
    rows = [Row(number, f"row {number}") for number in range(1, 6)]
    source = Source(rows)
    app = TableApp(source)
    async with app.run_test(size=(40, 10)) as pilot:
        table = app.query_one(PagedTable)
        await pilot.press("down")
        assert table.current.id == 2
        source.gate.clear()
        source.rows_now = [Row(99, "new on top"), *rows]
        reload = asyncio.create_task(table.reload())
        await pilot.pause()
        await pilot.press("down")  # onto row 3 while the reload is still reading
        assert table.current.id == 3
        source.gate.set()
        await reload
        assert table.current.id == 3  # not dragged back to row 2
        assert table.cursor == 3  # row 3 moved down one place


async def test_cursor_follows_its_row_and_clamps_when_rows_go():
    rows = [Row(number, f"row {number}") for number in range(1, 30)]
    source = Source(rows)
    app = TableApp(source)
    async with app.run_test(size=(40, 10)) as pilot:
        table = app.query_one(PagedTable)
        await pilot.press("pagedown")
        await pilot.pause()
        on = table.current.id
        source.rows_now = [row for row in rows if row.id < on - 2] + [
            row for row in rows if row.id >= on]
        await table.reload()
        assert table.current.id == on
        source.rows_now = rows[:3]
        await table.reload()
        assert table.cursor == 2 and table.current.id == 3
