"""The queue's SLA column is the figure `shopdesk cases list` prints: business time left on the
shop's calendar, in the same units (2h57m, -2d7h, late, paused), red when breached and amber under
25 % left; in Chinese the same parts with Chinese units (-2天7时). Age reads in units too."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from queue_world import (
    ME,
    NOW,
    FakeClock,
    queue_settings,
    screen_text,
    seed_queue,
    settle,
)

from shopdesk.cli.cases import _queue_text
from shopdesk.domain.cases import Actor, Customer
from shopdesk.domain.filters import CaseFilter
from shopdesk.domain.sla_policy import format_span
from shopdesk.services import Services
from shopdesk.store import open_store
from shopdesk.tui import i18n
from shopdesk.tui.app import ShopdeskApp
from shopdesk.tui.widgets.case_table import CaseTable
from shopdesk.tui.widgets.sla_badge import short_duration, short_span

# Tuesday 2026-11-24 01:00 in Shanghai: outside business hours, where wall clock and business
# time part ways most (the QA report's moment).
NIGHT = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
ACTIVE = CaseFilter(statuses=["new", "open", "waiting", "escalated"])


@pytest.fixture
async def desk(tmp_path):
    clock = FakeClock()
    async with open_store(tmp_path / "desk.db") as store:
        services = Services(store, queue_settings(), clock=clock)
        seeded = await seed_queue(services)
        bot = Actor("intake")
        # opened at 17:00, due at 18:00 (1 business hour), 7 h of clock time ago at 01:00 but no
        # business time since: "late"
        clock.now = NOW + timedelta(hours=3)
        late, _ = await services.cases.open(bot, kind="lost", level=3,
                                            customer=Customer(name="Late Evening"))
        clock.now = NIGHT
        yield services, clock, seeded, late


async def cli_figures(services, monkeypatch) -> dict[str, str]:
    """ref -> the LEFT cell `shopdesk cases list` prints (its own code path), '!' dropped."""
    monkeypatch.setenv("COLUMNS", "200")
    cases = await services.cases.list(ACTIVE, limit=500)
    text = _queue_text(services, cases, len(cases))
    figures = {}
    for line in text.splitlines()[1:]:
        parts = line.split()
        if parts and parts[0].startswith("C-"):
            figures[parts[0]] = parts[1].lstrip("!")
    return figures


def tui_cells(app) -> dict[str, tuple[str, str]]:
    """ref -> (SLA cell as the screen shows it, its tone) for the visible rows."""
    table = app.screen.query_one("#cases", CaseTable)
    sla = next(column for column, _ in table.fitted_columns() if column.key == "sla")
    lines = screen_text(app).splitlines()
    cells = {}
    for index in range(table.top, min(table.total, table.top + table.page)):
        case = table.row_at(index)
        line = next(line for line in lines if line.split() and line.split()[0] == case.ref)
        cells[case.ref] = (line.split()[1], sla.cell(case, app.services.now())[1])
    return cells


async def test_queue_cell_equals_the_cli_figure_for_every_visible_case(desk, monkeypatch):
    services, _clock, seeded, late = desk
    cli = await cli_figures(services, monkeypatch)
    app = ShopdeskApp(services, operator=ME, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("6")  # all open
        await settle(pilot)
        cells = tui_cells(app)
    assert len(cells) >= 10
    for ref, (text, _tone) in cells.items():
        assert text == cli[ref], ref
    # the QA report's disagreement: 6 days of clock time overdue is far less business time
    overdue_text, overdue_tone = cells[seeded.overdue.ref]
    assert overdue_tone == "breached" and overdue_text.startswith("-")
    wall = format_span(-(NIGHT - seeded.overdue.due_at), timedelta(days=1))
    assert overdue_text != wall
    assert cells[late.ref] == ("late", "breached")
    assert cells[seeded.lost.ref][1] == "breached"  # L3 opened at 14:00: 1 business day passed


async def test_tones_amber_under_a_quarter_left_and_paused(desk, monkeypatch):
    services, clock, seeded, _late = desk
    clock.now = NOW  # Monday 14:00, in business hours
    fresh, _ = await services.cases.open(Actor("intake"), kind="other", level=3,
                                         customer=Customer(name="Just In"))
    cli = await cli_figures(services, monkeypatch)
    assert cli[fresh.ref] == "1h"  # L3: first response within 1 business hour
    clock.now = NOW + timedelta(minutes=50)  # 10 of 60 minutes left: under 25 %
    cli = await cli_figures(services, monkeypatch)
    app = ShopdeskApp(services, operator=ME, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("6")
        await settle(pilot)
        cells = tui_cells(app)
        assert cells[fresh.ref] == ("10m", "warning") and cli[fresh.ref] == "10m"
        await pilot.press("5")  # waiting
        await settle(pilot)
        assert tui_cells(app)[seeded.waiting.ref] == ("paused", "paused")


async def test_chinese_cells_are_the_same_parts_in_chinese_units(desk, monkeypatch):
    services, _clock, seeded, late = desk
    cli = await cli_figures(services, monkeypatch)
    app = ShopdeskApp(services, operator=ME, lang="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("6")
        await settle(pilot)
        cells = tui_cells(app)
        text = screen_text(app)
    assert cells[late.ref][0] == "超时"
    overdue = cells[seeded.overdue.ref][0]
    assert re.fullmatch(r"-\d+天(\d+时)?", overdue), overdue
    for ref, (cell, _tone) in cells.items():
        if ref == late.ref:
            continue
        assert not re.search(r"[dhm]", cell), cell  # no English units left
        english = cli[ref]
        assert re.findall(r"\d+", cell) == [str(int(n)) for n in re.findall(r"\d+", english)]
        assert cell.startswith("-") == english.startswith("-")
    assert "时限" in text.splitlines()[2]


def test_span_units_english_matches_format_span_and_chinese_has_the_same_parts():
    day = timedelta(hours=8)
    spans = [timedelta(minutes=m) for m in (0, 1, 45, 60, 65, 177, 479, 480, 481, 540, 1000,
                                            17 * 480 + 7 * 60 + 3)]
    for span in spans + [-span for span in spans if span]:
        i18n.set_language("en")
        assert short_span(span, day) == format_span(span, day)
    i18n.set_language("zh")
    assert short_span(-timedelta(hours=23), day) == "-2天7时"
    assert short_span(timedelta(hours=4), day) == "4时"
    assert short_span(timedelta(minutes=177), day) == "2时57分"
    assert short_span(timedelta(minutes=45), day) == "45分"
    assert short_duration(timedelta(hours=52)) == "2天4时"
    assert short_duration(timedelta(days=11, hours=16)) == "11天"  # fits the incidents' column
    i18n.set_language("en")
    # ages: units, coarser as they grow (never "12h57", which reads like a clock time)
    assert short_duration(timedelta(minutes=185)) == "3h05m"
    assert short_duration(timedelta(hours=12, minutes=57)) == "12h"
    assert short_duration(timedelta(days=9, hours=23)) == "9d23h"


async def test_age_column_in_units_on_a_wide_screen(desk):
    services, _clock, seeded, _late = desk
    app = ShopdeskApp(services, operator=ME, lang="zh")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("6")
        await settle(pilot)
        line = next(line for line in screen_text(app).splitlines()
                    if line.split() and line.split()[0] == seeded.overdue.ref)
    assert line.split()[-1] == "6天11时"  # opened 6 days before Monday 14:00, now Tuesday 01:00


async def test_a_reopened_case_is_not_amber_at_once(desk):
    """The resolution clock restarts at the reopen: its share left counts from there, not from
    the case's first opening weeks ago."""
    from shopdesk.tui.widgets.sla_badge import SlaClock

    services, clock, _seeded, _late = desk
    clock.now = NOW - timedelta(days=21)
    boss = services.actor(ME)
    case, _ = await services.cases.open(boss, kind="lost", level=2,
                                        customer=Customer(name="Calls Back"))
    await services.cases.triage(boss, case.ref)
    await services.cases.resolve(boss, case.ref, "parcel found")
    clock.now = NOW  # Monday 14:00: the customer calls back
    reopened = await services.cases.reopen(boss, case.ref, "parcel missing again")
    left, tone = SlaClock(services.policy.calendar).left(reopened, clock.now)
    assert tone == "" and not left.startswith("-")
